"""Trends count distinct authors against a tag's usual rate, on an injected clock."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from search import selectors, services
from search.tasks import refresh_trends
from tests.factories import UserFactory
from tests.search.conftest import client_for, results
from tweets.models import Post

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def posts(author, text: str, *, at_minutes_ago: list[int]) -> None:
    """Posts by `author` at those times before NOW, indexed as the handler would."""
    made = Post.objects.bulk_create(
        Post(author=author, text=text, created_at=NOW - timedelta(minutes=m), conversation_id=0)
        for m in at_minutes_ago
    )
    services.hashtags_sync(post_ids=[p.id for p in made])


def tags(window: str) -> list[str]:
    return [t.tag for t in selectors.trends_compute(now=NOW)[window]]


def test_one_spamming_author_cannot_trend_a_tag():
    spammer, *crowd = UserFactory.create_batch(4)
    posts(spammer, "buy now #spam", at_minutes_ago=list(range(0, 60, 1)))  # 60 posts an hour
    for author in crowd:
        posts(author, "look #Rising", at_minutes_ago=[10])
    assert tags("1h") == ["rising"]
    assert tags("24h") == ["rising"]
    (rising,) = selectors.trends_compute(now=NOW)["1h"]
    assert rising.authors == 3


def test_hidden_posts_and_suspended_authors_do_not_trend_a_tag():
    crowd = UserFactory.create_batch(5)
    for author in crowd:
        posts(author, "join #campaign", at_minutes_ago=[5])
    assert tags("1h") == ["campaign"]
    Post.objects.filter(author=crowd[0]).update(hidden_at=NOW)
    User.objects.filter(pk__in=[crowd[1].pk, crowd[2].pk]).update(is_active=False)
    assert tags("1h") == []  # two visible authors left: below the minimum of three


def test_two_authors_are_not_enough_and_old_use_falls_out_of_the_hour():
    a, b, c = UserFactory.create_batch(3)
    for author in (a, b):
        posts(author, "#pair", at_minutes_ago=[5])
    for author in (a, b, c):
        posts(author, "#yesterday", at_minutes_ago=[300])  # 5 hours ago
    assert tags("1h") == []
    assert tags("24h") == ["yesterday"]
    assert tags("24h") == [t.tag for t in selectors.trends_compute(now=NOW)["24h"]]
    # an hour later by the injected clock, nothing changes for the 24-hour window
    later = selectors.trends_compute(now=NOW + timedelta(hours=1))
    assert [t.tag for t in later["24h"]] == ["yesterday"]


def test_a_tag_used_as_usual_does_not_trend_but_a_surge_does():
    regulars = UserFactory.create_batch(3)
    every_hour = [60 * h + 30 for h in range(7 * 24)]
    for author in regulars:
        posts(author, "#weather today", at_minutes_ago=every_hour)
    newcomers = UserFactory.create_batch(5)
    for author in newcomers:
        posts(author, "#weather storm!", at_minutes_ago=[3])
    # usual: 3 authors an hour; now 8 in the hour: it trends, below a new tag of 5
    for author in newcomers:
        posts(author, "#storm", at_minutes_ago=[2])
    hour = selectors.trends_compute(now=NOW)["1h"]
    assert [t.tag for t in hour] == ["storm", "weather"]
    # without the newcomers, the regulars alone: no trend
    Post.objects.filter(author__in=newcomers).delete()
    assert tags("1h") == []


def test_trends_endpoint_reads_the_cached_result_refreshed_by_the_job(alice, settings):
    crowd = UserFactory.create_batch(3)
    client = client_for(alice)
    assert results(client.get("/api/v1/trends")) == []  # computed on read, cached
    for author in crowd:
        posts(author, "#fresh", at_minutes_ago=[0])
    assert results(client.get("/api/v1/trends")) == []  # still the cached answer
    assert refresh_trends() == 2  # the periodic job: one tag in each window
    with CaptureQueriesContext(connection) as queries:
        rows = results(client.get("/api/v1/trends?window=24h"))
    assert [(r["tag"], r["authors"]) for r in rows] == [("fresh", 3)]
    assert not [q for q in queries.captured_queries if "search_posthashtag" in q["sql"]]
    assert client.get("/api/v1/trends?window=7d").status_code == 400


def test_trends_query_count_does_not_grow(alice):
    def count(n: int) -> int:
        crowd = UserFactory.create_batch(3)
        for i in range(n):
            for author in crowd:
                posts(author, f"#wave{n}x{i}", at_minutes_ago=[1])
        selectors.trends_store(now=NOW)
        with CaptureQueriesContext(connection) as queries:
            assert len(results(client_for(alice).get("/api/v1/trends"))) >= n
        return len(queries)

    assert count(2) == count(8)
