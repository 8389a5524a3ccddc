"""core.sql.write_together: several writes as one statement, all or nothing."""

from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from core.ids import new_id
from core.models import OutboxEvent
from core.sql import increment_sql, insert_sql, update_sql, write_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit: no test transaction around


def row(event_id: int) -> OutboxEvent:
    return OutboxEvent(id=event_id, name="test.written", payload={"n": event_id})


def test_inserts_and_an_update_are_one_statement_and_all_happen():
    user = UserFactory()
    first, second = new_id(), new_id()
    with CaptureQueriesContext(connection) as queries:
        write_together(
            insert_sql(row(first)),
            update_sql(User.objects.filter(pk=user.pk), {"posts_count": F("posts_count") + 2}),
            insert_sql(row(second)),
        )
    assert len(queries) == 1
    assert set(OutboxEvent.objects.filter(name="test.written").values_list("id", flat=True)) == {
        first,
        second,
    }
    assert OutboxEvent.objects.get(id=first).created_at is not None  # auto_now_add applied
    user.refresh_from_db()
    assert user.posts_count == 2


def test_the_same_writes_are_planned_once_per_connection():
    """Each run of a write used to be parsed and planned again (a quarter of a post's
    PostgreSQL time): the statement is prepared, with one generic plan, and the
    values still reach the rows they name."""
    users = UserFactory.create_batch(3)
    for user in users:
        write_together(increment_sql(User, pk=user.pk, field="posts_count", by=5))
    assert set(
        User.objects.filter(pk__in=[u.pk for u in users]).values_list("posts_count", flat=True)
    ) == {5}
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = [(g, c) for statement, g, c in cursor.fetchall() if "posts_count" in statement]
    assert plans == [(3, 0)]


def test_behind_a_pooler_nothing_is_prepared_and_the_writes_still_happen():
    """DB_PREPARED_STATEMENTS=0 (PgBouncer in transaction mode) leaves psycopg's
    prepare_threshold None: the write is bound on the server but never prepared."""
    user = UserFactory()
    connection.ensure_connection()
    raw = connection.connection
    kept, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        for _ in range(3):
            write_together(increment_sql(User, pk=user.pk, field="posts_count", by=2))
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [s for (s,) in cursor.fetchall() if "posts_count" in s]
    finally:
        raw.prepare_threshold = kept
    assert prepared == []
    user.refresh_from_db()
    assert user.posts_count == 6


def test_an_increment_built_once_changes_what_the_orm_update_changes():
    counted, by_orm, bystander = (UserFactory(posts_count=3) for _ in range(3))
    write_together(increment_sql(User, pk=counted.pk, field="posts_count", by=-2))
    User.objects.filter(pk=by_orm.pk).update(posts_count=F("posts_count") - 2)
    counts = dict(User.objects.values_list("pk", "posts_count"))
    assert (counts[counted.pk], counts[by_orm.pk], counts[bystander.pk]) == (1, 1, 3)


def test_one_failing_write_leaves_none_of_them():
    user = UserFactory()
    taken = new_id()
    OutboxEvent.objects.create(id=taken, name="test.taken", payload={})
    fresh = new_id()
    with pytest.raises(IntegrityError):
        write_together(
            insert_sql(row(fresh)),
            update_sql(User.objects.filter(pk=user.pk), {"posts_count": F("posts_count") + 1}),
            insert_sql(row(taken)),  # the primary key is taken: the statement fails
        )
    assert not OutboxEvent.objects.filter(id=fresh).exists()
    user.refresh_from_db()
    assert user.posts_count == 0


@pytest.mark.parametrize("model", ["post", "outbox"])
def test_the_insert_built_once_per_model_is_the_one_the_orm_compiles(model):
    from core.sql import compiled_insert_sql
    from tweets.models import Post

    user = UserFactory()
    obj = row(new_id()) if model == "outbox" else Post(author=user, text="same SQL")
    if model == "post":
        obj.conversation_id = obj.id
    # auto_now_add reads the clock on each build: one instant for both.
    with mock.patch("django.utils.timezone.now", return_value=timezone.now()):
        built, compiled = insert_sql(obj), compiled_insert_sql(obj)
    assert built[0] == compiled[0]
    # psycopg's Jsonb wrapper has no equality of its own: compare what it wraps.
    assert [getattr(p, "obj", p) for p in built[1]] == [getattr(p, "obj", p) for p in compiled[1]]
