"""Posts: create, read, edit, delete, replies, quotes, history, thread context."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from core.models import OutboxEvent
from tests.factories import MediaFactory, PostFactory, RetweetFactory
from tests.tweets.conftest import client_for
from tweets import selectors
from tweets.models import Post, PostEdit

pytestmark = pytest.mark.django_db

POST_FIELDS = {
    "id",
    "text",
    "author",
    "created_at",
    "edited_at",
    "conversation_id",
    "reply_to",
    "quote_of",
    "media",
    "mentions",
    "hashtags",
    "like_count",
    "retweet_count",
    "reply_count",
    "quote_count",
    "liked",
    "retweeted",
    "bookmarked",
}
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def create(client, **body):
    return client.post("/api/v1/posts", body, format="json")


def error_attrs(response) -> set:
    body = response.json()
    assert body["type"] == "validation_error"
    return {error["attr"] for error in body["errors"]}


def events(name: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("id")]


# --- create ------------------------------------------------------------------


def test_create_returns_the_full_post_shape(alice, alice_client):
    response = create(alice_client, text="  hello   world \n")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == POST_FIELDS
    assert body["text"] == "hello   world"
    assert isinstance(body["id"], str)
    assert body["conversation_id"] == body["id"]
    assert body["author"]["id"] == str(alice.id)
    assert body["author"]["username"] == "alice"
    assert body["reply_to"] is None
    assert body["quote_of"] is None
    assert body["edited_at"] is None
    assert body["media"] == []
    counters = ("like_count", "retweet_count", "reply_count", "quote_count")
    assert [body[c] for c in counters] == [0, 0, 0, 0]
    assert (body["liked"], body["retweeted"], body["bookmarked"]) == (False, False, False)
    alice.refresh_from_db()
    assert alice.posts_count == 1
    assert Post.objects.get(pk=int(body["id"])).text == "hello   world"


def test_281_characters_is_400_and_nothing_is_created(alice, alice_client):
    response = create(alice_client, text="a" * 281)
    assert response.status_code == 400
    assert error_attrs(response) == {"text"}
    assert not Post.objects.exists()
    alice.refresh_from_db()
    assert alice.posts_count == 0


def test_280_emoji_are_accepted(alice_client):
    response = create(alice_client, text=FAMILY * 280)
    assert response.status_code == 201, response.json()
    assert response.json()["text"] == FAMILY * 280


def test_281_emoji_are_refused(alice_client):
    assert create(alice_client, text="\U0001f600" * 281).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": " \n\t "},
        {"text": "\u202e\x00"},
        {"text": ["a list"]},
        {"text": "ok", "reply_to": "not-an-id"},
        {"text": "ok", "quote_of": "99999999999999999999"},
        {"text": "ok", "media_ids": ["1", "2", "3", "4", "5"]},
        {"text": "ok", "media_ids": "1"},
    ],
)
def test_bad_input_is_400_in_the_error_format(alice_client, body):
    response = create(alice_client, **body)
    assert response.status_code == 400, response.json()
    assert error_attrs(response)
    assert not Post.objects.exists()


def test_media_ids_are_stored_and_rendered(alice, alice_client):
    first, second = (str(MediaFactory(owner=alice).id) for _ in range(2))
    response = create(alice_client, text="pics", media_ids=[first, second, first])
    assert response.status_code == 201
    assert [m["id"] for m in response.json()["media"]] == [first, second]


def test_media_ids_that_do_not_exist_are_400(alice_client):
    """They were echoed back before the media app existed."""
    response = create(alice_client, text="pics", media_ids=["11"])
    assert response.status_code == 400
    assert "11" in response.json()["errors"][0]["detail"]


def test_anonymous_cannot_post(api_client):
    assert create(api_client, text="hi").status_code == 401


def test_create_publishes_post_created(alice, alice_client):
    body = create(alice_client, text="hi").json()
    assert events("post.created") == [
        {
            "post_id": int(body["id"]),
            "author_id": alice.id,
            "reply_to_id": None,
            "quote_of_id": None,
            "conversation_id": int(body["id"]),
        }
    ]
    assert events("reply.created") == []
    assert events("quote.created") == []


# --- replies and quotes --------------------------------------------------------


def test_reply_through_create_and_comment_endpoints(alice, bob, alice_client, bob_client):
    root = PostFactory(author=alice)
    first = create(bob_client, text="first", reply_to=str(root.id))
    assert first.status_code == 201, first.json()
    second = bob_client.post(f"/api/v1/posts/{first.json()['id']}/comment", {"text": "deeper"})
    assert second.status_code == 201, second.json()

    reply = second.json()
    assert reply["conversation_id"] == str(root.id)
    assert reply["reply_to"]["id"] == first.json()["id"]
    assert reply["reply_to"]["available"] is True
    assert reply["reply_to"]["author"]["username"] == "bob"
    assert reply["reply_to"]["text"] == "first"
    root.refresh_from_db()
    assert root.reply_count == 1  # direct replies only
    assert Post.objects.get(pk=int(first.json()["id"])).reply_count == 1
    bob.refresh_from_db()
    assert bob.posts_count == 2

    payload = events("reply.created")[-1]
    assert payload == {
        "post_id": int(reply["id"]),
        "author_id": bob.id,
        "reply_to_id": int(first.json()["id"]),
        "reply_to_author_id": bob.id,
        "conversation_id": root.id,
    }


def test_quote_embeds_the_quoted_post_and_counts_it(alice, bob, bob_client):
    quoted = PostFactory(author=alice, text="original")
    response = create(bob_client, text="so true", quote_of=str(quoted.id))
    assert response.status_code == 201
    body = response.json()
    assert body["quote_of"]["id"] == str(quoted.id)
    assert body["quote_of"]["available"] is True
    assert body["quote_of"]["text"] == "original"
    assert body["quote_of"]["author"]["username"] == "alice"
    assert body["reply_to"] is None
    assert body["conversation_id"] == body["id"]  # a quote starts its own thread
    quoted.refresh_from_db()
    assert quoted.quote_count == 1
    assert events("quote.created") == [
        {
            "post_id": int(body["id"]),
            "author_id": bob.id,
            "quote_of_id": quoted.id,
            "quote_of_author_id": alice.id,
        }
    ]


@pytest.mark.parametrize("field", ["reply_to", "quote_of"])
def test_reply_to_or_quote_of_a_deleted_post_is_404(alice, bob_client, field):
    target = PostFactory(author=alice, deleted_at=timezone.now())
    response = create(bob_client, text="hello?", **{field: str(target.id)})
    assert response.status_code == 404
    assert Post.objects.count() == 1


def test_comment_on_a_deleted_or_missing_post_is_404(alice, bob_client):
    deleted = PostFactory(author=alice, deleted_at=timezone.now())
    assert bob_client.post(f"/api/v1/posts/{deleted.id}/comment", {"text": "x"}).status_code == 404
    assert bob_client.post("/api/v1/posts/12345/comment", {"text": "x"}).status_code == 404
    assert Post.objects.count() == 1


def test_reply_to_a_retweet_id_replies_to_the_original(alice, bob, bob_client):
    original = PostFactory(author=alice)
    retweet = RetweetFactory(user=bob, post=original)
    response = bob_client.post(f"/api/v1/posts/{retweet.id}/comment", {"text": "x"})
    assert response.status_code == 201
    assert response.json()["reply_to"]["id"] == str(original.id)


# --- read --------------------------------------------------------------------


def test_get_post(alice, bob_client):
    post = PostFactory(author=alice, text="visible")
    response = bob_client.get(f"/api/v1/posts/{post.id}")
    assert response.status_code == 200
    assert response.json()["text"] == "visible"


@pytest.mark.parametrize(
    "hide",
    [
        lambda post: Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now()),
        lambda post: User.objects.filter(pk=post.author_id).update(is_active=False),
        lambda post: User.objects.filter(pk=post.author_id).update(deactivated_at=timezone.now()),
    ],
    ids=["deleted", "author-suspended", "author-deactivated"],
)
def test_hidden_posts_are_404(bob_client, hide):
    post = PostFactory()
    hide(post)
    assert bob_client.get(f"/api/v1/posts/{post.id}").status_code == 404


def test_unknown_and_oversized_ids_are_404(bob_client):
    assert bob_client.get("/api/v1/posts/1").status_code == 404
    response = bob_client.get(f"/api/v1/posts/{2**64}")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


# --- edit --------------------------------------------------------------------


def test_author_edits_within_the_window_and_history_keeps_old_text(alice, alice_client):
    post_id = create(alice_client, text="frist").json()["id"]
    response = alice_client.patch(f"/api/v1/posts/{post_id}", {"text": "first"})
    assert response.status_code == 200, response.json()
    assert response.json()["text"] == "first"
    assert response.json()["edited_at"] is not None
    alice_client.patch(f"/api/v1/posts/{post_id}", {"text": "first!"})

    history = alice_client.get(f"/api/v1/posts/{post_id}/history")
    assert history.status_code == 200
    assert [e["text"] for e in history.json()["results"]] == ["first", "frist"]
    assert set(history.json()["results"][0]) == {"id", "text", "edited_at"}

    edits = events("post.edited")
    assert len(edits) == 2
    assert edits[0]["post_id"] == int(post_id)
    assert edits[0]["author_id"] == alice.id
    assert set(edits[0]) == {"post_id", "author_id", "edit_id"}


def test_edit_with_the_same_text_records_nothing(alice_client):
    post_id = create(alice_client, text="same").json()["id"]
    response = alice_client.patch(f"/api/v1/posts/{post_id}", {"text": " same "})
    assert response.status_code == 200
    assert response.json()["edited_at"] is None
    assert not PostEdit.objects.exists()
    assert events("post.edited") == []


def test_history_is_visible_to_others_who_see_the_post(alice_client, bob_client):
    post_id = create(alice_client, text="v1").json()["id"]
    alice_client.patch(f"/api/v1/posts/{post_id}", {"text": "v2"})
    response = bob_client.get(f"/api/v1/posts/{post_id}/history")
    assert [e["text"] for e in response.json()["results"]] == ["v1"]


def test_edit_after_30_minutes_is_403(alice, alice_client):
    post = PostFactory(author=alice, created_at=timezone.now() - timedelta(minutes=31))
    response = alice_client.patch(f"/api/v1/posts/{post.id}", {"text": "too late"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "edit_window_closed"
    post.refresh_from_db()
    assert post.text != "too late"


def test_edit_window_comes_from_settings(alice, alice_client, settings):
    settings.POST_EDIT_WINDOW_MINUTES = 60
    post = PostFactory(author=alice, created_at=timezone.now() - timedelta(minutes=45))
    assert alice_client.patch(f"/api/v1/posts/{post.id}", {"text": "ok"}).status_code == 200


def test_edit_validates_text(alice_client):
    post_id = create(alice_client, text="fine").json()["id"]
    response = alice_client.patch(f"/api/v1/posts/{post_id}", {"text": "x" * 281})
    assert response.status_code == 400
    assert error_attrs(response) == {"text"}


def test_another_user_cannot_edit_or_delete(alice, bob_client):
    post = PostFactory(author=alice, text="mine")
    assert bob_client.patch(f"/api/v1/posts/{post.id}", {"text": "yours"}).status_code == 403
    assert bob_client.delete(f"/api/v1/posts/{post.id}").status_code == 403
    post.refresh_from_db()
    assert (post.text, post.deleted_at) == ("mine", None)


def test_editing_or_deleting_a_hidden_post_is_404(alice, alice_client):
    post = PostFactory(author=alice, deleted_at=timezone.now())
    assert alice_client.patch(f"/api/v1/posts/{post.id}", {"text": "x"}).status_code == 404
    assert alice_client.delete(f"/api/v1/posts/{post.id}").status_code == 404
    assert alice_client.get(f"/api/v1/posts/{post.id}/history").status_code == 404


# --- delete ------------------------------------------------------------------


def test_delete_hides_the_post_and_takes_back_its_counts_once(alice, bob, alice_client):
    parent = PostFactory(author=bob)
    quoted = PostFactory(author=bob)
    post_id = create(
        alice_client, text="x", reply_to=str(parent.id), quote_of=str(quoted.id)
    ).json()["id"]
    parent.refresh_from_db()
    quoted.refresh_from_db()
    alice.refresh_from_db()
    assert (parent.reply_count, quoted.quote_count, alice.posts_count) == (1, 1, 1)

    assert alice_client.delete(f"/api/v1/posts/{post_id}").status_code == 204
    assert alice_client.get(f"/api/v1/posts/{post_id}").status_code == 404
    assert alice_client.delete(f"/api/v1/posts/{post_id}").status_code == 404

    parent.refresh_from_db()
    quoted.refresh_from_db()
    alice.refresh_from_db()
    assert (parent.reply_count, quoted.quote_count, alice.posts_count) == (0, 0, 0)
    assert Post.objects.filter(pk=int(post_id), deleted_at__isnull=False).exists()
    assert events("post.deleted") == [
        {
            "post_id": int(post_id),
            "author_id": alice.id,
            "reply_to_id": parent.id,
            "quote_of_id": quoted.id,
            "conversation_id": parent.conversation_id,
        }
    ]


def test_replies_to_a_deleted_post_stay_and_show_it_unavailable(alice, bob, alice_client):
    parent_id = create(alice_client, text="parent").json()["id"]
    reply_id = create(client_for(bob), text="reply", reply_to=parent_id).json()["id"]
    quote_id = create(client_for(bob), text="quote", quote_of=parent_id).json()["id"]
    alice_client.delete(f"/api/v1/posts/{parent_id}")

    reply = alice_client.get(f"/api/v1/posts/{reply_id}").json()
    assert reply["reply_to"] == {
        "id": parent_id,
        "available": False,
        "author": None,
        "text": None,
        "created_at": None,
        "media": [],
    }
    quote = alice_client.get(f"/api/v1/posts/{quote_id}").json()
    assert quote["quote_of"]["available"] is False
    assert quote["quote_of"]["text"] is None


# --- comments ----------------------------------------------------------------


def test_comments_lists_direct_visible_replies_newest_first(alice, bob_client):
    root = PostFactory(author=alice)
    older = PostFactory(reply_to=root)
    newer = PostFactory(reply_to=root)
    PostFactory(reply_to=older)  # a grandchild: not a direct reply
    PostFactory(reply_to=root, deleted_at=timezone.now())
    PostFactory()  # unrelated
    response = bob_client.get(f"/api/v1/posts/{root.id}/comments")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [str(newer.id), str(older.id)]
    assert response.json()["next"] is None


def test_comments_paginate_with_a_cursor(alice, bob_client):
    root = PostFactory(author=alice)
    replies = [PostFactory(reply_to=root) for _ in range(5)]
    expected = [str(p.id) for p in reversed(replies)]
    seen, url = [], f"/api/v1/posts/{root.id}/comments?limit=2"
    while url:
        page = bob_client.get(url).json()
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert seen == expected


def test_comments_of_a_hidden_post_are_404(bob_client):
    root = PostFactory(deleted_at=timezone.now())
    assert bob_client.get(f"/api/v1/posts/{root.id}/comments").status_code == 404


# --- context -------------------------------------------------------------------


def test_context_returns_ancestors_and_descendants(alice, bob_client):
    root = PostFactory(author=alice)
    a = PostFactory(reply_to=root)
    b = PostFactory(reply_to=a)
    sibling = PostFactory(reply_to=root)  # not an ancestor or descendant of b
    c1 = PostFactory(reply_to=b)
    c2 = PostFactory(reply_to=b)
    gone = PostFactory(reply_to=c1, deleted_at=timezone.now())
    d = PostFactory(reply_to=gone)  # under a deleted reply: still shown
    e = PostFactory(reply_to=c1)

    response = bob_client.get(f"/api/v1/posts/{b.id}/context")
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["ancestors"]] == [str(root.id), str(a.id)]
    assert body["post"]["id"] == str(b.id)
    assert [p["id"] for p in body["descendants"]] == [str(c1.id), str(c2.id), str(e.id), str(d.id)]
    assert str(sibling.id) not in {p["id"] for p in body["descendants"]}


def test_context_skips_deleted_ancestors(alice, bob_client):
    root = PostFactory(author=alice)
    middle = PostFactory(reply_to=root, deleted_at=timezone.now())
    leaf = PostFactory(reply_to=middle)
    body = bob_client.get(f"/api/v1/posts/{leaf.id}/context").json()
    assert [p["id"] for p in body["ancestors"]] == [str(root.id)]
    assert body["post"]["reply_to"]["available"] is False


def test_context_is_bounded(alice, bob_client, monkeypatch):
    monkeypatch.setattr(selectors, "CONTEXT_MAX_DESCENDANTS", 3)
    monkeypatch.setattr(selectors, "CONTEXT_MAX_ANCESTORS", 2)
    chain = [PostFactory(author=alice)]
    for _ in range(4):
        chain.append(PostFactory(reply_to=chain[-1]))
    body = bob_client.get(f"/api/v1/posts/{chain[2].id}/context").json()
    assert [p["id"] for p in body["ancestors"]] == [str(chain[0].id), str(chain[1].id)]
    body = bob_client.get(f"/api/v1/posts/{chain[4].id}/context").json()
    assert [p["id"] for p in body["ancestors"]] == [str(chain[2].id), str(chain[3].id)]
    for _ in range(5):
        PostFactory(reply_to=chain[0])
    body = bob_client.get(f"/api/v1/posts/{chain[0].id}/context").json()
    assert len(body["descendants"]) == 3


def test_context_of_a_hidden_post_is_404(bob_client):
    post = PostFactory(deleted_at=timezone.now())
    assert bob_client.get(f"/api/v1/posts/{post.id}/context").status_code == 404


# --- idempotency ---------------------------------------------------------------


def test_same_idempotency_key_creates_one_post_and_replays(alice_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f1c-key"}
    first = alice_client.post("/api/v1/posts", {"text": "once"}, format="json", **headers)
    second = alice_client.post("/api/v1/posts", {"text": "once"}, format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Post.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_422(alice_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f1c-key"}
    alice_client.post("/api/v1/posts", {"text": "once"}, format="json", **headers)
    response = alice_client.post("/api/v1/posts", {"text": "twice"}, format="json", **headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Post.objects.count() == 1


def test_idempotency_keys_are_per_user(alice_client, bob_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "shared"}
    alice_client.post("/api/v1/posts", {"text": "a"}, format="json", **headers)
    assert (
        bob_client.post("/api/v1/posts", {"text": "a"}, format="json", **headers).status_code == 201
    )
    assert Post.objects.count() == 2


def test_comment_honours_idempotency_key(alice, bob_client):
    root = PostFactory(author=alice)
    headers = {"HTTP_IDEMPOTENCY_KEY": "reply-1"}
    url = f"/api/v1/posts/{root.id}/comment"
    bob_client.post(url, {"text": "hi"}, format="json", **headers)
    bob_client.post(url, {"text": "hi"}, format="json", **headers)
    root.refresh_from_db()
    assert root.reply_count == 1
    assert Post.objects.filter(reply_to=root).count() == 1


def test_write_endpoints_are_throttled_with_the_write_scope(alice_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "write": "2/min",
        },
    }
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        statuses = [create(alice_client, text=f"p{i}").status_code for i in range(3)]
        post_id = Post.objects.first().id
        reads = [alice_client.get(f"/api/v1/posts/{post_id}").status_code for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert statuses == [201, 201, 429]
    assert reads == [200, 200, 200]
