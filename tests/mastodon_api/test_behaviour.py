"""What the part A routes do beyond answering: shapes, filters, paging, refusals,
profile updates, markers, instance, and constant queries per page."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from relationships import services as rel_services
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.mastodon_api.conftest import masto_api_client, masto_client
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def test_status_shape_and_html_content(alice, bob):
    quoted = tweet_services.post_create(author=bob, text="original")
    post = tweet_services.post_create(
        author=alice,
        text="Hi @bob <script> #Tea https://example.com/x?a=1&b=2\n\nsecond",
        quote_of_id=quoted.id,
    )
    status = masto_client(bob).get(f"/api/v1/statuses/{post.id}").json()
    assert status["id"] == str(post.id)
    assert status["account"]["id"] == str(alice.pk)
    assert status["account"]["acct"] == "alice"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", status["created_at"])
    html = status["content"]
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert 'class="u-url mention">@<span>bob</span></a>' in html
    assert 'class="mention hashtag" rel="tag">#<span>Tea</span></a>' in html
    assert '<a href="https://example.com/x?a=1&amp;b=2"' in html
    assert html.count("<p>") >= 2
    assert f"/api/v1/statuses/{quoted.id}" in html  # the quote, as a link
    assert status["quote_id"] == str(quoted.id)
    assert status["mentions"][0]["username"] == "bob"
    assert status["tags"] == [
        {"name": "tea", "url": "http://mastodon.localhost/tags/tea", "history": []}
    ]
    assert status["visibility"] == "public"


def test_create_refuses_what_warble_cannot_honour(alice):
    client = masto_client(alice)
    for body, field in (
        ({"status": "x", "visibility": "unlisted"}, "visibility"),
        ({"status": "x", "visibility": "direct"}, "visibility"),
        ({"status": "x", "visibility": "private"}, "visibility"),
        ({"status": "x", "sensitive": "true"}, "spoiler_text"),
        ({"status": "x", "spoiler_text": "cw"}, "spoiler_text"),
        ({"status": "x", "poll": {"options": ["a", "b"]}}, "poll"),
        ({"status": ""}, "text"),
        ({"status": "x" * 281}, "text"),
        ({"status": "x", "media_ids": ["123"]}, "media_ids"),
        ({"status": "x", "in_reply_to_id": "abc"}, "in_reply_to_id"),
    ):
        response = client.post("/api/v1/statuses", body, format="json")
        assert response.status_code == 422, (body, response.content)
        assert response.json()["error"].startswith(f"Validation failed: {field}"), response.json()
    ok = client.post("/api/v1/statuses", {"status": "x", "sensitive": "false", "spoiler_text": ""})
    assert ok.status_code == 200
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    private = client.post("/api/v1/statuses", {"status": "y", "visibility": "private"})
    assert private.status_code == 200, private.content


def test_reply_idempotency_delete_and_context(alice, bob):
    client = masto_client(alice)
    parent = tweet_services.post_create(author=bob, text="parent")
    headers = {"HTTP_IDEMPOTENCY_KEY": "abc"}
    first = client.post(
        "/api/v1/statuses", {"status": "re", "in_reply_to_id": str(parent.id)}, **headers
    )
    again = client.post(
        "/api/v1/statuses", {"status": "re", "in_reply_to_id": str(parent.id)}, **headers
    )
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["in_reply_to_id"] == str(parent.id)
    assert first.json()["in_reply_to_account_id"] == str(bob.pk)
    other = client.post("/api/v1/statuses", {"status": "different"}, **headers)
    assert other.status_code == 422
    context = client.get(f"/api/v1/statuses/{parent.id}/context").json()
    assert [s["id"] for s in context["descendants"]] == [first.json()["id"]]
    deleted = client.delete(f"/api/v1/statuses/{first.json()['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["text"] == "re"
    assert client.get(f"/api/v1/statuses/{first.json()['id']}").status_code == 404
    assert masto_client(bob).delete(f"/api/v1/statuses/{parent.id}").status_code == 200
    theirs = tweet_services.post_create(author=bob, text="theirs")
    assert client.delete(f"/api/v1/statuses/{theirs.id}").status_code == 403
    assert client.put(f"/api/v1/statuses/{theirs.id}", {"status": "mine now"}).status_code == 403


def test_account_statuses_filters(alice, bob):
    client = masto_client(bob)
    post = tweet_services.post_create(author=alice, text="top")
    reply = tweet_services.post_create(author=alice, text="reply", reply_to_id=post.id)
    theirs = tweet_services.post_create(author=bob, text="bob's")
    retweet = tweet_services.retweet_create(user=alice, post_id=theirs.id).value
    url = f"/api/v1/accounts/{alice.pk}/statuses"

    def ids(query=""):
        return [s["id"] for s in client.get(f"{url}?{query}").json()]

    assert ids() == [str(retweet.id), str(reply.id), str(post.id)]
    reblog = client.get(url).json()[0]
    assert reblog["reblog"]["id"] == str(theirs.id)
    assert reblog["account"]["username"] == "alice"
    assert ids("exclude_replies=true") == [str(retweet.id), str(post.id)]
    assert ids("exclude_reblogs=true") == [str(reply.id), str(post.id)]
    assert ids("only_media=true") == []
    with_media = PostFactory(author=alice, text="pic", media_ids=["12345"])
    assert ids("only_media=true") == [str(with_media.id)]
    assert ids("pinned=true") == []


def test_link_header_paging(alice, bob):
    posts = [tweet_services.post_create(author=alice, text=f"p{i}") for i in range(5)]
    client = masto_client(bob)
    page = client.get("/api/v1/timelines/public?limit=2")
    assert [s["id"] for s in page.json()] == [str(posts[4].id), str(posts[3].id)]
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', page["Link"]))
    assert f"max_id={posts[3].id}" in links["next"]
    assert f"min_id={posts[4].id}" in links["prev"]
    older = client.get(links["next"].replace("http://mastodon.localhost", ""))
    assert [s["id"] for s in older.json()] == [str(posts[2].id), str(posts[1].id)]
    newer = client.get(f"/api/v1/timelines/public?min_id={posts[0].id}&limit=2")
    assert [s["id"] for s in newer.json()] == [str(posts[2].id), str(posts[1].id)]
    since = client.get(f"/api/v1/timelines/public?since_id={posts[2].id}")
    assert [s["id"] for s in since.json()] == [str(posts[4].id), str(posts[3].id)]
    assert client.get("/api/v1/timelines/public?max_id=x").status_code == 422
    empty = client.get(f"/api/v1/timelines/public?since_id={posts[4].id}")
    assert empty.json() == []
    assert "Link" not in empty


def test_public_timeline_leaves_out_locked_accounts_and_tag_timeline(
    alice, bob, django_capture_on_commit_callbacks
):
    locked = UserFactory(is_private=True)
    FollowFactory(follower=bob, followee=locked)
    with django_capture_on_commit_callbacks(execute=True):  # the hashtag handler
        tweet_services.post_create(author=locked, text="secret #tea")
        shown = tweet_services.post_create(author=alice, text="open #tea")
    client = masto_client(bob)
    assert [s["id"] for s in client.get("/api/v1/timelines/public").json()] == [str(shown.id)]
    tagged = client.get("/api/v1/timelines/tag/Tea").json()
    assert len(tagged) == 2  # bob may see the locked account's post: he follows it
    assert [s["id"] for s in masto_api_client().get("/api/v1/timelines/tag/tea").json()] == [
        str(shown.id)
    ]


def _png() -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(out, "PNG")
    return SimpleUploadedFile("a.png", out.getvalue(), content_type="image/png")


def test_update_credentials(alice, django_capture_on_commit_callbacks):
    client = masto_client(alice)
    with django_capture_on_commit_callbacks(execute=True):  # the media pipeline
        response = client.patch(
            "/api/v1/accounts/update_credentials",
            {"display_name": "Alice A.", "note": "hi <b>", "locked": "true", "avatar": _png()},
            format="multipart",
        )
    assert response.status_code == 200, response.content
    me = client.get("/api/v1/accounts/verify_credentials").json()
    assert me["display_name"] == "Alice A."
    assert me["note"] == "<p>hi &lt;b&gt;</p>"
    assert me["source"]["note"] == "hi <b>"
    assert me["locked"] is True
    assert "missing.png" not in me["avatar"]  # processed by the media pipeline
    assert "missing.png" in me["header"]
    too_long = client.patch("/api/v1/accounts/update_credentials", {"display_name": "x" * 51})
    assert too_long.status_code == 422
    bad_image = client.patch(
        "/api/v1/accounts/update_credentials",
        {"header": SimpleUploadedFile("x.png", b"not an image")},
        format="multipart",
    )
    assert bad_image.status_code in (415, 422)


def test_relationship_routes(alice, bob):
    client = masto_client(bob)
    assert client.post(f"/api/v1/accounts/{alice.pk}/follow").json()["following"] is True
    assert client.post(f"/api/v1/accounts/{alice.pk}/mute").json()["muting"] is True
    assert [a["id"] for a in client.get("/api/v1/mutes").json()] == [str(alice.pk)]
    rels = client.get(f"/api/v1/accounts/relationships?id[]={alice.pk}&id[]=999").json()
    assert [(r["id"], r["following"], r["muting"]) for r in rels] == [(str(alice.pk), True, True)]
    followers = masto_client(alice).get(f"/api/v1/accounts/{alice.pk}/followers").json()
    assert [a["username"] for a in followers] == ["bob"]
    following = client.get(f"/api/v1/accounts/{bob.pk}/following").json()
    assert [a["username"] for a in following] == ["alice"]
    assert client.post(f"/api/v1/accounts/{alice.pk}/block").json()["blocking"] is True
    assert client.post(f"/api/v1/accounts/{alice.pk}/block").json()["following"] is False
    assert [a["id"] for a in client.get("/api/v1/blocks").json()] == [str(alice.pk)]
    assert client.post(f"/api/v1/accounts/{alice.pk}/unblock").json()["blocking"] is False
    assert client.post(f"/api/v1/accounts/{bob.pk}/follow").status_code == 422  # yourself
    assert client.get("/api/v1/accounts/lookup?acct=@alice").json()["id"] == str(alice.pk)
    assert client.get("/api/v1/accounts/lookup?acct=alice@elsewhere.example").status_code == 404
    assert [a["username"] for a in client.get("/api/v1/accounts/search?q=ali").json()] == ["alice"]


def test_follow_request_reject(alice, bob):
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    assert masto_client(bob).post(f"/api/v1/accounts/{alice.pk}/follow").json()["requested"]
    owner = masto_client(alice)
    assert [a["id"] for a in owner.get("/api/v1/follow_requests").json()] == [str(bob.pk)]
    rel = owner.post(f"/api/v1/follow_requests/{bob.pk}/reject").json()
    assert rel["followed_by"] is False
    assert owner.get("/api/v1/follow_requests").json() == []
    assert owner.post(f"/api/v1/follow_requests/{bob.pk}/authorize").status_code == 404


def test_markers(alice):
    client = masto_client(alice)
    assert client.get("/api/v1/markers?timeline[]=home").json() == {}
    saved = client.post("/api/v1/markers", {"home": {"last_read_id": "123"}}, format="json").json()
    assert saved["home"]["last_read_id"] == "123"
    assert saved["home"]["version"] == 0
    again = client.post("/api/v1/markers", {"home[last_read_id]": "124"}).json()
    assert again["home"]["version"] == 1
    got = client.get("/api/v1/markers?timeline[]=home&timeline[]=notifications").json()
    assert list(got) == ["home"]
    assert got["home"]["last_read_id"] == "124"
    assert (
        client.post("/api/v1/markers", {"home": {"last_read_id": "x"}}, format="json").status_code
        == 422
    )
    assert masto_client(UserFactory()).get("/api/v1/markers").json() == {}  # per user


def test_instance_counts_accounts_and_posts_readers_can_see_once_per_interval(db):
    from django.core.cache import cache
    from django.utils import timezone

    from mastodon_api.api.instance import USAGE_KEY

    author, other = UserFactory.create_batch(2)
    suspended = UserFactory(is_active=False)
    PostFactory.create_batch(2, author=author)
    PostFactory(author=author, deleted_at=timezone.now())
    PostFactory(author=author, hidden_at=timezone.now())
    PostFactory(author=suspended)
    client = masto_api_client()
    assert client.get("/api/v1/instance").json()["stats"]["user_count"] == 2
    assert client.get("/api/v1/instance").json()["stats"]["status_count"] == 2
    assert client.get("/api/v2/instance").json()["usage"]["users"]["active_month"] == 2
    assert client.get("/nodeinfo/2.0").json()["usage"] == {"users": {"total": 2}, "localPosts": 2}
    PostFactory(author=other)
    assert client.get("/api/v1/instance").json()["stats"]["status_count"] == 2  # counted before
    cache.delete(USAGE_KEY)  # as when the interval ends
    assert client.get("/api/v1/instance").json()["stats"]["status_count"] == 3


def test_instance_and_nodeinfo(db):
    client = masto_api_client()
    v1 = client.get("/api/v1/instance").json()
    assert v1["uri"] == "mastodon.localhost"
    assert v1["configuration"]["statuses"]["max_characters"] == 280
    assert client.get("/api/v2/instance").status_code == 200
    v2 = client.get("/api/v2/instance/").json()  # a trailing slash works too
    assert v2["configuration"]["statuses"]["max_media_attachments"] == 4
    media = v2["configuration"]["media_attachments"]
    assert "image/png" in media["supported_mime_types"]
    assert media["image_size_limit"] > 0
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert links[0]["href"].endswith("/nodeinfo/2.0")
    assert client.get("/nodeinfo/2.0").json()["software"]["name"] == "warble"
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert "S256" in meta["code_challenge_methods_supported"]


def test_suggestions(alice, bob):
    carol = UserFactory()
    rel_services.follow_create(follower=bob, followee_id=carol.pk)
    rel_services.follow_create(follower=carol, followee_id=alice.pk)
    rows = masto_client(bob).get("/api/v2/suggestions").json()
    assert str(alice.pk) in [r["account"]["id"] for r in rows]


# --- constant queries per page ---------------------------------------------------------


def _queries(client, url) -> tuple[int, int]:
    """(queries, statuses or accounts on the page)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json())


PAGES = [
    "/api/v1/timelines/home",
    "/api/v1/timelines/public",
    "/api/v1/timelines/tag/tea",
    "/api/v1/accounts/{author}/statuses",
    "/api/v1/accounts/{author}/statuses?exclude_reblogs=true",
    "/api/v1/bookmarks",
    "/api/v1/favourites",
    "/api/v1/accounts/{author}/followers",
    "/api/v1/statuses/{post}/favourited_by",
    "/api/v1/blocks",
]


def test_pages_take_constant_queries(bob, settings, django_capture_on_commit_callbacks):
    """Each list page: the same number of queries for 2 and for 8 items (posts with
    mentions, hashtags, reblogs, likes, bookmarks: every attribute the renderer gathers)."""
    # The feed's SQL reader: the Redis reader's first read rebuilds the timeline
    # (tests/tweets/feed covers its costs); rendering is what is counted here.
    settings.FEED_BACKEND = "sql"
    client = masto_client(bob)
    fixed = UserFactory(username="fixed")
    rel_services.follow_create(follower=bob, followee_id=fixed.pk)
    liked = tweet_services.post_create(author=fixed, text="liked by many")

    def grow(n):
        with django_capture_on_commit_callbacks(execute=True):  # hashtags, counters
            for _ in range(n):
                author = UserFactory()
                rel_services.follow_create(follower=bob, followee_id=author.pk)
                post = tweet_services.post_create(author=author, text=f"#tea hi @{bob.username}")
                tweet_services.like_create(user=bob, post_id=post.id)
                tweet_services.bookmark_create(user=bob, post_id=post.id)
                rel_services.follow_create(follower=author, followee_id=fixed.pk)
                tweet_services.like_create(user=author, post_id=liked.id)
                tweet_services.retweet_create(user=fixed, post_id=post.id)
                tweet_services.post_create(author=fixed, text="#tea own")
                rel_services.block_create(blocker=bob, blocked_id=UserFactory().pk)

    def measure():
        found = {}
        for template in PAGES:
            found[template] = _queries(client, template.format(author=fixed.pk, post=liked.id))
        return found

    grow(2)
    small = measure()
    grow(6)
    large = measure()
    for template in PAGES:
        assert large[template][1] > small[template][1], template  # the page grew
        assert large[template][0] == small[template][0], template
