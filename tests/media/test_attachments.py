"""Media in posts: attaching, rendering (the feed's cache included), deleting, clean-up,
avatars and banners."""

from datetime import timedelta

import pytest
from django.utils import timezone

from media import services
from media.models import Media
from tests.factories import PostFactory
from tests.media import images
from tests.media.conftest import stored_files
from tweets.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(alice_client, uploaded):
    def make(client=alice_client, **kwargs):
        return uploaded(client, images.jpeg(600, 300), **kwargs).json()["id"]

    return make


def create_post(client, **body):
    return client.post("/api/v1/posts", {"text": "look", **body}, format="json")


def test_a_ready_media_attached_to_a_post_appears_in_the_post_and_the_feed(
    alice_client, bob_client, alice, bob, ready, django_capture_on_commit_callbacks
):
    bob_client.post(f"/api/v1/users/{alice.pk}/follow")
    media_id = ready(alt_text="a wide red box")
    with django_capture_on_commit_callbacks(execute=True):
        response = create_post(alice_client, media_ids=[media_id])
    assert response.status_code == 201, response.json()
    (item,) = response.json()["media"]
    assert item["id"] == media_id
    assert item["state"] == "ready"
    assert (item["width"], item["height"], item["alt_text"]) == (600, 300, "a wide red box")
    assert item["variants"]["small"]["width"] == 400
    assert item["blurhash"]
    post_id = response.json()["id"]
    assert alice_client.get(f"/api/v1/posts/{post_id}").json()["media"] == [item]
    assert bob_client.get("/api/v1/feed").json()["results"][0]["post"]["media"] == [item]

    # The alt text changes: the request bumps the post's version (read-your-writes)
    # and so does the media.updated handler (run here, eagerly), so the feed's
    # cached payload is not served stale.
    version = Post.objects.get(pk=post_id).version
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.patch(f"/api/v1/media/{media_id}", {"alt_text": "new"}, format="json")
    assert Post.objects.get(pk=post_id).version == version + 2
    feed_item = bob_client.get("/api/v1/feed").json()["results"][0]["post"]["media"][0]
    assert feed_item["alt_text"] == "new"


@pytest.mark.parametrize("case", ["unknown", "someone_elses", "processing", "attached", "avatar"])
def test_media_that_cannot_be_attached_is_a_400_naming_the_id(
    alice_client, bob_client, alice, ready, case
):
    if case == "unknown":
        media_id = "123"
    elif case == "someone_elses":
        media_id = ready(client=bob_client)
    elif case == "processing":
        media_id = str(Media.objects.create(owner=alice, key="p" * 32).id)
    elif case == "attached":
        media_id = ready()
        assert create_post(alice_client, media_ids=[media_id]).status_code == 201
    else:
        media_id = str(
            Media.objects.create(owner=alice, key="a" * 32, kind="avatar", state="ready").id
        )
    ok = ready()
    response = create_post(alice_client, media_ids=[ok, media_id])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "media_ids"
    assert media_id in error["detail"]
    assert Media.objects.get(pk=ok).post_id is None  # nothing was attached
    assert Post.objects.filter(text="look").count() == (1 if case == "attached" else 0)


def test_at_most_four_media_per_post(alice_client, ready):
    ids = [ready() for _ in range(5)]
    assert create_post(alice_client, media_ids=ids).status_code == 400
    response = create_post(alice_client, media_ids=ids[:4])
    assert [m["id"] for m in response.json()["media"]] == ids[:4]


def test_deleting_a_post_deletes_its_media_files(
    alice_client, ready, media_folders, django_capture_on_commit_callbacks
):
    kept = ready()
    media_id = ready()
    post_id = create_post(alice_client, media_ids=[media_id]).json()["id"]
    names = set(Media.objects.get(pk=media_id).stored_names)
    assert names <= stored_files(media_folders / "media")
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.delete(f"/api/v1/posts/{post_id}").status_code == 204
    assert not Media.objects.filter(pk=media_id).exists()
    left = stored_files(media_folders / "media")
    assert not names & left
    assert set(Media.objects.get(pk=kept).stored_names) <= left


def test_erasing_an_account_deletes_its_files(
    alice, alice_client, bob_client, ready, media_folders, django_capture_on_commit_callbacks
):
    ready()
    theirs = ready(client=bob_client)
    alice.set_password("pw-of-alice-1")
    alice.save(update_fields=["password"])
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.delete(
            "/api/v1/users/me", {"password": "pw-of-alice-1"}, format="json"
        )
    assert response.status_code == 204
    assert list(Media.objects.values_list("id", flat=True)) == [int(theirs)]
    assert stored_files(media_folders / "media") == set(Media.objects.get().stored_names)


def test_unattached_media_older_than_a_day_are_deleted_with_their_files(
    alice, alice_client, ready, media_folders, django_capture_on_commit_callbacks
):
    old, fresh, attached = ready(), ready(), ready()
    create_post(alice_client, media_ids=[attached])
    Media.objects.filter(pk__in=[old, attached]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.media_delete_unattached() == 1
    assert set(Media.objects.values_list("id", flat=True)) == {int(fresh), int(attached)}
    assert stored_files(media_folders / "media") == {
        n for m in Media.objects.all() for n in m.stored_names
    }
    # The beat task is the same, in batches: nothing left to delete now.
    from media.tasks import delete_unattached

    delete_unattached()
    assert Media.objects.count() == 2


def test_an_avatar_is_a_square_and_replaces_the_previous_one(
    alice, alice_client, uploaded, media_folders
):
    first = uploaded(alice_client, images.jpeg(300, 200), path="/api/v1/users/me/avatar")
    assert first.status_code == 202
    second = uploaded(alice_client, images.jpeg(500, 200), path="/api/v1/users/me/avatar")
    media = Media.objects.get(pk=second.json()["id"])
    assert (media.width, media.height) == (200, 200)
    assert not Media.objects.filter(pk=first.json()["id"]).exists()  # replaced, files gone
    alice.refresh_from_db()  # the client is signed in as this instance
    me = alice_client.get("/api/v1/users/me").json()
    assert me["avatar"].endswith(media.variants["large"]["name"])
    assert stored_files(media_folders / "media") == set(media.stored_names)
    # A post shows its author's new avatar.
    PostFactory(author=alice)
    posts = alice_client.get(f"/api/v1/users/{alice.pk}/posts").json()["results"]
    assert posts[0]["post"]["author"]["avatar"].endswith(media.variants["large"]["name"])


def test_a_banner_keeps_its_shape(alice, alice_client, uploaded):
    response = uploaded(alice_client, images.jpeg(900, 300), path="/api/v1/users/me/banner")
    media = Media.objects.get(pk=response.json()["id"])
    assert (media.width, media.height) == (900, 300)
    assert media.kind == "banner"
    alice.refresh_from_db()
    assert (
        alice_client.get("/api/v1/users/me")
        .json()["banner"]
        .endswith(media.variants["large"]["name"])
    )
    # A banner is no attachment.
    assert create_post(alice_client, media_ids=[str(media.id)]).status_code == 400
