"""Mastodon notifications: GET /api/v1/notifications, GET /api/v1/notifications/{id},
POST /api/v1/notifications/clear, POST /api/v1/notifications/{id}/dismiss."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, TargetType, Verb
from notifications.services import Cause, notify
from tests.factories import BlockFactory, PostFactory, UserFactory
from tests.mastodon_api.conftest import masto_client

pytestmark = pytest.mark.django_db


def make(recipient, actor, verb, post=None) -> Notification:
    cause = Cause(
        recipient_id=recipient.pk,
        actor_id=actor.pk,
        verb=verb,
        target_type=TargetType.POST if post else TargetType.NONE,
        target_id=post.pk if post else 0,
    )
    notify(causes=[cause])
    return Notification.objects.get(**cause.key)


@pytest.fixture
def world():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice, text="hello #warble")
    reply = PostFactory(author=bob, text="@alice hi", reply_to=post)
    rows = {
        "follow": make(alice, bob, Verb.FOLLOW),
        "favourite": make(alice, bob, Verb.LIKE, post),
        "reblog": make(alice, bob, Verb.RETWEET, post),
        "mention": make(alice, bob, Verb.REPLY, reply),
    }
    return alice, bob, post, reply, rows


@pytest.fixture
def alice_client(world):
    return masto_client(world[0], "read write")


def next_link(response) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return found.group(1) if found else None


def test_the_list_shows_mastodon_notifications_newest_first(world, alice_client):
    _alice, _bob, post, reply, rows = world
    response = alice_client.get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert [n["type"] for n in body] == ["mention", "reblog", "favourite", "follow"]
    assert [n["id"] for n in body] == [
        str(rows[k].id) for k in ("mention", "reblog", "favourite", "follow")
    ]
    mention, _reblog, favourite, follow = body
    assert follow["account"]["username"] == "bob"
    assert follow["status"] is None
    assert favourite["status"]["id"] == str(post.id)
    assert mention["status"]["id"] == str(reply.id)
    assert mention["status"]["in_reply_to_id"] == str(post.id)
    assert favourite["created_at"].endswith("Z")
    assert 'rel="prev"' in response["Link"]


def test_types_and_exclude_types_filter(world, alice_client):
    only = alice_client.get("/api/v1/notifications?types[]=favourite&types[]=follow")
    assert [n["type"] for n in only.json()] == ["favourite", "follow"]
    without = alice_client.get(
        "/api/v1/notifications?exclude_types[]=mention&exclude_types[]=follow"
    )
    assert [n["type"] for n in without.json()] == ["reblog", "favourite"]
    unknown = alice_client.get("/api/v1/notifications?types[]=poll")
    assert unknown.status_code == 200
    assert unknown.json() == []
    link = alice_client.get("/api/v1/notifications?types[]=favourite&limit=1")
    assert "types%5B%5D=favourite" in link["Link"]


def test_the_list_pages_with_link_headers_and_ids(world, alice_client):
    _alice, _bob, _post, _reply, rows = world
    first = alice_client.get("/api/v1/notifications?limit=2")
    assert [n["type"] for n in first.json()] == ["mention", "reblog"]
    second = alice_client.get(next_link(first))
    assert [n["type"] for n in second.json()] == ["favourite", "follow"]
    # A client may page by the entity ids it holds, too.
    newer = alice_client.get(f"/api/v1/notifications?min_id={rows['favourite'].id}")
    assert [n["type"] for n in newer.json()] == ["mention", "reblog"]
    since = alice_client.get(f"/api/v1/notifications?since_id={rows['reblog'].id}")
    assert [n["type"] for n in since.json()] == ["mention"]
    assert alice_client.get("/api/v1/notifications?max_id=x").status_code == 422


def test_a_blocked_actor_and_a_hidden_post_drop_out(world, alice_client):
    alice, _bob, _post, _reply, _rows = world
    carol = UserFactory(username="carol")
    make(alice, carol, Verb.FOLLOW)
    BlockFactory(blocker=alice, blocked=carol)
    body = alice_client.get("/api/v1/notifications").json()
    assert "carol" not in {n["account"]["username"] for n in body}


def test_get_one_and_not_found(world, alice_client):
    alice, bob, _post, _reply, rows = world
    one = alice_client.get(f"/api/v1/notifications/{rows['favourite'].id}")
    assert one.status_code == 200
    assert one.json()["type"] == "favourite"
    bobs = make(bob, alice, Verb.FOLLOW)
    missing = alice_client.get(f"/api/v1/notifications/{bobs.id}")
    assert missing.status_code == 404
    assert "error" in missing.json()
    assert alice_client.get("/api/v1/notifications/1").status_code == 404
    assert alice_client.get(f"/api/v1/notifications/{2**64}").status_code == 404


def test_dismiss_deletes_one_of_yours_only(world, alice_client):
    alice, bob, _post, _reply, rows = world
    done = alice_client.post(f"/api/v1/notifications/{rows['follow'].id}/dismiss")
    assert done.status_code == 200
    assert not Notification.objects.filter(pk=rows["follow"].id).exists()
    bobs = make(bob, alice, Verb.FOLLOW)
    assert alice_client.post(f"/api/v1/notifications/{bobs.id}/dismiss").status_code == 404
    assert Notification.objects.filter(pk=bobs.id).exists()
    assert alice_client.post("/api/v1/notifications/1/dismiss").status_code == 404
    assert alice_client.post(f"/api/v1/notifications/{2**64}/dismiss").status_code == 404


def test_clear_deletes_all_of_yours_only(world, alice_client):
    alice, bob, _post, _reply, _rows = world
    bobs = make(bob, alice, Verb.FOLLOW)
    assert alice_client.post("/api/v1/notifications/clear").status_code == 200
    assert alice_client.get("/api/v1/notifications").json() == []
    assert Notification.objects.filter(pk=bobs.id).exists()


def test_auth_failures_and_scopes(world, masto):
    alice = world[0]
    notification = world[4]["follow"]
    for method, path in (
        ("get", "/api/v1/notifications"),
        ("get", f"/api/v1/notifications/{notification.id}"),
        ("post", "/api/v1/notifications/clear"),
        ("post", f"/api/v1/notifications/{notification.id}/dismiss"),
    ):
        response = getattr(masto, method)(path)
        assert response.status_code == 401, path
        assert "error" in response.json()
    statuses_only = masto_client(alice, "read:statuses write:statuses")
    assert statuses_only.get("/api/v1/notifications").status_code == 403
    assert statuses_only.post("/api/v1/notifications/clear").status_code == 403
    read_only = masto_client(alice, "read")
    assert read_only.get("/api/v1/notifications").status_code == 200
    assert read_only.post(f"/api/v1/notifications/{notification.id}/dismiss").status_code == 403
    assert read_only.post("/api/v1/notifications/clear").status_code == 403
    assert Notification.objects.filter(pk=notification.id).exists()


def test_a_page_costs_the_same_queries_whatever_its_size(world, alice_client):
    alice = world[0]

    def count(limit: int, path: str = "/api/v1/notifications") -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(f"{path}?limit={limit}").status_code == 200
        return len(queries)

    small = count(2)
    grouped = count(2, "/api/v2/notifications")
    for i in range(12):
        actor = UserFactory()
        make(alice, actor, Verb.LIKE, PostFactory(author=alice, text=f"post {i} #tag @bob"))
    assert count(16) == small
    assert count(16, "/api/v2/notifications") == grouped


def test_v2_groups_favourites_of_a_status_and_follows_within_the_page(world, alice_client, masto):
    alice, bob, post, reply, rows = world
    carol = UserFactory(username="carol")
    make(alice, carol, Verb.LIKE, post)
    make(alice, carol, Verb.FOLLOW)
    response = alice_client.get("/api/v2/notifications")
    assert response.status_code == 200
    body = response.json()
    groups = {g["group_key"]: g for g in body["notification_groups"]}
    favourites = groups[f"favourite-{post.id}"]
    assert favourites["notifications_count"] == 2
    assert set(favourites["sample_account_ids"]) == {str(bob.pk), str(carol.pk)}
    assert favourites["status_id"] == str(post.id)
    assert groups["follow"]["notifications_count"] == 2
    assert groups[f"ungrouped-{rows['mention'].id}"]["type"] == "mention"
    assert {a["username"] for a in body["accounts"]} == {"bob", "carol"}
    assert {s["id"] for s in body["statuses"]} == {str(post.id), str(reply.id)}
    only_favourites = alice_client.get("/api/v2/notifications?grouped_types[]=favourite").json()
    assert "follow" not in {g["group_key"] for g in only_favourites["notification_groups"]}
    paged = alice_client.get("/api/v2/notifications?limit=1")
    assert len(paged.json()["notification_groups"]) == 1
    assert 'rel="next"' in paged["Link"]
    assert masto.get("/api/v2/notifications").status_code == 401
    assert masto_client(alice, "read:statuses").get("/api/v2/notifications").status_code == 403
