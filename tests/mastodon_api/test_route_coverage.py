"""Every route of the Mastodon URLconf is exercised by a test in tests/mastodon_api.

The authorization matrix (tests/security/test_authorization_matrix.py) walks the
native URLconf only; the Mastodon face's routes are covered here instead: each one
must appear in a test file of this folder (where its success, auth-failure and
not-found cases live: test_routes.py for part A). A route nobody tests fails this.
"""

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

HERE = Path(__file__).parent


def _routes() -> list[str]:
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
                route = prefix + str(pattern.pattern)
                if route != "healthz":
                    found.append(route)

    walk(get_resolver("mastodon_api.root_urls").url_patterns, "")
    return found


def _regex(route: str) -> re.Pattern[str]:
    parts = re.split(r"<[^>]+>", route)
    body = r"[^/\s\"'?]+".join(re.escape(part) for part in parts)
    return re.compile(r"[\"'/]" + body + r"(?![\w/])")


def test_every_mastodon_route_is_tested():
    sources = "\n".join(
        path.read_text() for path in HERE.glob("test_*.py") if path.name != Path(__file__).name
    )
    routes = _routes()
    assert len(routes) > 40
    untested = [route for route in routes if not _regex(route).search(sources)]
    assert untested == []
