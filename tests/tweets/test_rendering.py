"""One renderer for every post (tweets.rendering): the same post looks the same on
every path that shows it, and what is rendered is what the schema declares."""

import pytest
from django.core.cache import cache

from notifications import realtime
from notifications.models import Notification, TargetType, Verb
from relationships.models import Follow
from tests.factories import MediaFactory, PostFactory, UserFactory
from tests.schema import assert_matches, openapi_schema
from tests.tweets.conftest import client_for
from tweets import services
from tweets.feed import hydrate
from tweets.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict:
    return openapi_schema()


# --- one post through every path --------------------------------------------------------


@pytest.fixture
def scene(settings):
    """A post with everything rendering gathers: a reply (to a post whose author the
    viewer follows), a quote with media, media of its own, mentions (one of nobody),
    counters, the viewer's flags (liked and bookmarked, not retweeted) and an edit."""
    settings.POST_EDIT_WINDOW_MINUTES = 30
    viewer, author, parent_author, quoted_author, other = (
        UserFactory(username=name) for name in ("viewer", "author", "parent", "quoted", "other")
    )
    Follow.objects.bulk_create(
        Follow(follower=viewer, followee=followee) for followee in (author, parent_author)
    )
    parent = PostFactory(author=parent_author, text="the parent")
    quoted_media = [MediaFactory(owner=quoted_author, alt_text=f"q{i}") for i in range(2)]
    quoted = PostFactory(
        author=quoted_author, text="the quoted", media_ids=[m.id for m in quoted_media]
    )
    own_media = [MediaFactory(owner=author) for _ in range(2)]
    post = services.post_create(
        author=author,
        text="first text @viewer",
        reply_to_id=parent.id,
        quote_of_id=quoted.id,
    )
    Post.objects.filter(pk=post.pk).update(media_ids=[m.id for m in own_media])
    services.post_edit(user=author, post_id=post.id, text="hi @viewer, @Quoted and @nobody")
    services.like_create(user=viewer, post_id=post.id)
    services.bookmark_create(user=viewer, post_id=post.id)
    services.like_create(user=other, post_id=post.id)
    services.retweet_create(user=other, post_id=post.id)
    services.post_create(author=other, text="a reply", reply_to_id=post.id)
    services.post_create(author=other, text="a quote", quote_of_id=post.id)
    notification, _ = Notification.objects.get_or_create(
        recipient=viewer,
        actor=author,
        verb=Verb.MENTION,
        target_type=TargetType.POST,
        target_id=post.id,
    )
    return {
        "viewer": viewer,
        "author": author,
        "post": Post.objects.get(pk=post.pk),
        "parent": parent,
        "quoted": quoted,
        "quoted_author": quoted_author,
        "notification": notification,
    }


def _one(items, post_id: int, key=lambda item: item) -> dict:
    found = [key(item) for item in items if key(item)["id"] == str(post_id)]
    assert len(found) == 1, f"{len(found)} renderings of post {post_id}"
    return found[0]


def _entry_post(entries, post_id: int) -> dict:
    return _one([e for e in entries if e["type"] == "post"], post_id, key=lambda e: e["post"])


def _get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return response.json()


def test_every_path_renders_the_same_post(scene, settings, monkeypatch, openapi):
    viewer, author, post = scene["viewer"], scene["author"], scene["post"]
    client = client_for(viewer)
    detail = _get(client, f"/api/v1/posts/{post.id}")

    # The detail itself is right, so "equal to the detail" means right everywhere.
    assert detail["text"] == "hi @viewer, @Quoted and @nobody"
    assert detail["edited_at"] is not None
    assert detail["author"]["username"] == "author"
    assert detail["reply_to"]["id"] == str(scene["parent"].id)
    assert detail["reply_to"]["available"] is True
    assert detail["reply_to"]["author"]["username"] == "parent"
    assert detail["quote_of"]["text"] == "the quoted"
    quoted_media = Post.objects.get(pk=scene["quoted"].id).media_ids
    assert [m["id"] for m in detail["quote_of"]["media"]] == [str(i) for i in quoted_media]
    assert [m["alt_text"] for m in detail["quote_of"]["media"]] == ["q0", "q1"]
    assert [m["id"] for m in detail["media"]] == [
        str(i) for i in Post.objects.get(pk=scene["post"].id).media_ids
    ]
    assert detail["media"][0]["variants"]["small"]["width"] == 400
    assert detail["mentions"] == [
        {"username": "viewer", "user_id": str(viewer.pk), "start": 3, "end": 10},
        {"username": "Quoted", "user_id": str(scene["quoted_author"].pk), "start": 12, "end": 19},
    ]
    counters = ("like_count", "retweet_count", "reply_count", "quote_count")
    assert [detail[name] for name in counters] == [2, 1, 1, 1]
    assert [detail[name] for name in ("liked", "retweeted", "bookmarked")] == [True, False, True]
    assert_matches(openapi, detail, path="/api/v1/posts/{post_id}")

    seen: dict[str, dict] = {}
    parent_id = scene["parent"].id
    seen["comments"] = _one(_get(client, f"/api/v1/posts/{parent_id}/comments")["results"], post.id)
    seen["thread (post)"] = _get(client, f"/api/v1/posts/{post.id}/context")["post"]
    parent_thread = _get(client, f"/api/v1/posts/{parent_id}/context")
    assert_matches(openapi, parent_thread, path="/api/v1/posts/{post_id}/context")
    seen["thread (descendant)"] = _one(parent_thread["descendants"], post.id)
    timeline = _get(client, f"/api/v1/users/{author.id}/posts?include_replies=true")
    assert_matches(openapi, timeline, path="/api/v1/users/{user_id}/posts")
    seen["user timeline"] = _entry_post(timeline["results"], post.id)
    bookmarks = _get(client, "/api/v1/bookmarks")
    assert_matches(openapi, bookmarks, path="/api/v1/bookmarks")
    bookmarked = _one(bookmarks["results"], post.id)
    assert bookmarked.pop("bookmarked_at") is not None
    seen["bookmarks"] = bookmarked
    likes = _get(client, f"/api/v1/users/{viewer.id}/likes")
    seen["likes"] = _one(likes["results"], post.id)
    like_again = client.post(f"/api/v1/posts/{post.id}/like")
    assert like_again.status_code == 200
    seen["like response"] = like_again.json()

    settings.FEED_BACKEND = "redis"
    cache.delete_pattern("pp:*")
    cold = _get(client, "/api/v1/feed")
    assert cache.get(hydrate.payload_key(post.id, post.version)) is not None
    warm = _get(client, "/api/v1/feed")
    settings.FEED_BACKEND = "sql"
    sql = _get(client, "/api/v1/feed")
    assert_matches(openapi, cold, path="/api/v1/feed")
    seen["feed (redis, cold payloads)"] = _entry_post(cold["results"], post.id)
    seen["feed (redis, warm payloads)"] = _entry_post(warm["results"], post.id)
    seen["feed (sql)"] = _entry_post(sql["results"], post.id)

    listed = _one(_get(client, "/api/v1/notifications")["results"], scene["notification"].id)
    seen["notification target"] = listed["target"]
    pushed: list[dict] = []
    monkeypatch.setattr(
        realtime, "push_to_user", lambda *, user_id, payload: pushed.append(payload)
    )
    realtime.push_new_notifications(ids_by_recipient={viewer.pk: [scene["notification"].id]})
    pushed_notification = pushed[0]["notification"]
    assert pushed_notification == listed  # the same object: equal as a whole
    assert_matches(openapi, pushed_notification, component="Notification")
    seen["notification push target"] = pushed_notification["target"]

    different = {path: rendered for path, rendered in seen.items() if rendered != detail}
    assert not different, f"differs from the detail on: {sorted(different)}"

    # post.updated carries the viewer-independent part: the same values as the detail.
    frame = realtime.post_update_frame(post_id=post.id, post=Post.objects.get(pk=post.pk))
    update = frame["post"]
    assert update.pop("deleted") is False
    assert update == {name: detail[name] for name in update}
    assert set(update) == {"id", "text", "edited_at", *counters}


def test_a_new_post_renders_as_it_reads_back(alice, bob):
    parent = PostFactory(author=bob, text="parent")
    media = MediaFactory(owner=bob)
    quoted = PostFactory(author=bob, text="quoted", media_ids=[media.id])
    client = client_for(alice)
    response = client.post(
        "/api/v1/posts",
        {"text": "hey @bob", "reply_to": str(parent.id), "quote_of": str(quoted.id)},
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["mentions"][0]["user_id"] == str(bob.pk)
    assert [m["id"] for m in created["quote_of"]["media"]] == [str(media.id)]
    assert created == _get(client, f"/api/v1/posts/{created['id']}")


def test_unavailable_references_and_retweets_match_the_schema(alice, bob, openapi):
    gone = PostFactory(author=bob)
    post = PostFactory(author=bob, quote_of=gone, reply_to=gone)
    Post.objects.filter(pk=gone.pk).update(deleted_at=post.created_at)
    services.retweet_create(user=bob, post_id=post.id)
    client = client_for(alice)
    body = _get(client, f"/api/v1/users/{bob.id}/posts?include_replies=true")
    assert_matches(openapi, body, path="/api/v1/users/{user_id}/posts")
    retweet, original = body["results"]
    assert retweet["type"] == "retweet"
    assert retweet["retweeted_by"]["username"] == "bob"
    assert retweet["post"] == original["post"]
    assert original["post"]["quote_of"] == {
        "id": str(gone.id),
        "available": False,
        "author": None,
        "text": None,
        "created_at": None,
        "media": [],
    }


def test_notifications_of_every_target_kind_match_the_schema(alice, bob, openapi):
    post = PostFactory(author=alice)
    for verb, target_type, target_id in [
        (Verb.LIKE, TargetType.POST, post.id),
        (Verb.FOLLOW, TargetType.NONE, 0),
        (Verb.FOLLOW_APPROVED, TargetType.USER, bob.pk),
    ]:
        Notification.objects.create(
            recipient=alice, actor=bob, verb=verb, target_type=target_type, target_id=target_id
        )
    body = _get(client_for(alice), "/api/v1/notifications")
    assert len(body["results"]) == 3
    assert_matches(openapi, body, path="/api/v1/notifications")
    targets = {n["verb"]: n["target"] for n in body["results"]}
    assert targets["like"]["id"] == str(post.id)
    assert targets["follow"] is None
    assert targets["follow_approved"]["username"] == "bob"


def test_the_checker_catches_a_field_the_schema_does_not_declare(alice, openapi):
    """The schema tests above would pass vacuously if the checker accepted anything."""
    post = _get(client_for(alice), f"/api/v1/posts/{PostFactory().id}")
    assert_matches(openapi, post, component="Post")
    for broken in (
        {**post, "extra": 1},
        {k: v for k, v in post.items() if k != "liked"},
        {**post, "like_count": "1"},
        {**post, "author": None},
        {**post, "created_at": "yesterday"},
    ):
        with pytest.raises(AssertionError):
            assert_matches(openapi, broken, component="Post")
