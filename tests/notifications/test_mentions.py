"""Mentions: the parser, the handler (rows + notifications), and entities on posts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.mentions import mentioned_usernames, parse_mentions
from core.events.delivery import deliver, load_events
from core.models import OutboxEvent
from notifications import handlers
from notifications.models import Mention, Notification, Verb
from relationships import services as relationships
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.notifications.conftest import client_for
from tweets import services as tweets

# --- the parser (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@alice hi", ["alice"]),
        ("hi @alice.", ["alice"]),
        ("(@alice) and @bob_2!", ["alice", "bob_2"]),
        ("@Alice and @ALICE", ["alice"]),  # usernames are case-insensitive
        ("me@alice.com", []),  # an email address
        ("write to alice@example.com", []),
        ("https://example.com/@alice", []),  # inside a URL
        ("see https://example.com/?u=@alice and www.x.com/@bob", []),
        ("@alice@mastodon.social", []),  # a fediverse address, not a local user
        ("@al", []),  # too short for a username
        ("@" + "a" * 31, []),  # too long: not a mention of its first 30 characters
        ("@" + "a" * 30, ["a" * 30]),
        ("@aliceé", []),  # glued to a letter outside the username alphabet
        ("é@alice", []),
        ("@@alice", []),
        ("@alice-bob", ["alice"]),
        ("line\n@alice", ["alice"]),
    ],
)
def test_parse_mentions(text, names):
    assert mentioned_usernames(text) == names


def test_spans_cover_the_at_sign_and_the_name_in_code_points():
    text = "\U0001f600 hi @Alice, @bob"
    spans = parse_mentions(text)
    assert [(s.username, text[s.start : s.end]) for s in spans] == [
        ("Alice", "@Alice"),
        ("bob", "@bob"),
    ]


# --- the handler ----------------------------------------------------------------------


def mentions_of(user) -> list[tuple]:
    return list(
        Notification.objects.filter(recipient=user, verb=Verb.MENTION).values_list(
            "actor_id", "target_id"
        )
    )


@pytest.mark.django_db
def test_a_mention_notifies_once_even_when_the_handler_runs_twice(alice, bob, delivered):
    with delivered():
        post = tweets.post_create(author=bob, text="hello @alice and @Alice again")
    assert mentions_of(alice) == [(bob.pk, post.id)]
    assert list(Mention.objects.values_list("post_id", "user_id")) == [(post.id, alice.pk)]

    event_ids = list(OutboxEvent.objects.filter(name="post.created").values_list("id", flat=True))
    deliver(handler="notifications.handlers.record_mentions", event_ids=event_ids)  # redelivery
    handlers.record_mentions(load_events(event_ids))  # the handler itself, twice
    handlers.record_mentions(load_events(event_ids))

    assert Notification.objects.filter(verb=Verb.MENTION).count() == 1
    assert Mention.objects.count() == 1


@pytest.mark.django_db
def test_a_mention_read_and_handled_again_is_not_resurfaced(alice, bob, delivered):
    with delivered():
        post = tweets.post_create(author=bob, text="hello @alice")
    Notification.objects.update(is_read=True)
    with delivered():
        tweets.post_edit(user=bob, post_id=post.id, text="hello again @alice")
    assert Notification.objects.get(verb=Verb.MENTION).is_read  # an edit is not news


@pytest.mark.django_db
def test_an_email_address_notifies_nobody(alice, bob, delivered):
    with delivered():
        tweets.post_create(author=bob, text="write me@alice.com")
    assert not Notification.objects.exists()
    assert not Mention.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_a_mention_across_a_block_notifies_nobody(alice, bob, delivered, blocker):
    users = {"alice": alice, "bob": bob}
    other = bob if blocker == "alice" else alice
    relationships.block_create(blocker=users[blocker], blocked_id=other.pk)
    with delivered():
        tweets.post_create(author=bob, text="hey @alice")
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_mention_in_a_private_post_notifies_only_those_who_may_see_it(delivered):
    author = UserFactory(username="secretive", is_private=True)
    follower, stranger = UserFactory(username="follower"), UserFactory(username="stranger")
    FollowFactory(follower=follower, followee=author)
    with delivered():
        tweets.post_create(author=author, text="hi @follower and @stranger")
    assert mentions_of(follower) != []
    assert mentions_of(stranger) == []


@pytest.mark.django_db
def test_edits_notify_new_mentions_and_withdraw_removed_ones(alice, bob, carol, delivered):
    with delivered():
        post = tweets.post_create(author=bob, text="hi @alice")
    with delivered():
        tweets.post_edit(user=bob, post_id=post.id, text="hi @carol")
    assert mentions_of(alice) == []
    assert mentions_of(carol) == [(bob.pk, post.id)]
    assert list(Mention.objects.values_list("user_id", flat=True)) == [carol.pk]


@pytest.mark.django_db
def test_the_parent_author_hears_of_a_reply_once(alice, bob, delivered):
    post = PostFactory(author=alice)
    with delivered():
        tweets.post_create(author=bob, text="@alice indeed", reply_to_id=post.id)
    assert list(Notification.objects.values_list("verb", flat=True)) == [Verb.REPLY]


@pytest.mark.django_db
def test_mentions_notify_at_most_the_configured_number_of_users(bob, delivered, settings):
    settings.NOTIFICATIONS_MAX_MENTIONS = 3
    users = [UserFactory(username=f"fan{i}") for i in range(5)]
    with delivered():
        tweets.post_create(author=bob, text=" ".join(f"@{u.username}" for u in users))
    notified = set(Notification.objects.values_list("recipient_id", flat=True))
    assert notified == {u.pk for u in users[:3]}


# --- entities on posts -----------------------------------------------------------------


@pytest.mark.django_db
def test_posts_render_their_mentions_as_entities(alice, bob):
    text = "hi @Alice and @nobody_here, mail me@bob.com, cc @bob"
    response = client_for(bob).post("/api/v1/posts", {"text": text}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["mentions"] == [
        {"username": "Alice", "user_id": str(alice.pk), "start": 3, "end": 9},
        {"username": "bob", "user_id": str(bob.pk), "start": 48, "end": 52},
    ]
    assert text[3:9] == "@Alice"
    assert text[48:52] == "@bob"


@pytest.mark.django_db
def test_a_post_without_mentions_renders_none_and_costs_no_query(bob):
    post = PostFactory(author=bob, text="no one here, not even a@b.co")
    from tweets.selectors import mention_entities

    with CaptureQueriesContext(connection) as queries:
        assert mention_entities({post.id: post.text}) == {}
    assert len(queries) == 0


@pytest.mark.django_db
def test_mention_entities_cost_one_query_whatever_the_page_size():
    viewer = UserFactory()
    counts = []
    for n in (3, 30):
        root = PostFactory()
        for _ in range(n):
            mentioned = UserFactory()
            PostFactory(reply_to=root, text=f"hi @{mentioned.username} and @{viewer.username}")
        with CaptureQueriesContext(connection) as queries:
            response = client_for(viewer).get(f"/api/v1/posts/{root.id}/comments?limit=100")
        assert response.status_code == 200
        results = response.json()["results"]
        assert len(results) == n
        assert all(len(post["mentions"]) == 2 for post in results)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_mentions_handler_costs_the_same_queries_for_3_or_30_posts(bob):
    counts = []
    for n in (3, 30):
        posts = [
            tweets.post_create(author=bob, text=f"post {i} for @nobody_{i}" if i % 2 else "hi")
            for i in range(n)
        ]
        ids = OutboxEvent.objects.filter(
            name="post.created", payload__post_id__in=[p.id for p in posts]
        ).values_list("id", flat=True)
        events = load_events(list(ids))
        assert len(events) == n
        with CaptureQueriesContext(connection) as queries:
            handlers.record_mentions(events)
        counts.append(len(queries))
    assert counts[0] == counts[1]
