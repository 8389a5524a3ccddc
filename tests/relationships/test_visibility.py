"""relationships.visibility: the rules the posts app applies on every read path."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from relationships.models import Follow
from relationships.visibility import (
    author_visibility_q,
    is_blocked_between,
    muted_user_ids_q,
)
from tests.factories import BlockFactory, FollowFactory, MuteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A viewer and one author of each kind; the authors' ids by name."""
    viewer = UserFactory(username="viewer")
    authors = {
        "public": UserFactory(username="public"),
        "private_followed": UserFactory(username="private_followed", is_private=True),
        "private_stranger": UserFactory(username="private_stranger", is_private=True),
        "blocks_viewer": UserFactory(username="blocks_viewer"),
        "blocked_by_viewer": UserFactory(username="blocked_by_viewer"),
        "deactivated": UserFactory(username="deactivated", deactivated_at=timezone.now()),
        "suspended": UserFactory(username="suspended", is_active=False),
    }
    FollowFactory(follower=viewer, followee=authors["private_followed"])
    BlockFactory(blocker=authors["blocks_viewer"], blocked=viewer)
    BlockFactory(blocker=viewer, blocked=authors["blocked_by_viewer"])
    return viewer, authors


def visible_names(viewer, author_field="pk", base=None, probe=False) -> set[str]:
    rows = base if base is not None else User.objects.exclude(username="viewer")
    rule = author_visibility_q(viewer=viewer, author_field=author_field, probe=probe)
    return set(rows.filter(rule).values_list("username", flat=True))


@pytest.mark.parametrize("probe", [False, True])
def test_author_visibility_for_a_signed_in_viewer(world, probe):
    """The probe form (follows and blocks as core.subqueries.Probe) keeps the same rows."""
    viewer, _ = world
    assert visible_names(viewer, probe=probe) == {"public", "private_followed"}


def test_viewer_sees_own_content_even_when_private(world):
    viewer, _ = world
    viewer.is_private = True
    viewer.save(update_fields=["is_private"])
    assert visible_names(viewer, base=User.objects.all()) >= {"viewer"}


def test_anonymous_viewers_see_public_active_authors_only(world):
    assert visible_names(AnonymousUser()) == {"public", "blocks_viewer", "blocked_by_viewer"}


def test_author_field_reaches_through_a_relation(world):
    """Rows with an author FK (here a Follow's followee) filter the same way."""
    viewer, authors = world
    other = UserFactory()
    for author in authors.values():
        FollowFactory(follower=other, followee=author)
    rows = Follow.objects.filter(follower=other).filter(
        author_visibility_q(viewer=viewer, author_field="followee")
    )
    assert {f.followee.username for f in rows} == {"public", "private_followed"}


def test_author_visibility_is_one_query_whatever_the_number_of_follows_and_blocks(
    world, django_assert_num_queries
):
    viewer, _ = world
    for _ in range(30):
        FollowFactory(follower=viewer, followee=UserFactory(is_private=True))
        BlockFactory(blocker=viewer, blocked=UserFactory())
    with django_assert_num_queries(1):
        names = visible_names(viewer)
    assert len(names) == 32  # public, private_followed and the 30 new followees


def test_is_blocked_between_is_symmetric():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    BlockFactory(blocker=a, blocked=b)
    assert is_blocked_between(user_id=a.pk, other_id=b.pk)
    assert is_blocked_between(user_id=b.pk, other_id=a.pk)
    assert not is_blocked_between(user_id=a.pk, other_id=c.pk)


def test_the_mute_filter_is_one_directional():
    muter, muted, other = UserFactory(), UserFactory(), UserFactory()
    MuteFactory(muter=muter, muted=muted)

    follows = [FollowFactory(follower=other, followee=u) for u in (muter, muted)]
    kept = Follow.objects.filter(pk__in=[f.pk for f in follows]).exclude(
        muted_user_ids_q(viewer=muter, author_field="followee")
    )
    assert [f.followee for f in kept] == [muter]
    everything = Follow.objects.exclude(muted_user_ids_q(viewer=AnonymousUser()))
    assert everything.count() == 2
    assert isinstance(muted_user_ids_q(viewer=AnonymousUser()), Q)
