"""Fixtures and helpers of the home feed tests.

Every test starts with Redis db of this run flushed (tests/conftest.py clears the
django-redis cache, which is FLUSHDB on REDIS_URL's db), so timelines too.
"""

import pytest
from django.test import override_settings

from core.pagination import KeysetWindow
from tests.factories import UserFactory
from tweets.feed import pages, store
from tweets.feed.selectors import home_timeline


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_feed(settings):
    """Services mode: Redis timelines (needs REDIS_URL, as every test run here has)."""
    settings.FEED_BACKEND = "redis"
    return store.client()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): service(...)`: run on-commit work (event dispatch, eager
    handlers) as a real commit would, inside the test's transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def users(db):
    return UserFactory.create_batch(4)


def walk(viewer, *, backend: str, limit: int = 3, since_id=None, q: str = "") -> list[int]:
    """Every entry id of the viewer's feed, page by page as the paginator cuts it."""
    ids: list[int] = []
    before = None
    while True:
        rows = home_timeline(
            viewer=viewer,
            window=KeysetWindow(limit=limit, before=before),
            since_id=since_id,
            q=q,
            backend=backend,
        )
        page = rows[:limit]
        ids += [row.id for row in page]
        if len(rows) <= limit:
            return ids
        before = page[-1].id


def feed_ids(client, url: str = "/api/v1/feed?limit=3") -> list[str]:
    """Every entry id through the API, following `next` links."""
    ids: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        ids += [entry["id"] for entry in response.json()["results"]]
        url = response.json()["next"]
    return ids


def timeline(user) -> list[int]:
    """The ids in the user's Redis timeline, newest first (without the sentinel)."""
    return sorted(store.all_ids(store.timeline_key(user.pk)), reverse=True)


@pytest.fixture
def hits(monkeypatch):
    """The bodies `pages.lookup` and `pages.lookup_pulled` served from the cache, in order."""
    served: list[bytes] = []

    def spy(lookup):
        def spied(**kwargs):
            found = lookup(**kwargs)
            if found.body is not None:
                served.append(found.body)
            return found

        return spied

    for name in ("lookup", "lookup_pulled"):
        monkeypatch.setattr(pages, name, spy(getattr(pages, name)))
    return served


def rendered(client, url, settings):
    """The response as rendering answers it now (the cache neither read nor written).
    (`override_settings`, not the fixture: each of its assignments adds a layer,
    and a state machine's hundreds of reads overflowed the stack.)"""
    with override_settings(FEED_PAGE_CACHE_SECONDS=0):
        return client.get(url)
