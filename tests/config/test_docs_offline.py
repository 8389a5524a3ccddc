"""The API docs load nothing from the internet (served offline, DESIGN.md §6)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

URL_ATTRIBUTES = {"src", "href", "action", "poster", "data"}
ABSOLUTE = re.compile(r"(?:https?:)?//[^\s\"'<>)]+", re.IGNORECASE)
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# Sources that never leave the machine.
LOCAL_SOURCES = {"'self'", "data:", "blob:", "'unsafe-inline'"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]


def _policy(header: str) -> dict[str, set[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(sources) for name, *sources in directives}


@pytest.mark.parametrize("url", ["/api/redoc/", "/api/docs/"])
def test_the_docs_page_references_no_outside_host(client, url):
    """Before the fix ReDoc linked fonts.googleapis.com and fonts.gstatic.com."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    links = _Links()
    links.feed(page)
    assert links.urls, "the page should load its bundle"
    assert all(link.startswith("/") and not link.startswith("//") for link in links.urls), (
        links.urls
    )
    assert ABSOLUTE.findall(page) == []


def test_redoc_forbids_every_outside_load_the_bundle_could_make(client):
    """The sidecar's bundle shows Redocly's logo from cdn.redoc.ly, whatever the
    options; the page's Content-Security-Policy makes the browser refuse it."""
    response = client.get("/api/redoc/")
    policy = _policy(response["Content-Security-Policy"])
    for directive in ("img-src", "font-src", "style-src", "connect-src"):
        assert policy.get(directive), directive
        assert policy[directive] <= LOCAL_SOURCES, (directive, policy[directive])

    bundle = Path(finders.find(REDOC_BUNDLE)).read_text(encoding="utf-8")
    # Everything the bundle itself would load: an element's src, a CSS url(), a fetch.
    loads = set(re.findall(r'src:"(https?://[^"]+)"', bundle))
    loads |= set(re.findall(r'url\(["\']?(https?://[^"\')]+)', bundle))
    loads |= set(re.findall(r'fetch\(["\'](https?://[^"\']+)', bundle))
    # A sidecar upgrade that loads something new fails here, to be looked at.
    assert loads == {"https://cdn.redoc.ly/redoc/logo-mini.svg"}
    assert re.search(r'createElement\("img",\{[^}]*src:"https://cdn\.redoc\.ly', bundle)
