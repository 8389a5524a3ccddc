"""The S3 path (production): django-storages against an S3-compatible server that
the test starts on loopback (moto's server), through the same API."""

import json

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from media.models import Media
from tests.media import images

pytestmark = pytest.mark.django_db

BUCKET = "warble-test-media"


@pytest.fixture
def s3(settings, monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    # What docker-compose's minio-init sets (`mc anonymous set download` on media/):
    # anyone may read under media/, nothing else.
    client.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["*"]},
                        "Action": ["s3:GetObject"],
                        "Resource": [f"arn:aws:s3:::{BUCKET}/media/*"],
                    }
                ],
            }
        ),
    )
    common = {"bucket_name": BUCKET, "endpoint_url": endpoint, "file_overwrite": False}
    # As config/settings/base.py builds them with AWS_STORAGE_BUCKET_NAME set.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "querystring_auth": True},
        },
        "media": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "media", "querystring_auth": False},
        },
    }
    yield client
    server.stop()


def keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_uploads_are_stored_in_s3_and_served_by_their_url(
    s3, alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            "/api/v1/media", {"file": images.jpeg_file(200, 100)}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    detail = alice_client.get(f"/api/v1/media/{response.json()['id']}").json()
    assert detail["state"] == "ready"
    media = Media.objects.get(pk=detail["id"])
    stored = {f"media/{name}" for name in media.stored_names}
    assert keys(s3) == stored  # the raw upload (private prefix) is gone

    for url, name in [
        (detail["url"], media.original),
        (detail["variants"]["small"]["url"], media.variants["small"]["name"]),
    ]:
        assert url.startswith("http://127.0.0.1:")
        assert media.key in url
        served = httpx.get(url)
        assert served.status_code == 200
        assert served.content == s3.get_object(Bucket=BUCKET, Key=f"media/{name}")["Body"].read()

    # Private files (the default storage): not readable anonymously; signed URLs are.
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("exports/x.txt", ContentFile(b"private"))
    signed = default_storage.url(name)
    assert "Signature=" in signed
    assert httpx.get(signed).content == b"private"
    assert httpx.get(signed.split("?")[0]).status_code == 403
    default_storage.delete(name)

    # Deleting the post deletes the objects.
    with django_capture_on_commit_callbacks(execute=True):
        post = alice_client.post(
            "/api/v1/posts", {"text": "s3", "media_ids": [detail["id"]]}, format="json"
        )
        assert post.status_code == 201
        alice_client.delete(f"/api/v1/posts/{post.json()['id']}")
    assert keys(s3) == set()
