"""Media tests: files in a temporary folder of their own (so a test can see them go)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tweets.conftest import client_for


@pytest.fixture(autouse=True)
def media_folders(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
        "media": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.THROTTLE_ENABLED = False
    return tmp_path


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


def upload(
    client, data: bytes, name="a.jpg", content_type="image/jpeg", path="/api/v1/media", **fields
):
    return client.post(
        path,
        {"file": SimpleUploadedFile(name, data, content_type), **fields},
        format="multipart",
    )


@pytest.fixture
def uploaded(django_capture_on_commit_callbacks):
    """Upload and run what the commit queues (processing, eager here)."""

    def run(client, data: bytes, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, data, **kwargs)
        return response

    return run


def stored_files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
