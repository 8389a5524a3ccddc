"""The feed's rendered page cache (tweets.feed.pages): a kept page is served only
while it is byte for byte what rendering would answer now.

Both backends keep pages (`page_backend`). With Redis, a read keeps its page
when the process remembers the reader's merged authors (from an earlier read), so
a reader's third read is the first that can be a hit; with the SQL backend (the
pull feed, Redis beside it), the second.
"""

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test

from accounts import services as accounts
from relationships import services as rel
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.relationships.helpers import client_for
from tests.tweets.feed.conftest import rendered
from tests.tweets.feed.machines import SocialMachine, which, who
from tweets import services as posts
from tweets.feed import store

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["redis", "sql"])
def page_backend(request, settings):
    """Each test once with Redis timelines, once with the pull feed (Redis beside it)."""
    settings.FEED_BACKEND = request.param
    return store.client()


def test_a_repeated_read_is_the_kept_page_without_a_query(
    page_backend, committed, settings, hits, django_assert_num_queries
):
    alice, bob = UserFactory.create_batch(2)
    with committed():
        rel.follow_create(follower=alice, followee_id=bob.pk)
        for i in range(5):
            posts.post_create(author=bob, text=f"hi @{alice.username} #{i}")
    client = client_for(alice)
    client.get("/api/v1/feed?limit=3")  # Redis: remembers alice's merged authors (none)
    client.get("/api/v1/feed?limit=3")  # Redis: renders and keeps the page
    served = len(hits)
    assert served == (0 if settings.FEED_BACKEND == "redis" else 1)
    with django_assert_num_queries(0):
        again = client.get("/api/v1/feed?limit=3")
    assert hits[served:] == [again.content]
    fresh = rendered(client, "/api/v1/feed?limit=3", settings)
    assert (again.status_code, again.content) == (200, fresh.content)
    assert again["Content-Type"] == fresh["Content-Type"] == "application/json"
    assert again["Vary"] == fresh["Vary"]
    # Another page size, another host: other pages (links carry the host).
    assert client.get("/api/v1/feed?limit=2").status_code == 200
    assert len(hits) == served + 1
    for _ in range(2):
        other = client.get("/api/v1/feed?limit=3", HTTP_HOST="localhost")
    assert len(hits) == served + 2
    assert other.json()["next"].startswith("http://localhost/")
    assert other.content != again.content


def test_a_change_on_the_page_is_in_the_next_read(page_backend, committed, settings, hits):
    alice, bob, carol = UserFactory.create_batch(3)
    with committed():
        rel.follow_create(follower=alice, followee_id=bob.pk)
        note = posts.post_create(author=bob, text="hello")
    client = client_for(alice)
    url = "/api/v1/feed?limit=3"

    def read():
        client.get(url)
        response = client.get(url)
        assert response.content == rendered(client, url, settings).content
        return response.json()["results"][0]["post"]

    read()
    assert read()["like_count"] == 0
    assert hits
    changes = [
        lambda: posts.like_create(user=carol, post_id=note.id),  # a counter
        lambda: posts.like_create(user=alice, post_id=note.id),  # the reader's flag
        lambda: posts.bookmark_create(user=alice, post_id=note.id),  # no event
        lambda: posts.post_edit(user=bob, post_id=note.id, text="hello again"),
        lambda: accounts.user_update_profile(user=bob, display_name="Robert"),  # no event
        lambda: accounts.user_images_set(user_id=bob.pk, avatar="avatars/b.png"),  # an UPDATE
    ]
    for change in changes:
        before = read()
        served = len(hits)
        with committed():
            change()
        after = read()
        assert after != before, change
        assert len(hits) == served + 1  # the first read after the change rendered
    assert after["text"] == "hello again"
    assert after["author"]["display_name"] == "Robert"
    assert (after["like_count"], after["liked"], after["bookmarked"]) == (2, True, True)


class World:
    """alice reads; she follows bob (who posted `note`, then quoted `aside`) and
    carol (who retweeted dave's `aside`); she does not follow dave."""

    def __init__(self, committed):
        self.alice, self.bob, self.carol, self.dave = UserFactory.create_batch(4)
        with committed():
            for followee in (self.bob, self.carol):
                rel.follow_create(follower=self.alice, followee_id=followee.pk)
            self.note = posts.post_create(author=self.bob, text="note")
            self.aside = posts.post_create(author=self.dave, text="aside")
            posts.retweet_create(user=self.carol, post_id=self.aside.id)
            posts.post_create(author=self.bob, text="see", quote_of_id=self.aside.id)


def _hide(w, hidden):
    return posts.post_set_hidden(post=posts.Post.objects.get(pk=w.note.id), hidden=hidden)


# (what is done first, unread; the change the next read must show)
CHANGES = {
    "mute": (None, lambda w: rel.mute_create(muter=w.alice, muted_id=w.bob.pk)),
    "unmute": (
        lambda w: rel.mute_create(muter=w.alice, muted_id=w.bob.pk),
        lambda w: rel.mute_delete(muter=w.alice, muted_id=w.bob.pk),
    ),
    "blocked by the author": (
        None,
        lambda w: rel.block_create(blocker=w.bob, blocked_id=w.alice.pk),
    ),
    "unblock a retweeted author": (
        lambda w: rel.block_create(blocker=w.alice, blocked_id=w.dave.pk),
        lambda w: rel.block_delete(blocker=w.alice, blocked_id=w.dave.pk),
    ),
    "unfollow": (None, lambda w: rel.follow_delete(follower=w.alice, followee_id=w.bob.pk)),
    "hide": (None, lambda w: _hide(w, True)),
    "unhide": (lambda w: _hide(w, True), lambda w: _hide(w, False)),
    "suspend": (None, lambda w: accounts.user_suspend(user=w.bob)),
    "unsuspend": (
        lambda w: accounts.user_suspend(user=w.bob),
        lambda w: accounts.user_unsuspend(user=w.bob),
    ),
    "a retweeted author goes private": (
        None,
        lambda w: accounts.user_update_profile(user=w.dave, is_private=True),
    ),
    "and public again": (
        lambda w: accounts.user_update_profile(user=w.dave, is_private=True),
        lambda w: accounts.user_update_profile(user=w.dave, is_private=False),
    ),
    "deactivate": (
        None,
        lambda w: accounts.user_deactivate(user=w.dave, password=DEFAULT_PASSWORD),
    ),
    "reactivate": (
        lambda w: accounts.user_deactivate(user=w.dave, password=DEFAULT_PASSWORD),
        lambda w: accounts.user_reactivate_on_login(user=w.dave),
    ),
    "delete": (None, lambda w: posts.post_delete(user=w.bob, post_id=w.note.id)),
    "unretweet": (None, lambda w: posts.retweet_delete(user=w.carol, post_id=w.aside.id)),
    "the quoted post is edited": (
        None,
        lambda w: posts.post_edit(user=w.dave, post_id=w.aside.id, text="aside, edited"),
    ),
    "a reply elsewhere": (
        None,
        lambda w: posts.post_create(author=w.dave, text="re", reply_to_id=w.note.id),
    ),
    "a quote elsewhere": (
        None,
        lambda w: posts.post_create(author=w.dave, text="qt", quote_of_id=w.note.id),
    ),
    # New entries (with the pull feed: the posters since the page's clock).
    "a followee posts": (None, lambda w: posts.post_create(author=w.bob, text="new")),
    "the reader posts": (None, lambda w: posts.post_create(author=w.alice, text="mine")),
    "a followee retweets": (None, lambda w: posts.retweet_create(user=w.bob, post_id=w.aside.id)),
    "a followee replies to a followee": (
        None,
        lambda w: posts.post_create(author=w.carol, text="re", reply_to_id=w.note.id),
    ),
    "follow": (None, lambda w: rel.follow_create(follower=w.alice, followee_id=w.dave.pk)),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_kind_of_change_is_in_the_next_read(page_backend, committed, settings, hits, change):
    world = World(committed)
    first, then = CHANGES[change]
    client, url = client_for(world.alice), "/api/v1/feed?limit=5"
    if first is not None:
        with committed():
            first(world)
    for _ in range(3):
        before = client.get(url)
    assert hits[-1:] == [before.content]  # the page is kept
    with committed():
        then(world)
    after = client.get(url)
    assert after.content == rendered(client, url, settings).content
    assert after.content != before.content


def test_a_change_past_the_page_that_removes_the_next_link_is_in_the_next_read(
    page_backend, committed, settings, hits
):
    # Found by the state machine: the row fetched past the page decides `next`.
    # bob reads: a hidden post leaves his timeline's ids as they are (its author's
    # lists drop it), so the page's key stays the same.
    alice, bob = UserFactory.create_batch(2)
    with committed():
        rel.follow_create(follower=bob, followee_id=alice.pk)
        older = posts.post_create(author=alice, text="older")
        posts.post_create(author=alice, text="newer")
    client, url = client_for(bob), "/api/v1/feed?limit=1"
    for _ in range(3):
        before = client.get(url).json()
    assert hits
    assert before["next"] is not None
    with committed():
        posts.post_set_hidden(post=posts.Post.objects.get(pk=older.id), hidden=True)
    after = client.get(url)
    assert after.json()["next"] is None
    assert after.content == rendered(client, url, settings).content


def test_a_mentioned_name_that_comes_to_exist_links_at_once(page_backend, committed, settings):
    alice = UserFactory()
    with committed():
        posts.post_create(author=alice, text="waiting for @newcomer")
    client = client_for(alice)
    for _ in range(3):
        page = client.get("/api/v1/feed").json()
    assert page["results"][0]["post"]["mentions"] == []
    with committed():
        newcomer = accounts.user_register(
            username="NewComer", email="n@example.com", password="a long pass phrase 1"
        )
    mentions = client.get("/api/v1/feed").json()["results"][0]["post"]["mentions"]
    assert [m["user_id"] for m in mentions] == [str(newcomer.pk)]


def test_a_page_is_kept_no_longer_than_the_setting(page_backend, committed, settings):
    settings.FEED_PAGE_CACHE_SECONDS = 7
    alice = UserFactory()
    with committed():
        posts.post_create(author=alice, text="x")
    client = client_for(alice)
    client.get("/api/v1/feed")
    client.get("/api/v1/feed")
    (key,) = page_backend.keys(f"fpg:{alice.pk}:*")
    assert 0 < page_backend.ttl(key) <= 7


@pytest.mark.parametrize(
    ("backend", "fanout_max", "merge_min"),
    [
        pytest.param("redis", 10_000, 5_000, id="fan-out"),
        pytest.param("redis", 1, 1, id="hybrid: authors with 2+ followers merged at read"),
        pytest.param("sql", 10_000, 5_000, id="the pull feed"),
    ],
)
def test_every_kept_page_served_equals_a_fresh_rendering(
    committed, settings, hits, backend, fanout_max, merge_min
):
    """Random changes by four users, through the services (events and all); after
    each, every reader's first page, read twice (the second read is a hit unless
    the first was), equals what rendering answers with the cache off, byte for byte."""
    settings.FEED_BACKEND = backend
    settings.FEED_FANOUT_MAX_FOLLOWERS = fanout_max
    settings.FEED_MERGE_MIN_FOLLOWERS = merge_min

    class PageMachine(SocialMachine):
        @initialize()
        def users(self):
            self.start()
            self.clients = [client_for(user) for user in self.users[:3]]
            self.names = 0
            # The readers follow everyone, so that most changes touch a page.
            for a in range(3):
                for b in range(4):
                    self.follow(a, b)
            for a in range(4):
                self.post(a, (a + 1) % 4, "mention")

        @rule(a=who, b=who, kind=st.sampled_from(["plain", "mention", "newcomer"]))
        def post(self, a, b, kind):
            text = {
                "plain": "p",
                "mention": f"hi @{self.users[b].username}",
                "newcomer": f"hi @newcomer{self.names}",
            }[kind]
            self.add_post(a, text=text)

        @rule(a=who, i=which)
        def quote(self, a, i):
            target, _ = self.some_post(i)
            if target:
                self.add_post(a, text="q", quote_of_id=target)

        @rule(a=who, i=which, verb=st.sampled_from(["like", "bookmark"]), undo=st.booleans())
        def interact(self, a, i, verb, undo):
            target, _ = self.some_post(i)
            if target:
                func = getattr(posts, f"{verb}_{'delete' if undo else 'create'}")
                self.act(func, user=self.users[a], post_id=target)

        @rule(i=which)
        def edit(self, i):
            target, author = self.some_post(i)
            if target:
                self.act(posts.post_edit, user=self.users[author], post_id=target, text="edited")

        @rule(i=which, hidden=st.booleans())
        def moderate(self, i, hidden):
            target, _ = self.some_post(i)
            if target:
                post = posts.Post.objects.get(pk=target)
                self.act(posts.post_set_hidden, post=post, hidden=hidden)

        @rule(a=who, private=st.booleans())
        def privacy(self, a, private):
            self.act(accounts.user_update_profile, user=self.users[a], is_private=private)

        @rule(a=who)
        def rename(self, a):
            self.names += 1
            self.act(
                accounts.user_update_profile, user=self.users[a], display_name=f"n{self.names}"
            )

        @rule()
        def newcomer(self):
            name = f"newcomer{self.names}"
            self.act(
                accounts.user_register,
                username=name,
                email=f"{name}@example.com",
                password="a long pass phrase 1",
            )
            self.names += 1

        @rule(a=who, suspended=st.booleans())
        def suspend(self, a, suspended):
            func = accounts.user_suspend if suspended else accounts.user_unsuspend
            self.act(func, user=self.users[a])

        @invariant()
        def kept_pages_equal_fresh_ones(self):
            for client in self.clients:
                url = "/api/v1/feed?limit=4"
                fresh = rendered(client, url, settings)
                assert fresh.status_code == 200, fresh.content
                for _ in range(2):  # the second read is a hit unless the first was one
                    assert client.get(url).content == fresh.content

    PageMachine.committed = committed
    run_state_machine_as_test(
        PageMachine,
        settings=hypothesis_settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert hits  # kept pages were served, and each was checked
