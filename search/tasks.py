"""Celery tasks of search: thin, each calls one function."""

from celery import shared_task
from django.utils import timezone

from search import selectors

REFRESH_TRENDS_TASK = "search.refresh_trends"


@shared_task(name=REFRESH_TRENDS_TASK, ignore_result=True)
def refresh_trends() -> int:
    """The periodic job (beat, every minute): recompute the trends into the cache."""
    found = selectors.trends_store(now=timezone.now())
    return sum(len(rows) for rows in found.values())
