"""The typed event catalogue: classes, old outbox rows, the publish scan, and the system
check that ties the catalogue, the publishers and the handlers together."""

import dataclasses
import io
import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.checks import catalogue_problems, check_event_catalogue
from core.events import Delivered, DomainEvent, catalogue, delivery, dispatch, handler, publish
from core.events.registry import HandlerSpec, Registry, registry
from core.events.scan import Site, scan_source
from core.events.types import definition_problems
from core.ids import min_id_for, new_id
from core.models import EventDelivery, OutboxEvent, ProcessedEvent
from notifications.models import Notification, Verb
from tests.eventapp.events import Effect, Flaky, Indexed
from tests.eventapp.models import EffectRow
from tests.factories import PostFactory, UserFactory
from tweets.models import Like

RECORD = "tests.eventapp.handlers.record"
INDEXED = "tests.eventapp.handlers.index_in_redis"


def effects() -> list[int]:
    return sorted(EffectRow.objects.filter(handler="record").values_list("event_id", flat=True))


def old_row(name: str, payload: dict) -> OutboxEvent:
    """An outbox row as the code before the catalogue wrote it: plain JSON, and a
    minute old (an id made now may fall in the sweep's own millisecond, which
    `min_age_seconds=0` still leaves to the fast path)."""
    minute_ago = min_id_for(timezone.now() - timedelta(minutes=1))
    return OutboxEvent.objects.create(id=minute_ago + next(_OLD_ROWS), name=name, payload=payload)


_OLD_ROWS = itertools.count(1)  # distinct ids inside that millisecond


# --- classes and payloads ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_event_travels_as_its_fields_and_arrives_as_an_instance():
    with transaction.atomic():
        event_id = publish(Effect(n=3))

    row = OutboxEvent.objects.get(id=event_id)
    assert row.payload == {"n": 3, "sleep": 0, "poison": False, "announce": False}
    assert delivery.load_events([event_id]) == [
        Delivered(id=event_id, created_at=row.created_at, event=Effect(n=3))
    ]
    assert effects() == [event_id]


@pytest.mark.django_db
def test_a_batch_is_read_in_one_statement_as_the_queryset_reads_it():
    """Every handler task reads its batch: one statement with the ids as an array
    literal (compiling the queryset cost 0.3 ms of CPU a task), rows equal to the
    queryset's, in id order, without the ids that no longer exist."""
    payloads = [{"n": 1}, {"nested": {"list": [1, "é", None]}, "big": 2**62}, {}]
    rows = [old_row("tests.effect", payload) for payload in payloads]
    wanted = [rows[2].id, rows[0].id, 2**63 - 1, rows[1].id]
    with CaptureQueriesContext(connection) as queries:
        found = delivery._event_rows(wanted)
    assert found == list(
        OutboxEvent.objects.filter(id__in=wanted)
        .order_by("id")
        .values_list("id", "name", "payload", "created_at")
    )
    assert [row[2] for row in found] == payloads
    assert all(row[3].tzinfo is not None for row in found)
    assert len(queries) == 1
    assert "= ANY(" in queries[0]["sql"]
    assert " IN (" not in queries[0]["sql"]
    assert delivery._event_rows([]) == []


def test_event_names_are_checked_when_the_class_is_defined():
    with pytest.raises(ValueError, match="dotted lowercase"):

        @dataclass(frozen=True, kw_only=True)
        class Shouting(DomainEvent):
            name: ClassVar[str] = "Post.Created"

    with pytest.raises(ValueError, match=r"'test\.effect' is defined twice"):

        @dataclass(frozen=True, kw_only=True)
        class Imposter(DomainEvent):  # same name, another class
            name: ClassVar[str] = "test.effect"

    assert catalogue.by_name["test.effect"] is Effect


def test_event_classes_must_be_frozen_dataclasses_of_scalars():
    class Plain(DomainEvent, register=False):
        name: ClassVar[str] = "test.plain"

    @dataclass(frozen=True, kw_only=True)
    class Heavy(DomainEvent, register=False):
        name: ClassVar[str] = "test.heavy"
        post_id: int
        reply_to_id: int | None
        tags: list[str]
        author: dict

    assert definition_problems(Plain) == ["is not a @dataclass(frozen=True, kw_only=True)"]
    problems = definition_problems(Heavy)
    assert [p.split(" is ")[0] for p in problems] == ["field 'tags'", "field 'author'"]
    assert all("ids and scalars" in p for p in problems)
    for cls in catalogue:
        assert definition_problems(cls) == [], cls


@pytest.mark.django_db
def test_an_oversized_payload_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Chatty(DomainEvent):
        name: ClassVar[str] = "test.chatty"
        text: str

    try:
        with transaction.atomic(), pytest.raises(ValueError, match="carry ids, not objects"):
            publish(Chatty(text="x" * 9000))
    finally:
        catalogue.remove(Chatty)
    assert not OutboxEvent.objects.exists()
    assert "test.chatty" not in catalogue.by_name


@pytest.mark.django_db
def test_an_event_outside_the_catalogue_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Unlisted(DomainEvent, register=False):
        name: ClassVar[str] = "test.unlisted"

    with transaction.atomic(), pytest.raises(ValueError, match="not in the event catalogue"):
        publish(Unlisted())


# --- outbox rows written before the catalogue --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_old_plain_json_rows_still_deliver_with_unknown_keys_dropped_and_defaults_filled():
    rows = [
        old_row("test.effect", {"post_id": 1}),  # a key Effect never had, none of its own
        old_row("test.effect", {"n": 2, "sleep": 0, "retired_field": [1, 2]}),
        old_row("test.flaky", {}),
    ]

    assert dispatch.sweep(min_age_seconds=0)["dispatched"] == 3

    assert effects() == sorted(r.id for r in rows)
    assert not EventDelivery.objects.exists()
    loaded = delivery.load_events([rows[1].id])
    assert [d.event for d in loaded] == [Effect(n=2)]


@pytest.mark.django_db(transaction=True)
def test_an_old_like_row_still_notifies_the_author():
    author, fan = UserFactory(), UserFactory()
    post = PostFactory(author=author)
    like = Like.objects.create(id=new_id(), user=fan, post=post)
    row = old_row(
        "post.liked",
        {
            "like_id": like.id,
            "post_id": post.id,
            "user_id": fan.id,
            "author_id": author.id,
            "client": "web",  # a field the class does not have
        },
    )

    dispatch.sweep(min_age_seconds=0)

    assert list(Notification.objects.values_list("recipient_id", "actor_id", "verb")) == [
        (author.id, fan.id, Verb.LIKE)
    ]
    assert not EventDelivery.objects.filter(event_id=row.id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_that_no_longer_fits_its_class_fails_alone_and_stays_visible():
    good = old_row("test.effect", {"n": 1})
    renamed = old_row("test.renamed", {})  # its class is gone
    follow = old_row("user.followed", {"follower_id": 1})  # lacks followee_id (no default)

    delivery.deliver(handler=RECORD, event_ids=[good.id, renamed.id])
    delivery.deliver(handler="notifications.handlers.notify_followed", event_ids=[follow.id])

    assert effects() == [good.id]
    failures = {f.event_id: f.last_error for f in EventDelivery.objects.all()}
    assert set(failures) == {renamed.id, follow.id}
    assert "no event class is named 'test.renamed'" in failures[renamed.id]
    assert f"cannot decode user.followed #{follow.id}: TypeError" in failures[follow.id]
    assert "followee_id" in failures[follow.id]


# --- where events are published --------------------------------------------------

SOURCE = """
import core.events
from core.events import publish as emit
from tests.eventapp.events import Effect
from tests.eventapp import events
from . import events as sibling


def by_alias():
    emit(Effect(n=1))


def by_module_path():
    core.events.publish(events.Flaky())


def by_relative_import():
    emit(sibling.Indexed())


def by_keyword():
    emit(event=Effect())


def by_variable(event):
    emit(event)


def someone_elses_publish(channel):
    channel.publish(Effect())


def no_argument():
    emit()
"""


def test_the_scan_resolves_publish_calls_through_the_modules_imports():
    sites = scan_source(SOURCE, module="tests.eventapp.example", path="tests/eventapp/example.py")

    assert [(s.line, s.event, s.text) for s in sites] == [
        (10, Effect, "Effect"),
        (14, Flaky, "events.Flaky"),
        (18, Indexed, "sibling.Indexed"),
        (22, Effect, "Effect"),
        (26, None, "event"),  # unreadable: reported by the check
        (34, None, ""),
    ]


MANY = """
from core.events import publish_many
from tests.eventapp.events import Effect


def a_chunk(rows):
    publish_many(Effect(n=n) for n in rows)


def a_list(rows):
    publish_many([Effect(n=n) for n in rows])


def a_variable(events):
    publish_many(events)
"""


def test_the_scan_reads_the_element_of_a_publish_many_comprehension():
    sites = scan_source(MANY, module="tests.eventapp.example", path="tests/eventapp/example.py")

    assert [(s.line, s.event) for s in sites] == [(7, Effect), (11, Effect), (15, None)]


@pytest.mark.django_db
def test_publish_many_writes_one_row_per_event_and_dispatches_them(
    django_capture_on_commit_callbacks,
):
    from core.events import publish_many

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        ids = publish_many(Effect(n=n) for n in range(3))
    rows = list(OutboxEvent.objects.filter(id__in=ids).order_by("id").values("name", "payload"))
    assert rows == [{"name": Effect.name, "payload": Effect(n=n).to_payload()} for n in range(3)]
    assert ids == sorted(ids)
    assert callbacks  # handed to the dispatcher after commit


def test_the_project_passes_the_catalogue_check():
    assert check_event_catalogue() == []
    call_command("check", stdout=io.StringIO())


def test_manage_py_check_fails_when_a_handler_names_an_event_no_one_publishes():
    @dataclass(frozen=True, kw_only=True)
    class Orphan(DomainEvent):
        name: ClassVar[str] = "test.orphan"
        user_id: int

    def react(events: list[Delivered[Orphan]]) -> None: ...

    handler(Orphan)(react)
    try:
        with pytest.raises(SystemCheckError) as failed:
            call_command("check", stdout=io.StringIO())
    finally:
        registry.remove(f"{__name__}.{react.__qualname__}")
        catalogue.remove(Orphan)
    assert re.search(
        r"events\.E004.*test\.orphan .*is handled by .*react but published nowhere",
        str(failed.value),
    )
    assert check_event_catalogue() == []


def test_manage_py_check_fails_when_a_published_event_loses_its_only_handler():
    spec = registry.by_key[INDEXED]
    registry.remove(INDEXED)
    try:
        with pytest.raises(SystemCheckError) as failed:
            call_command("check", stdout=io.StringIO())
    finally:
        registry.add(spec)
    assert re.search(
        r"events\.E005.*test\.indexed is published \(tests/eventapp/services\.py:\d+\) "
        r"but nothing handles it",
        str(failed.value),
    )


@dataclass(frozen=True, kw_only=True)
class Published(DomainEvent, register=False):
    name: ClassVar[str] = "t.published"


@dataclass(frozen=True, kw_only=True)
class Excused(DomainEvent, register=False):
    name: ClassVar[str] = "t.excused"
    unhandled: ClassVar[str] = "Nobody needs to react."


@dataclass(frozen=True, kw_only=True)
class WronglyExcused(DomainEvent, register=False):
    name: ClassVar[str] = "t.wrongly_excused"
    unhandled: ClassVar[str] = "Nobody needs to react."


@dataclass(frozen=True, kw_only=True)
class Dead(DomainEvent, register=False):
    name: ClassVar[str] = "t.dead"


class Loose(DomainEvent, register=False):  # not a dataclass of its own
    name: ClassVar[str] = "t.loose"


@dataclass(frozen=True, kw_only=True)
class Stranger(DomainEvent, register=False):
    name: ClassVar[str] = "t.stranger"


def test_the_check_names_each_kind_of_inconsistency():
    handlers = Registry()
    for key, cls in [("h.wrong", WronglyExcused), ("h.loose", Loose), ("h.stranger", Stranger)]:
        handlers.add(HandlerSpec(key=key, func=lambda events: None, events=(cls,)))

    def site(line: int, event: type[DomainEvent] | None) -> Site:
        return Site(path="app/services.py", line=line, event=event, text="x")

    errors = catalogue_problems(
        events=[Published, Excused, WronglyExcused, Dead, Loose],
        handlers=handlers,
        sites=[
            *(site(line, cls) for line, cls in enumerate([Published, Excused, WronglyExcused], 1)),
            site(4, None),
            site(5, Stranger),
            site(6, Loose),
        ],
    )

    assert sorted((e.id, e.msg.split(" ")[0]) for e in errors) == [
        ("events.E001", "publish(x...)"),  # line 4: which event?
        ("events.E002", "handler"),  # h.stranger's class is not in the catalogue
        ("events.E002", f"{__name__}.Stranger"),  # line 5: published, not in the catalogue
        ("events.E003", "event"),  # Loose is not frozen
        ("events.E005", "t.published"),  # published, no handler, no reason
        ("events.E006", "t.wrongly_excused"),  # a reason, yet handled
        ("events.E007", "t.dead"),  # neither published nor handled
    ]


# --- the documented catalogue -------------------------------------------------------


def test_docs_list_every_event_with_its_fields_and_the_reasons_for_none():
    text = (Path(settings.BASE_DIR) / "docs" / "events.md").read_text()
    rows = {
        match.group(1): line
        for line in text.splitlines()
        if (match := re.match(r"\| `([a-z_.]+)` \| `\w+\.events\.\w+` \|", line))
    }
    for cls in catalogue:
        if cls.name.startswith("test."):
            continue
        assert cls.name in rows, f"docs/events.md has no catalogue row for {cls.name}"
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in rows[cls.name], (cls.name, field.name)
        if cls.unhandled:
            assert "no handler" in rows[cls.name], cls.name
    assert set(rows) == {cls.name for cls in catalogue if not cls.name.startswith("test.")}


@pytest.mark.django_db
def test_claiming_a_batch_inserts_its_fresh_markers_in_a_statement_that_does_not_grow():
    """Every transactional handler task claims its batch: the ids go as one array
    literal, so the statement and its three parameters are the same for 3 ids as for
    60 (psycopg adapted three parameters per event); the ids already claimed, and a
    repeated id, come back only once."""
    handler = "tests.claim"
    taken = 2**62
    ProcessedEvent.objects.create(event_id=taken, handler=handler)
    with CaptureQueriesContext(connection) as queries:
        small = delivery.claim(handler, [taken, 7, 8, 7])
        large = delivery.claim(handler, list(range(1000, 1060)))
    assert small == {7, 8}
    assert large == set(range(1000, 1060))
    assert delivery.claim(handler, [8, 1000, 9]) == {9}  # the others were claimed
    assert ProcessedEvent.objects.filter(handler=handler).count() == 1 + 2 + 60 + 1
    statements = {
        re.sub(r"'[0-9-]+ [0-9:.+]+'", "'{now}'", re.sub(r"\{[0-9,]*\}", "{ids}", query["sql"]))
        for query in queries
    }
    assert len(statements) == 1  # the same text, but for the values
    assert "unnest(" in statements.pop()
