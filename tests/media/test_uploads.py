"""Uploads: validation before anything heavy, processing, state, alt text, ownership."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from media import services
from media.models import Media
from tests.media import images
from tests.media.conftest import stored_files, upload

pytestmark = pytest.mark.django_db


def _status_kb(key: str) -> int:
    return int(re.search(rf"{key}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


def peak_extra_bytes(run) -> int:
    """How far this process's resident memory peaked above where it was (Linux:
    writing 5 to clear_refs resets the peak, VmHWM, to the current size)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    run()
    return (_status_kb("VmHWM") - before) * 1024


def media_file(root, name) -> Image.Image:
    return Image.open(root / "media" / name)


def test_a_jpeg_with_gps_exif_comes_back_upright_without_any_metadata(
    alice_client, uploaded, media_folders
):
    source = Image.open(io.BytesIO(images.jpeg_with_gps(64, 48)))
    assert source.getexif().get_ifd(0x8825)  # the test file really has GPS data
    assert "xmp" in source.info

    response = uploaded(alice_client, images.jpeg_with_gps(64, 48), alt_text="a red square")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["state"] == "processing"
    assert body["alt_text"] == "a red square"

    detail = alice_client.get(f"/api/v1/media/{body['id']}").json()
    assert detail["state"] == "ready"
    # Orientation 6 applied before the EXIF went: 64x48 stands up as 48x64.
    assert (detail["width"], detail["height"]) == (48, 64)
    assert detail["blurhash"]
    assert detail["url"].startswith("/media/")
    media = Media.objects.get(pk=body["id"])
    for name in media.stored_names:
        stored = media_file(media_folders, name)
        assert not stored.getexif(), name
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile"} & set(stored.info), name
        assert b"SpyCam" not in (media_folders / "media" / name).read_bytes()
    assert stored_files(media_folders / "private") == set()  # the raw upload is gone
    assert media.key not in str(media.id)  # unguessable names
    assert len(media.key) >= 32


def test_thumbnails_have_the_right_sizes(alice_client, uploaded, media_folders):
    response = uploaded(alice_client, images.jpeg(2000, 1000))
    detail = alice_client.get(f"/api/v1/media/{response.json()['id']}").json()
    assert (detail["width"], detail["height"]) == (2000, 1000)
    assert {k: (v["width"], v["height"]) for k, v in detail["variants"].items()} == {
        "small": (400, 200),
        "large": (1200, 600),
    }
    media = Media.objects.get(pk=detail["id"])
    assert media_file(media_folders, media.variants["small"]["name"]).size == (400, 200)
    assert media_file(media_folders, media.variants["large"]["name"]).size == (1200, 600)
    # A small image is never enlarged.
    small = uploaded(alice_client, images.png(30, 20), name="s.png", content_type="image/png")
    detail = alice_client.get(f"/api/v1/media/{small.json()['id']}").json()
    assert detail["variants"]["large"]["width"] == 30


def test_an_animated_gif_keeps_its_first_frame(alice_client, uploaded, media_folders):
    response = uploaded(alice_client, images.animated_gif(), name="a.gif", content_type="image/gif")
    media = Media.objects.get(pk=response.json()["id"])
    assert media.state == "ready"
    original = media_file(media_folders, media.original)
    assert original.format == "PNG"
    assert not getattr(original, "is_animated", False)
    assert original.size == (40, 30)


@pytest.mark.parametrize(
    ("data", "what"),
    [(images.EPS, "eps"), (images.SVG, "svg"), (images.tiff(), "tiff"), (images.FITS, "fits")],
)
def test_other_types_disguised_as_png_are_415(alice_client, data, what, media_folders):
    response = upload(alice_client, data, name="cute.png", content_type="image/png")
    assert response.status_code == 415, what
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    assert not Media.objects.exists()
    assert stored_files(media_folders) == set()


def test_a_truncated_jpeg_is_400(alice_client, media_folders):
    data = images.jpeg(256, 256)
    noisy = Image.effect_noise((256, 256), 64).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "JPEG")
    data = out.getvalue()
    response = upload(alice_client, data[: len(data) // 2])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("file", "invalid_image")
    assert not Media.objects.exists()


def test_garbage_after_a_png_signature_is_400(alice_client):
    response = upload(alice_client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, name="x.png")
    assert response.status_code in (400, 415)
    assert not Media.objects.exists()


def test_a_png_bomb_is_400_without_decoding_it(alice_client, media_folders):
    bomb = images.png_bomb()
    assert len(bomb) < 200_000
    responses = []
    extra = peak_extra_bytes(lambda: responses.append(upload(alice_client, bomb, name="b.png")))
    assert responses[0].status_code == 400
    assert responses[0].json()["errors"][0]["code"] == "invalid_image"
    assert extra < 30 * 1024 * 1024, f"{extra / 2**20:.1f} MiB"  # decoding it: 400 MiB
    assert not Media.objects.exists()


def test_a_png_bomb_that_reached_the_worker_fails_without_decoding_it(
    alice, media_folders, django_capture_on_commit_callbacks
):
    """The worker checks again (a file stored by an older release, a changed limit)."""
    name = default_storage.save("media-uploads/bomb", ContentFile(images.png_bomb()))
    media = Media.objects.create(owner=alice, key="k" * 32, upload_name=name)
    with django_capture_on_commit_callbacks(execute=True):
        extra = peak_extra_bytes(lambda: services.media_process(media_id=media.id))
    media.refresh_from_db()
    assert media.state == "failed"
    assert "pixels" in media.failure_reason
    assert extra < 30 * 1024 * 1024, f"{extra / 2**20:.1f} MiB"
    assert stored_files(media_folders / "private") == set()


def test_an_upload_over_the_cap_is_413(alice_client, settings):
    assert settings.MEDIA_UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    response = upload(alice_client, images.jpeg() + b"\x00" * (30 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"
    assert not Media.objects.exists()


def test_the_cap_is_checked_while_the_file_streams_in(alice_client, settings, media_folders):
    """A body under the route's cap but a file over MEDIA_UPLOAD_MAX_BYTES: the upload
    handler stops at the first chunk past it."""
    settings.MEDIA_UPLOAD_MAX_BYTES = 100_000
    response = upload(alice_client, images.jpeg() + b"\x00" * 300_000)
    assert response.status_code == 413
    assert not Media.objects.exists()


def test_json_and_form_bodies_are_415_on_the_upload_route(alice_client):
    assert alice_client.post("/api/v1/media", {"alt_text": "x"}, format="json").status_code == 415
    assert alice_client.post("/api/v1/media", {}, format="multipart").status_code == 400


def test_alt_text_is_at_most_1000_characters_and_editable_by_its_owner_only(
    alice_client, bob_client, uploaded
):
    assert upload(alice_client, images.jpeg(), alt_text="x" * 1001).status_code == 400
    media_id = uploaded(alice_client, images.jpeg()).json()["id"]
    url = f"/api/v1/media/{media_id}"
    assert alice_client.patch(url, {"alt_text": "new"}, format="json").json()["alt_text"] == "new"
    assert bob_client.patch(url, {"alt_text": "mine"}, format="json").status_code == 404
    assert bob_client.get(url).status_code == 404
    assert Media.objects.get(pk=media_id).alt_text == "new"


def test_an_idempotency_key_replays_the_same_upload_and_refuses_another_file(alice_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    data = images.jpeg()
    first = alice_client.post(
        "/api/v1/media", {"file": io.BytesIO(data)}, format="multipart", **headers
    )
    again = alice_client.post(
        "/api/v1/media", {"file": io.BytesIO(data)}, format="multipart", **headers
    )
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = alice_client.post(
        "/api/v1/media",
        {"file": io.BytesIO(images.jpeg(color=(0, 0, 255)))},
        format="multipart",
        **headers,
    )
    assert other.status_code == 422
    assert Media.objects.count() == 1


def test_uploads_have_their_own_throttle(alice_client, settings):
    settings.THROTTLE_ENABLED = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "media_upload": "2/hour",
        },
    }
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        codes = [upload(alice_client, images.jpeg()).status_code for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert codes == [202, 202, 429]


def test_an_item_whose_processing_breaks_is_failed_not_left_processing(
    alice_client, uploaded, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the store is down")

    monkeypatch.setattr("media.imaging.render", broken)
    media_id = uploaded(alice_client, images.jpeg()).json()["id"]
    detail = alice_client.get(f"/api/v1/media/{media_id}").json()
    assert detail["state"] == "failed"
    assert detail["failure_reason"] == "Processing failed."
