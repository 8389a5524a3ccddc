"""GET /users/suggestions: friends of friends ranked by mutual follows, then popular accounts."""

import pytest
from django.utils import timezone

from accounts.models import User
from relationships.models import Follow
from relationships.services import follow_create
from tests.factories import BlockFactory, FollowFactory, MuteFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/suggestions"


def make_users(prefix: str, count: int, **fields) -> list[User]:
    return User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", **fields)
        for n in range(count)
    )


def set_followers_count(**counts: int) -> None:
    for username, count in counts.items():
        User.objects.filter(username=username).update(followers_count=count)


@pytest.fixture
def graph():
    """me follows a, b, c. Who follows whom beyond that decides the ranking."""
    names = ["me", "a", "b", "c", "x", "y", "z", "w", "r", "k", "k2", "m", "d", "p", "q"]
    u = {name: UserFactory(username=name) for name in names}
    for followee in "abc":
        FollowFactory(follower=u["me"], followee=u[followee])
    edges = {
        "a": "x y z r k k2 m d",
        "b": "x y r k",
        "c": "x w me b k",
    }
    for follower, followees in edges.items():
        for followee in followees.split():
            FollowFactory(follower=u[follower], followee=u[followee])
    u["r"].is_private = True
    u["r"].save(update_fields=["is_private"])
    follow_create(follower=u["me"], followee_id=u["r"].pk)  # requested: excluded
    BlockFactory(blocker=u["me"], blocked=u["k"])  # excluded however popular
    BlockFactory(blocker=u["k2"], blocked=u["me"])
    MuteFactory(muter=u["me"], muted=u["m"])
    u["d"].deactivated_at = timezone.now()
    u["d"].save(update_fields=["deactivated_at"])
    set_followers_count(z=100, w=5, p=1000, q=10, k=5000, k2=5000, m=5000, d=5000)
    return u


def suggested(user, **params) -> list[tuple[str, int]]:
    response = client_for(user).get(URL, params)
    assert response.status_code == 200, response.json()
    return [(row["user"]["username"], row["mutual_count"]) for row in response.json()["results"]]


def test_ranked_by_mutual_follows_then_popularity_then_topped_up(graph):
    assert suggested(graph["me"], limit=6) == [
        ("x", 3),  # followed by a, b and c
        ("y", 2),
        ("z", 1),  # ties with w on mutuals, more followers
        ("w", 1),
        ("p", 0),  # the top-up: popular accounts
        ("q", 0),
    ]


def test_default_limit_is_20_and_excludes_everyone_it_should(graph):
    names = [name for name, _ in suggested(graph["me"])]
    assert set(names) == {"x", "y", "z", "w", "p", "q"}
    assert len(names) == len(set(names))


def test_a_new_user_gets_popular_accounts(graph):
    newcomer = UserFactory(username="newcomer")
    BlockFactory(blocker=graph["p"], blocked=newcomer)
    ranked = suggested(newcomer, limit=4)
    assert ranked == [("m", 0), ("k2", 0), ("k", 0), ("z", 0)]  # ties: newest first


def test_response_is_a_list_of_users_in_the_envelope(graph):
    body = client_for(graph["me"]).get(URL, {"limit": 1}).json()
    # Bounded (at most 50): one page, in the envelope every list has.
    assert set(body) == {"results", "next", "previous"}
    assert body["next"] is body["previous"] is None
    row = body["results"][0]
    # A list of users: the user's summary under "user", the row's facts beside it.
    assert set(row) == {"user", "followers_count", "mutual_count"}
    assert set(row["user"]) == {"id", "username", "display_name", "avatar", "is_private"}
    assert row["user"]["id"] == str(graph["x"].pk)
    graph["x"].refresh_from_db()
    assert (row["followers_count"], row["mutual_count"]) == (graph["x"].followers_count, 3)


@pytest.mark.parametrize("limit", ["0", "51", "abc", "-1"])
def test_bad_limit_is_400(graph, limit):
    assert_error(client_for(graph["me"]).get(URL, {"limit": limit}), 400)


def test_suggestions_need_authentication(api_client):
    assert_error(api_client.get(URL), 401)


@pytest.mark.parametrize("followee_count", [3, 300])
def test_query_count_does_not_grow_with_followees(followee_count, django_assert_num_queries):
    me = UserFactory()
    followees = make_users(f"f{followee_count}_", followee_count)
    targets = make_users(f"t{followee_count}_", 10)
    make_users(f"outsider{followee_count}_", 1)
    Follow.objects.bulk_create(Follow(follower=me, followee=f) for f in followees)
    Follow.objects.bulk_create(
        Follow(follower=f, followee=t)
        for i, f in enumerate(followees)
        for t in targets[i % 5 :]  # the first followee follows all ten
    )
    client = client_for(me)
    with django_assert_num_queries(1):  # the graph alone fills the page
        assert len(client.get(URL, {"limit": 5}).json()["results"]) == 5
    with django_assert_num_queries(3):  # the graph, the popular pool (cold cache), the top-up
        body = client.get(URL, {"limit": 50}).json()
    with django_assert_num_queries(2):  # the pool is cached
        assert client.get(URL, {"limit": 50}).json() == body
    assert [row["mutual_count"] > 0 for row in body["results"]] == [True] * 10 + [
        False
    ]  # + outsider


def test_only_the_most_recent_followees_are_sampled(monkeypatch):
    """The ranking reads the follows of a bounded sample: the most recent followees."""
    monkeypatch.setattr("relationships.selectors.FOLLOWEE_SAMPLE", 2)
    me = UserFactory()
    old, recent1, recent2 = UserFactory(), UserFactory(), UserFactory()
    via_old, via_recent = UserFactory(username="via_old"), UserFactory(username="via_recent")
    for followee in (old, recent1, recent2):  # created in this order: old is the oldest
        FollowFactory(follower=me, followee=followee)
    FollowFactory(follower=old, followee=via_old)
    FollowFactory(follower=recent2, followee=via_recent)
    ranked = suggested(me, limit=1)
    assert ranked == [("via_recent", 1)]


def test_ties_at_the_cutoff_are_broken_by_followers_count_exactly(monkeypatch):
    """Many candidates share the last mutual count: the most followed of them win."""
    me, friend = UserFactory(), UserFactory()
    FollowFactory(follower=me, followee=friend)
    candidates = make_users("tie", 12)
    for n, candidate in enumerate(candidates):
        FollowFactory(follower=friend, followee=candidate)
        User.objects.filter(pk=candidate.pk).update(followers_count=(n * 7) % 12)
    ranked = client_for(me).get(URL, {"limit": 3}).json()["results"]
    assert [row["followers_count"] for row in ranked] == [11, 10, 9]
