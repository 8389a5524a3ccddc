"""core.stamps: what a change makes stale is stamped after its commit, in one call."""

import pytest
from django.db import transaction

from core import stamps
from core.events import publish
from tweets.events import PostCreated, PostLiked


@pytest.fixture
def stamped(monkeypatch):
    calls: list[frozenset[str]] = []
    monkeypatch.setattr(stamps, "_backend", calls.append)
    monkeypatch.setattr(stamps._pending, "keys", set(), raising=False)
    return calls


@pytest.mark.django_db
def test_keys_wait_for_the_commit_and_go_in_one_call(stamped, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stamps.stale([stamps.user(1), stamps.post(2)])
        stamps.stale([stamps.name("Bob")])
        assert stamped == []  # not before the commit
    assert stamped == [frozenset({"u:1", "p:2", "n:bob"})]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_stamps_nothing_and_outside_a_transaction_now(stamped):
    def change():
        with transaction.atomic():
            stamps.stale([stamps.post(7)])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change()
    assert stamped == []
    stamps.stale([stamps.user(3)])
    # Keys queued by the rolled-back change go with the next stamp (one too many is harmless).
    assert stamped == [frozenset({"u:3", "p:7"})]


@pytest.mark.django_db
def test_a_published_event_stamps_what_it_says_it_makes_stale(
    stamped, django_capture_on_commit_callbacks
):
    event = PostLiked(like_id=1, post_id=2, user_id=3, author_id=4)
    assert event.stale() == ("p:2", "u:3")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(event)
    assert stamped == [frozenset({"p:2", "u:3"})]


def test_without_a_backend_nothing_is_queued(monkeypatch):
    monkeypatch.setattr(stamps, "_backend", None)
    monkeypatch.setattr(stamps._pending, "keys", set(), raising=False)
    stamps.stale([stamps.user(1)])
    assert stamps._pending.keys == set()


def test_a_post_stamps_its_author_s_entries_and_a_reply_or_quote_the_counters_it_moves():
    # The entries stamp is for pull-feed pages; the Redis backend drops it, so there
    # the hottest write costs no stamping call (tests/tweets/feed/test_page_cache.py).
    common = {"post_id": 1, "author_id": 2, "conversation_id": 1}
    assert PostCreated(reply_to_id=None, quote_of_id=None, **common).stale() == ("e:2",)
    assert PostCreated(reply_to_id=8, quote_of_id=9, **common).stale() == ("e:2", "p:8", "p:9")
