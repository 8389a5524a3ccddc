"""The notifications endpoints: list, unread count, read, delete, settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, TargetType, Verb
from notifications.services import Cause, notify
from relationships import services as relationships
from tests.accounts.helpers import assert_error
from tests.factories import MuteFactory, PostFactory, UserFactory
from tests.notifications.conftest import client_for
from tests.tweets.test_posts_api import POST_FIELDS
from tweets import services as tweets

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications"
COUNT = "/api/v1/notifications/unread-count"
READ = "/api/v1/notifications/read"
SETTINGS = "/api/v1/users/me/notification-settings"


def like(recipient, actor, post=None) -> Notification:
    post = post or PostFactory(author=recipient)
    return notify(
        causes=[
            Cause(
                recipient_id=recipient.pk,
                actor_id=actor.pk,
                verb=Verb.LIKE,
                target_type=TargetType.POST,
                target_id=post.id,
            )
        ]
    )[0]


def follow(recipient, actor) -> Notification:
    return notify(causes=[Cause(recipient_id=recipient.pk, actor_id=actor.pk, verb=Verb.FOLLOW)])[0]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [n["id"] for n in response.json()["results"]]


def test_a_notification_renders_its_actor_and_target(alice, bob):
    post = PostFactory(author=alice, text="my post")
    like(alice, bob, post)
    follow(alice, bob)
    body = client_for(alice).get(LIST).json()
    assert set(body) == {"results", "next", "previous"}
    followed, liked = body["results"]
    assert set(liked) == {"id", "verb", "actor", "target", "is_read", "created_at"}
    assert liked["verb"] == "like"
    assert liked["actor"] == {
        "id": str(bob.pk),
        "username": "bob",
        "display_name": bob.display_name,
        "avatar": None,
        "is_private": False,
    }
    assert set(liked["target"]) == POST_FIELDS  # the posts API's shape
    assert liked["target"]["id"] == str(post.id)
    assert liked["target"]["text"] == "my post"
    assert liked["is_read"] is False
    assert followed["verb"] == "follow"
    assert followed["target"] is None


def test_the_list_is_newest_first_by_position_and_paginates(alice, bob, carol):
    first = like(alice, bob)
    second = follow(alice, carol)
    third = like(alice, carol)
    client = client_for(alice)
    page = client.get(f"{LIST}?limit=2").json()
    assert [n["id"] for n in page["results"]] == [str(third.id), str(second.id)]
    assert ids(client.get(page["next"])) == [str(first.id)]

    Notification.objects.filter(pk=first.pk).update(is_read=True)
    like(alice, bob, PostFactory(author=alice))  # another cause
    notify(
        causes=[
            Cause(
                recipient_id=alice.pk,
                actor_id=bob.pk,
                verb=Verb.LIKE,
                target_type=TargetType.POST,
                target_id=first.target_id,
            )
        ]
    )
    listed = ids(client.get(LIST))
    assert listed[0] == str(first.id)  # re-surfaced: on top, same id, unread
    assert client.get(LIST).json()["results"][0]["is_read"] is False


def test_unread_and_types_filters(alice, bob, carol):
    liked = like(alice, bob)
    followed = follow(alice, carol)
    Notification.objects.filter(pk=liked.pk).update(is_read=True)
    client = client_for(alice)
    assert ids(client.get(f"{LIST}?unread=true")) == [str(followed.id)]
    assert ids(client.get(f"{LIST}?unread=false")) == [str(liked.id)]
    assert ids(client.get(f"{LIST}?types=like")) == [str(liked.id)]
    assert ids(client.get(f"{LIST}?types=like,follow")) == [str(followed.id), str(liked.id)]
    assert ids(client.get(f"{LIST}?types=mention")) == []


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("types=like,poke", "types"),
        ("types=,", "types"),
        ("unread=maybe", "unread"),
        # As the schema's pattern says: no spaces, no empty items (issue 14's battery).
        ("types=like,", "types"),
        ("types=like,,follow", "types"),
        ("types=%20like", "types"),
    ],
)
def test_bad_filters_are_400(alice, query, attr):
    assert_error(client_for(alice).get(f"{LIST}?{query}"), 400, attr=attr)


def test_bad_cursor_is_400(alice):
    assert_error(client_for(alice).get(f"{LIST}?cursor=nonsense"), 400)


def test_only_your_own_notifications_are_listed(alice, bob, carol):
    like(bob, carol)
    assert ids(client_for(alice).get(LIST)) == []


def test_hidden_actors_and_targets_are_left_out_of_the_list_and_the_count(alice, bob, carol):
    like(alice, bob)
    gone = PostFactory(author=alice)
    like(alice, carol, gone)
    dave = UserFactory(username="dave")
    follow(alice, dave)
    client = client_for(alice)
    assert client.get(COUNT).json() == {"count": 3}

    MuteFactory(muter=alice, muted=bob)  # muted after the fact
    tweets.post_soft_delete(post=gone)  # its handler has not run yet
    dave.is_active = False
    dave.save(update_fields=["is_active"])
    assert ids(client.get(LIST)) == []
    assert client.get(COUNT).json() == {"count": 0}


def test_a_follow_request_shows_only_while_it_is_pending(alice):
    private = UserFactory(username="private", is_private=True)
    relationships.follow_create(follower=alice, followee_id=private.pk)
    notify(causes=[Cause(recipient_id=private.pk, actor_id=alice.pk, verb=Verb.FOLLOW_REQUEST)])
    client = client_for(private)
    assert len(ids(client.get(LIST))) == 1
    relationships.follow_delete(follower=alice, followee_id=private.pk)  # withdrawn
    assert ids(client.get(LIST)) == []


def test_unread_count(alice, bob, carol):
    client = client_for(alice)
    assert client.get(COUNT).json() == {"count": 0}
    like(alice, bob)
    follow(alice, carol)
    assert client.get(COUNT).json() == {"count": 2}


def test_mark_read_by_ids_all_and_max_id(alice, bob, carol):
    dave = UserFactory(username="dave")
    a, b, c = like(alice, bob), follow(alice, carol), follow(alice, dave)
    other = like(bob, alice)
    client = client_for(alice)

    response = client.post(READ, {"ids": [str(a.id), str(other.id)]}, format="json")
    assert response.json() == {"marked": 1, "unread_count": 2}
    other.refresh_from_db()
    assert not other.is_read  # not alice's

    response = client.post(READ, {"max_id": str(b.id)}, format="json")
    assert response.json() == {"marked": 1, "unread_count": 1}
    assert list(Notification.objects.filter(recipient=alice, is_read=False)) == [c]

    response = client.post(READ, {"all": True}, format="json")
    assert response.json() == {"marked": 1, "unread_count": 0}


def test_max_id_of_a_resurfaced_notification_covers_what_is_below_it_in_the_list(alice, bob, carol):
    old = like(alice, bob)
    below = follow(alice, carol)
    Notification.objects.filter(pk=old.pk).update(is_read=True)
    notify(  # re-surfaces `old` above `below`
        causes=[
            Cause(
                recipient_id=alice.pk,
                actor_id=bob.pk,
                verb=Verb.LIKE,
                target_type=TargetType.POST,
                target_id=old.target_id,
            )
        ]
    )
    response = client_for(alice).post(READ, {"max_id": str(old.id)}, format="json")
    assert response.json() == {"marked": 2, "unread_count": 0}
    below.refresh_from_db()
    assert below.is_read


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"all": True, "ids": ["1"]},
        {"ids": ["1"], "max_id": "2"},
        {"ids": []},
        {"ids": ["x"]},
        {"ids": "1"},
        {"max_id": "-1"},
        {"all": "perhaps"},
    ],
)
def test_mark_read_needs_exactly_one_valid_choice(alice, body):
    assert_error(client_for(alice).post(READ, body, format="json"), 400)


def test_delete_is_idempotent_and_only_touches_your_own(alice, bob):
    mine, theirs = like(alice, bob), like(bob, alice)
    client = client_for(alice)
    assert client.delete(f"{LIST}/{mine.id}").status_code == 204
    assert client.delete(f"{LIST}/{mine.id}").status_code == 204
    assert client.delete(f"{LIST}/{theirs.id}").status_code == 204
    assert not Notification.objects.filter(pk=mine.pk).exists()
    assert Notification.objects.filter(pk=theirs.pk).exists()
    assert client.delete(f"{LIST}/99999999999999999999").status_code == 404  # not an id


def test_everything_needs_authentication(api_client):
    for response in (
        api_client.get(LIST),
        api_client.get(COUNT),
        api_client.post(READ, {"all": True}, format="json"),
        api_client.delete(f"{LIST}/1"),
        api_client.get(SETTINGS),
    ):
        assert_error(response, 401)


def test_settings_default_off_and_patch_merges(alice):
    client = client_for(alice)
    assert client.get(SETTINGS).json() == {"email": {verb: False for verb in Verb.values}}
    response = client.patch(SETTINGS, {"email": {"like": True, "mention": True}}, format="json")
    assert response.status_code == 200
    response = client.patch(SETTINGS, {"email": {"mention": False}}, format="json")
    expected = {verb: verb == "like" for verb in Verb.values}
    assert response.json() == {"email": expected}
    assert client.get(SETTINGS).json() == {"email": expected}


@pytest.mark.parametrize(
    "body", [{}, {"email": {"poke": True}}, {"email": {"like": "often"}}, {"email": ["like"]}]
)
def test_bad_settings_are_400(alice, body):
    assert_error(client_for(alice).patch(SETTINGS, body, format="json"), 400)


# --- query counts ------------------------------------------------------------------------


def inbox(recipient, n: int) -> None:
    """n notifications of every kind of target: posts (with quotes and mentions, the
    things rendering a post loads), users as targets, and none."""
    for i in range(n):
        actor = UserFactory()
        kind = i % 3
        if kind == 0:
            quoted = PostFactory()
            post = PostFactory(author=recipient, quote_of=quoted, text=f"@{actor.username} hi")
            like(recipient, actor, post)
        elif kind == 1:
            follow(recipient, actor)
        else:
            notify(
                causes=[
                    Cause(
                        recipient_id=recipient.pk,
                        actor_id=actor.pk,
                        verb=Verb.FOLLOW_APPROVED,
                        target_type=TargetType.USER,
                        target_id=actor.pk,
                    )
                ]
            )


def test_list_query_count_does_not_grow_with_page_size():
    counts = []
    for n in (5, 50):
        recipient = UserFactory()
        inbox(recipient, n)
        client = client_for(recipient)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{LIST}?limit=100")
        results = response.json()["results"]
        assert len(results) == n
        assert all(r["target"] is not None for r in results if r["verb"] != "follow")
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{counts[0]} queries for 5, {counts[1]} for 50"
