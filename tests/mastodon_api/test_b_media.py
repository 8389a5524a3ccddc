"""Mastodon media: POST /api/v1/media, POST /api/v2/media, GET and PUT /api/v1/media/{id}."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from media.models import Media
from tests.factories import UserFactory
from tests.mastodon_api.conftest import masto_client
from tests.media import images
from tests.media.conftest import media_folders  # noqa: F401 - files in a temporary folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def client(alice):
    return masto_client(alice, "read write")


def upload(client, path="/api/v2/media", data=None, **fields):
    file = SimpleUploadedFile("a.png", data or images.png(40, 20), "image/png")
    return client.post(path, {"file": file, **fields}, format="multipart")


def test_v2_answers_202_while_processing_then_get_answers_206_then_200(
    client, django_capture_on_commit_callbacks
):
    response = upload(client, description="a green square", focus="0.5,-0.25")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["type"] == "image"
    assert body["url"] is None
    assert body["description"] == "a green square"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert client.get(f"/api/v1/media/{body['id']}").status_code == 206
    from media.services import media_process

    media_process(media_id=int(body["id"]))
    ready = client.get(f"/api/v1/media/{body['id']}")
    assert ready.status_code == 200
    assert ready.json()["url"].startswith("http")
    assert ready.json()["meta"]["original"]["width"] == 40


def test_v1_and_v2_answer_200_when_processed_at_once(client, django_capture_on_commit_callbacks):
    for path in ("/api/v1/media", "/api/v2/media"):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, path)
        # Processed during the request's commit (eager): ready at once.
        media = Media.objects.get(pk=response.json()["id"])
        assert media.state == Media.State.READY
        assert client.get(f"/api/v1/media/{media.id}").status_code == 200


def test_put_sets_description_and_focus(client):
    media_id = upload(client).json()["id"]
    response = client.put(
        f"/api/v1/media/{media_id}", {"description": "alt", "focus": "-1,1"}, format="json"
    )
    assert response.status_code == 206  # still processing
    assert response.json()["description"] == "alt"
    assert response.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    media = Media.objects.get(pk=media_id)
    assert (media.alt_text, media.focus_x, media.focus_y) == ("alt", -1.0, 1.0)
    bad = client.put(f"/api/v1/media/{media_id}", {"focus": "2,0"}, format="json")
    assert bad.status_code == 422
    assert "focus" in bad.json()["error"]
    worse = client.put(f"/api/v1/media/{media_id}", {"focus": "left"}, format="json")
    assert worse.status_code == 422


def test_bad_uploads_are_refused_clearly(client):
    assert client.post("/api/v2/media", {}, format="multipart").status_code == 422
    not_image = upload(client, data=b"plain text, not an image")
    assert not_image.status_code == 415
    assert "error" in not_image.json()


def test_a_failed_item_answers_422(client, alice):
    media_id = upload(client).json()["id"]
    Media.objects.filter(pk=media_id).update(state=Media.State.FAILED, failure_reason="corrupt")
    response = client.get(f"/api/v1/media/{media_id}")
    assert response.status_code == 422
    assert response.json() == {"error": "corrupt"}


def test_someone_elses_or_a_missing_item_is_404(client):
    bob_client = masto_client(UserFactory(username="bob"), "read write")
    bobs = upload(bob_client).json()["id"]
    assert client.get(f"/api/v1/media/{bobs}").status_code == 404
    assert (
        client.put(f"/api/v1/media/{bobs}", {"description": "x"}, format="json").status_code == 404
    )
    assert Media.objects.get(pk=bobs).alt_text == ""
    assert client.get("/api/v1/media/1").status_code == 404
    assert client.put(f"/api/v1/media/{2**64}", {}, format="json").status_code == 404


def test_auth_failures_and_scopes(masto, alice):
    assert upload(masto).status_code == 401
    assert masto.get("/api/v1/media/1").status_code == 401
    assert masto.put("/api/v1/media/1", {}, format="json").status_code == 401
    read_only = masto_client(alice, "read")
    assert upload(read_only).status_code == 403
    assert upload(read_only, "/api/v1/media").status_code == 403
    writer = masto_client(alice, "write:media")
    media_id = upload(writer).json()["id"]
    assert read_only.get(f"/api/v1/media/{media_id}").status_code == 403
    assert read_only.put(f"/api/v1/media/{media_id}", {}, format="json").status_code == 403
    assert writer.get(f"/api/v1/media/{media_id}").status_code == 206
    assert not Media.objects.exclude(pk=media_id).exists()


def test_the_upload_routes_take_the_media_body_cap_not_the_default(settings):
    """The body cap is checked before the host's URLconf is chosen: the Mastodon
    upload routes are looked up in the Mastodon URLconf too (REQUEST_BODY_URLCONFS)."""
    from core.request_limits import body_limit_for

    cap = settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE["media-upload"]
    assert cap > settings.REQUEST_BODY_MAX_BYTES
    assert body_limit_for("/api/v2/media") == cap
    assert body_limit_for("/api/v1/media") == cap
    assert body_limit_for("/api/v2/search") == settings.REQUEST_BODY_MAX_BYTES
