"""Every API route is reachable: no earlier pattern catches its paths.

config/urls.py tries the apps' patterns in the order of the hot paths (the ping,
then posts and the feed), which is only safe while no two routes overlap. For
each route a sample path (ids as digits, names as letters) must resolve to that
very route, so a route another one shadows fails here.
"""

import re

from django.urls import URLResolver, get_resolver

SAMPLES = {"int": "12", "id": "12", "str": "abc", "slug": "abc", "path": "abc"}


def routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        else:
            yield route


def sample_path(route: str) -> str:
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "abc"), route
    )


def test_every_api_route_resolves_its_own_sample_path():
    resolver = get_resolver()
    checked = []
    for route in routes(resolver.url_patterns):
        if not route.startswith("api/v1/") or "^" in route or "(?P" in route:
            continue
        path = sample_path(route)
        match = resolver.resolve(path)
        assert match.route == route, f"{path}: {route} is shadowed by {match.route}"
        checked.append(route)
    assert len(checked) > 50  # the API's routes (60 today), not an empty walk
