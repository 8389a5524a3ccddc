"""A post search query: the web-search text plus the operators we read ourselves.

Operators (in `q`, anywhere, any case; the same as query parameters):
- `from:username` (or `from:@username`): posts by that account only;
- `has:media`: posts with media attached only.
Everything else is the text part, passed to PostgreSQL's websearch_to_tsquery
(tweets.textsearch): words, `"exact phrase"`, `-exclude`, `or`.
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from core.errors import Invalid

_OPERATOR = re.compile(r"(?i)(?<!\S)(from|has):(\S*)")
HAS_VALUES = ("media",)


def _invalid(message: str) -> Invalid:
    return Invalid(code="invalid_operator", fields={"q": [message]})


@dataclass(frozen=True)
class PostQuery:
    text: str = ""
    from_username: str | None = None
    has_media: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.from_username or self.has_media)


def parse_post_query(
    raw: str, *, from_username: str | None = None, has_media: bool = False
) -> PostQuery:
    """`raw` with its operators taken out; the parameters add to them (a `from`
    in both must agree, else Invalid)."""
    found_from: list[str] = []
    for match in _OPERATOR.finditer(raw):
        name, value = match.group(1).lower(), match.group(2)
        if name == "from":
            value = value.lstrip("@")
            if not value:
                raise _invalid("from: needs a username (from:alice).")
            found_from.append(value.lower())
        elif value.lower() in HAS_VALUES:
            has_media = True
        else:
            raise _invalid(f"has: takes one of: {', '.join(HAS_VALUES)}.")
    if from_username:
        found_from.append(from_username.lstrip("@").lower())
    if len(set(found_from)) > 1:
        raise _invalid("Only one author (from:) per search.")
    text = " ".join(_OPERATOR.sub(" ", raw).split())
    return PostQuery(
        text=text, from_username=found_from[0] if found_from else None, has_media=has_media
    )


def has_media_q() -> Q:
    """Posts with media attached. The one place `has:media` is decided: a post's
    `media_ids` are the items media.services.media_attach accepted for it (ready,
    the author's, attached to nothing else), so a non-empty list is media."""
    return ~Q(media_ids=[])
