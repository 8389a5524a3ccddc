"""Mastodon's entities (Account, Status, MediaAttachment, Tag, Relationship),
rendered from Warble's rows and renderers.

Statuses reuse `tweets.rendering.PostRenderer.get_attrs`: the whole page's
references, viewer flags (favourited/reblogged/bookmarked), mentions, hashtags
and media are gathered in a fixed number of queries, then each status is built
with no query. Accounts are built from the user rows the posts and lists
already carry (no query). Ids are strings, times ISO 8601, `content` HTML.
"""

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accounts.rendering import avatar_url
from core.datetimes import iso_datetime
from tweets.rendering import PostRenderer

_URL = re.compile(r"https?://[^\s<>\"']+")
MISSING_AVATAR = "/static/mastodon_api/missing.png"


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/") if request is not None else ""


def _date(value: datetime | None) -> str | None:
    return iso_datetime(value) if value is not None else None


def account(user, *, request=None) -> dict[str, Any]:
    """A Mastodon Account from a full User row (no query)."""
    base = base_url(request)
    avatar = avatar_url(user.avatar, request=request) or f"{base}{MISSING_AVATAR}"
    header = avatar_url(getattr(user, "banner", None), request=request) or f"{base}{MISSING_AVATAR}"
    created = getattr(user, "created_at", None)
    return {
        "id": str(user.pk),
        "username": user.username,
        "acct": user.username,
        "display_name": user.display_name or user.username,
        "locked": user.is_private,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": _date(created.replace(hour=0, minute=0, second=0, microsecond=0))
        if created
        else None,
        "note": f"<p>{html.escape(user.bio).replace(chr(10), '<br />')}</p>"
        if getattr(user, "bio", "")
        else "",
        "url": f"{base}/@{user.username}",
        "uri": f"{base}/users/{user.username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": getattr(user, "followers_count", 0),
        "following_count": getattr(user, "following_count", 0),
        "statuses_count": getattr(user, "posts_count", 0),
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


class Accounts:
    """Accounts of one response, each built once."""

    def __init__(self, *, request=None):
        self.request = request
        self._by_id: dict[int, dict] = {}

    def __call__(self, user) -> dict:
        found = self._by_id.get(user.pk)
        if found is None:
            found = self._by_id[user.pk] = account(user, request=self.request)
        return found


def credential_account(user, *, request=None) -> dict[str, Any]:
    """verify_credentials' Account: with `source` (the raw profile fields)."""
    return {
        **account(user, request=request),
        "source": {
            "privacy": "public",
            "sensitive": False,
            "language": None,
            "note": user.bio,
            "fields": [],
            "follow_requests_count": 0,
        },
    }


def _absolute(url: str | None, base: str) -> str | None:
    """A local storage's URLs are paths; Mastodon clients need whole URLs."""
    return f"{base}{url}" if url and url.startswith("/") else url


def media_attachment(payload: dict[str, Any], *, base: str = "") -> dict[str, Any]:
    """A MediaAttachment from media.rendering's payload (one shape for both faces);
    `base`: this host's URL, for the paths of a local storage."""
    variants = payload.get("variants") or {}
    small = variants.get("small") or {}
    meta: dict[str, Any] = {}
    if payload.get("width"):
        meta["original"] = {
            "width": payload["width"],
            "height": payload["height"],
            "size": f"{payload['width']}x{payload['height']}",
            "aspect": payload["width"] / payload["height"] if payload["height"] else None,
        }
    if small:
        meta["small"] = {"width": small["width"], "height": small["height"]}
    return {
        "id": payload["id"],
        "type": payload.get("type", "image"),
        "url": _absolute(payload.get("url"), base),
        "preview_url": _absolute(small.get("url") or payload.get("url"), base),
        "remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": payload.get("alt_text") or None,
        "blurhash": payload.get("blurhash"),
    }


def tag(name: str, *, request=None, following: bool | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "name": name,
        "url": f"{base_url(request)}/tags/{name}",
        "history": [],
    }
    if following is not None:
        entity["following"] = following
    return entity


def relationship(rel) -> dict[str, Any]:
    """A Relationship from relationships.selectors.Relationship."""
    return {
        "id": str(rel["user_id"]),
        "following": rel["following"],
        "showing_reblogs": rel["following"],
        "notifying": False,
        "languages": None,
        "followed_by": rel["followed_by"],
        "blocking": rel["blocking"],
        "blocked_by": rel["blocked_by"],
        "muting": rel["muting"],
        "muting_notifications": rel["muting"],
        "requested": rel["requested"],
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def content_html(
    text: str,
    *,
    mentions: Iterable[dict],
    hashtags: Iterable[dict],
    base: str,
    quote_url: str | None = None,
) -> str:
    """The text as Mastodon's HTML: escaped, paragraphs and line breaks, mentions
    and hashtags as links (class names as Mastodon's, so clients style them),
    bare URLs as links, and a quoted post as a trailing link."""
    spans: list[tuple[int, int, str]] = []
    for m in mentions:
        name = m["username"]
        spans.append(
            (
                m["start"],
                m["end"],
                f'<span class="h-card"><a href="{base}/@{html.escape(name)}" '
                f'class="u-url mention">@<span>{html.escape(name)}</span></a></span>',
            )
        )
    for h in hashtags:
        name = html.escape(text[h["start"] + 1 : h["end"]])
        spans.append(
            (
                h["start"],
                h["end"],
                f'<a href="{base}/tags/{name}" class="mention hashtag" rel="tag">#<span>'
                f"{name}</span></a>",
            )
        )
    taken = [(s, e) for s, e, _ in spans]
    for match in _URL.finditer(text):
        s, e = match.span()
        if any(s < te and ts < e for ts, te in taken):
            continue
        url = html.escape(match.group())
        spans.append((s, e, f'<a href="{url}" rel="nofollow noopener" target="_blank">{url}</a>'))
    spans.sort()
    out, pos = [], 0
    for start, end, replacement in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(replacement)
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out)
    paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n") if p.strip()] or [""]
    rendered = "".join(f"<p>{p}</p>" for p in paragraphs)
    if quote_url:
        rendered += (
            f'<p class="quote-inline">RE: <a href="{html.escape(quote_url)}">'
            f"{html.escape(quote_url)}</a></p>"
        )
    return rendered


@dataclass(frozen=True, slots=True)
class StatusItem:
    """One status of a list: a post, or a reblog (`reblogger` set, `id` the retweet's)."""

    id: int
    post: Any
    reblogger: Any = None
    created_at: datetime | None = None


def status_url(base: str, post_id: int | str) -> str:
    return f"{base}/api/v1/statuses/{post_id}"


class StatusRenderer:
    """Statuses for one viewer, a batch at a time (see the module docstring)."""

    def __init__(self, *, viewer, request=None):
        self.viewer = viewer
        self.request = request
        self.base = base_url(request)
        self.accounts = Accounts(request=request)
        self.posts = PostRenderer(viewer=viewer, request=request)

    def render_items(self, items: Sequence[StatusItem]) -> list[dict]:
        posts = list({item.post.id: item.post for item in items}.values())
        attrs = self.posts.get_attrs(posts)
        by_post = {p.id: self._status(p, attrs[p.id]) for p in posts if p.id in attrs}
        out = []
        for item in items:
            status = by_post.get(item.post.id)
            if status is None:
                continue
            if item.reblogger is None:
                out.append(status)
            else:
                out.append(self._reblog(item, status))
        return out

    def render(self, posts: Iterable[Any]) -> list[dict]:
        return self.render_items([StatusItem(id=p.id, post=p) for p in posts])

    def render_one(self, post) -> dict:
        return self.render([post])[0]

    def _reblog(self, item: StatusItem, status: dict) -> dict:
        return {
            **status,
            "id": str(item.id),
            "uri": f"{status['uri']}/reblogs/{item.id}",
            "url": None,
            "account": self.accounts(item.reblogger),
            "created_at": _date(item.created_at) or status["created_at"],
            "edited_at": None,
            "content": "",
            "text": "",
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "reblog": status,
        }

    def _status(self, post, attrs) -> dict:
        content = attrs.content
        quote = attrs.quote_of
        quote_url = status_url(self.base, quote["id"]) if quote and quote["available"] else None
        reply_to = attrs.reply_to
        mentions = [
            {
                "id": m["user_id"],
                "username": m["username"],
                "acct": m["username"],
                "url": f"{self.base}/@{m['username']}",
            }
            for m in attrs.mentions
        ]
        names = list(
            dict.fromkeys(
                content["text"][h["start"] + 1 : h["end"]].lower() for h in attrs.hashtags
            )
        )
        url = status_url(self.base, post.id)
        return {
            "id": str(post.id),
            "uri": url,
            "url": url,
            "created_at": content["created_at"],
            "edited_at": content["edited_at"],
            "account": self.accounts(post.author),
            "content": content_html(
                content["text"],
                mentions=attrs.mentions,
                hashtags=attrs.hashtags,
                base=self.base,
                quote_url=quote_url,
            ),
            "text": None,
            "visibility": "public",
            "sensitive": False,
            "spoiler_text": "",
            "media_attachments": [media_attachment(m, base=self.base) for m in content["media"]],
            "application": None,
            "mentions": mentions,
            "tags": [tag(name, request=self.request) for name in names],
            "emojis": [],
            "reblogs_count": post.retweet_count,
            "favourites_count": post.like_count,
            "replies_count": post.reply_count,
            "quotes_count": post.quote_count,
            "in_reply_to_id": reply_to["id"] if reply_to else None,
            "in_reply_to_account_id": (
                reply_to["author"]["id"] if reply_to and reply_to["available"] else None
            ),
            "reblog": None,
            "poll": None,
            "card": None,
            "language": None,
            "favourited": attrs.liked,
            "reblogged": attrs.retweeted,
            "bookmarked": attrs.bookmarked,
            "muted": False,
            "pinned": False,
            "quote_id": quote["id"] if quote else None,
        }


def status_source(post) -> dict:
    return {"id": str(post.id), "text": post.text, "spoiler_text": ""}
