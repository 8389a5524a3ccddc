"""core.subqueries.Probe: an EXISTS that PostgreSQL cannot turn into a hash."""

import pytest
from django.db import connection
from django.db.models import OuterRef, Q
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.subqueries import Probe
from relationships.models import Follow
from tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_probe_keeps_the_rows_exists_keeps():
    viewer, followed, stranger = UserFactory(), UserFactory(), UserFactory()
    FollowFactory(follower=viewer, followee=followed)
    follows = Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("pk"))
    rows = User.objects.filter(Q(pk=viewer.pk) | Q(Probe(follows)))
    with CaptureQueriesContext(connection) as queries:
        names = set(rows.values_list("pk", flat=True))
    assert names == {viewer.pk, followed.pk}
    assert stranger.pk not in names
    # The OFFSET is what keeps PostgreSQL from simplifying the subquery into a hash.
    assert "LIMIT 1 OFFSET 0)" in queries[0]["sql"]


def test_a_probe_refuses_a_subquery_whose_sql_its_offset_would_break():
    follows = Follow.objects.filter(followee_id=OuterRef("pk"))
    with pytest.raises(ValueError, match="offset"):
        Probe(follows[2:])
    with pytest.raises(ValueError, match="FOR UPDATE"):
        Probe(follows.select_for_update())
