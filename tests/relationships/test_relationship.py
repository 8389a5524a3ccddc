"""GET /users/{id}/relationship and GET /users/relationships?ids=..."""

import pytest
from django.utils import timezone

from relationships.services import follow_create
from tests.factories import BlockFactory, FollowFactory, MuteFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

BATCH_URL = "/api/v1/users/relationships"
FLAGS = ("following", "followed_by", "requested", "blocking", "blocked_by", "muting")


@pytest.fixture
def me():
    return UserFactory(username="me")


def flags(body) -> set[str]:
    return {name for name in FLAGS if body[name]}


def test_each_flag_reflects_one_relationship(me):
    followed, follower, requested, blocked, blocker, muted, stranger = (
        UserFactory(),
        UserFactory(),
        UserFactory(is_private=True),
        UserFactory(),
        UserFactory(),
        UserFactory(),
        UserFactory(),
    )
    FollowFactory(follower=me, followee=followed)
    FollowFactory(follower=follower, followee=me)
    follow_create(follower=me, followee_id=requested.pk)
    BlockFactory(blocker=me, blocked=blocked)
    BlockFactory(blocker=blocker, blocked=me)
    MuteFactory(muter=me, muted=muted)
    expected = {
        followed: {"following"},
        follower: {"followed_by"},
        requested: {"requested"},
        blocked: {"blocking"},
        blocker: {"blocked_by"},
        muted: {"muting"},
        stranger: set(),
    }
    client = client_for(me)
    for user, want in expected.items():
        body = client.get(f"/api/v1/users/{user.pk}/relationship").json()
        assert body["user_id"] == str(user.pk)
        assert flags(body) == want

    ids = ",".join(str(u.pk) for u in expected)
    batch = client.get(BATCH_URL, {"ids": ids})
    assert batch.status_code == 200
    assert [(row["user_id"], flags(row)) for row in batch.json()["results"]] == [
        (str(u.pk), want) for u, want in expected.items()
    ]


def test_relationship_with_unknown_or_deactivated_user_is_404(me):
    gone = UserFactory(deactivated_at=timezone.now())
    for user_id in (999999, gone.pk, 2**64):
        assert_error(client_for(me).get(f"/api/v1/users/{user_id}/relationship"), 404)


def test_relationship_needs_authentication(api_client, me):
    assert_error(api_client.get(f"/api/v1/users/{me.pk}/relationship"), 401)
    assert_error(api_client.get(BATCH_URL, {"ids": str(me.pk)}), 401)


def test_batch_leaves_out_unknown_ids_and_repeats(me):
    other = UserFactory()
    gone = UserFactory(deactivated_at=timezone.now())
    body = client_for(me).get(BATCH_URL, {"ids": f"{other.pk},999999,{gone.pk},{other.pk}"}).json()
    # A bounded list, still in the envelope every list has: one page, no links.
    assert body == {"results": [body["results"][0]], "next": None, "previous": None}
    assert [row["user_id"] for row in body["results"]] == [str(other.pk)]


@pytest.mark.parametrize(
    "ids",
    ["", "abc", "1,,2", "1,-2", "1;2", str(2**63), ",".join(str(n) for n in range(1, 102))],
)
def test_batch_rejects_bad_ids_with_400(me, ids):
    assert_error(client_for(me).get(BATCH_URL, {"ids": ids}), 400)


@pytest.mark.parametrize(
    ("ids", "code"),
    [("1, 2", "invalid"), (" 1", "invalid"), ("01", "invalid"), ("1" + ",1" * 100, "too_many")],
)
def test_batch_takes_ids_as_the_schema_pattern_says(me, ids, code):
    """No spaces, no leading zeros, at most 100 ids as sent (repeats count): the
    schemathesis battery found the API accepted what the schema refuses (issue 14)."""
    error = assert_error(client_for(me).get(BATCH_URL, {"ids": ids}), 400, code=code)
    assert error["attr"] == "ids"


def test_batch_needs_ids(me):
    assert_error(client_for(me).get(BATCH_URL), 400)


def test_batch_accepts_exactly_100_ids(me):
    users = [UserFactory() for _ in range(3)]
    ids = [u.pk for u in users] + list(range(10**12, 10**12 + 97))
    response = client_for(me).get(BATCH_URL, {"ids": ",".join(map(str, ids))})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_batch_is_one_query_for_any_number_of_ids(me, django_assert_num_queries):
    users = [UserFactory() for _ in range(30)]
    for user in users[::2]:
        FollowFactory(follower=me, followee=user)
    client = client_for(me)
    with django_assert_num_queries(1):
        assert len(client.get(BATCH_URL, {"ids": str(users[0].pk)}).json()["results"]) == 1
    with django_assert_num_queries(1):
        body = client.get(BATCH_URL, {"ids": ",".join(str(u.pk) for u in users)}).json()
    assert [row["following"] for row in body["results"]] == [i % 2 == 0 for i in range(30)]
