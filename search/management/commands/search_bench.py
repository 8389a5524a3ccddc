"""Measure post search: p50/p99 per query and overall, and the plan (docs/search.md).

    DATABASE_URL=postgres://.../warble_search_bulk manage.py search_bench --runs 30

Each query runs `--runs` times as a signed-in bulk user, through the selector
(`search.selectors.post_search` + `ranked`, or newest first for sort=latest,
fetching a page of 21 rows as the endpoint does) and through the HTTP endpoint
in process (Django's test client with a bearer token: authentication, routing,
validation, the selector and rendering, no network). Then EXPLAIN (ANALYZE,
BUFFERS) of one ranked query.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from accounts.models import User
from search import selectors
from search.query import parse_post_query
from tweets.textsearch import text_rank

QUERIES = [
    ("coffee", "relevance"),
    ("morning coffee", "relevance"),
    ('"good morning"', "relevance"),
    ("running", "relevance"),
    ("coffee -tea", "relevance"),
    ("football or soccer", "relevance"),
    ("kalomi", "relevance"),  # a long-tail word
    ("kalomi or vozoba", "relevance"),
    ("music from:bulk42", "relevance"),
    ("has:media photo", "relevance"),
    ("coffee", "latest"),
    ("#travel", "latest"),
]
PAGE = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Command(BaseCommand):
    help = "p50/p99 of post search on this database, and EXPLAIN ANALYZE of a query."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--no-http", action="store_true")

    def handle(self, *args, runs: int, no_http: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("PostgreSQL only.")
        viewer = User.objects.filter(email__endswith="@bulk.example").order_by("pk")[7]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tweets_post")
            total = cursor.fetchone()[0]
        self.stdout.write(f"{total} posts; viewer {viewer.username}; {runs} runs per query\n")
        # Django's test client with a real bearer token (the bench's own minting:
        # what the token endpoint hands out), so authentication is measured too.
        from bench.dataset import mint_tokens

        client = Client(headers={"Authorization": f"Bearer {mint_tokens([viewer.pk])[viewer.pk]}"})
        overall = {"selector": [], "http": []}
        header = f"{'query':<26} {'sort':<9} {'hits':>5} {'sel p50':>8} {'sel p99':>8}"
        if not no_http:
            header += f" {'http p50':>9} {'http p99':>9}"
        self.stdout.write(header)
        for q, sort in QUERIES:
            times, hits = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                hits = len(self.select(viewer, q, sort))
                times.append((time.perf_counter() - started) * 1000)
            overall["selector"] += times
            line = (
                f"{q:<26} {sort:<9} {hits:>5} {percentile(times, 50):>7.1f}m "
                f"{percentile(times, 99):>7.1f}m"
            )
            if not no_http:
                http = []
                for _ in range(runs):
                    started = time.perf_counter()
                    response = client.get("/api/v1/search/posts", {"q": q, "sort": sort})
                    http.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.content
                overall["http"] += http
                line += f" {percentile(http, 50):>8.1f}m {percentile(http, 99):>8.1f}m"
            self.stdout.write(line)
        for kind, values in overall.items():
            if values:
                self.stdout.write(
                    f"all queries, {kind}: p50 {percentile(values, 50):.1f} ms, "
                    f"p99 {percentile(values, 99):.1f} ms, mean {statistics.mean(values):.1f} ms "
                    f"({len(values)} runs)"
                )
        query = parse_post_query("morning coffee")
        posts = selectors.post_search(viewer=viewer, query=query)
        plan = (
            posts.annotate(rank=text_rank(query.text))
            .order_by("-rank", "-id")[: PAGE + 1]
            .explain(analyze=True, buffers=True)
        )
        self.stdout.write("\nEXPLAIN (ANALYZE, BUFFERS) of q='morning coffee' by relevance:\n")
        self.stdout.write(plan)

    def select(self, viewer, q: str, sort: str) -> list:
        query = parse_post_query(q)
        posts = selectors.post_search(viewer=viewer, query=query)
        if selectors.ranks_by_relevance(query, sort):
            return selectors.ranked(posts, text=query.text, after=None, n=PAGE + 1)
        return list(posts.order_by("-id")[: PAGE + 1])
