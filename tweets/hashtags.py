"""`#hashtags` in post text: a pure parser, shared by the posts renderer (tweets,
entities on every post) and the search app's handler (hashtag rows and links).

It lives in tweets because search may import tweets but tweets may not import
search, and the two must never disagree on what a hashtag is.

Rules:
- `#` followed by Unicode letters, combining marks, decimal digits and `_`
  (so `#café`, `#日本`, `#año2024` are tags); the tag ends where those end, so
  `#C++` is the tag `c`;
- at least one letter: `#123` (an issue number, a rank) is not a tag, as on the
  large networks;
- the `#` is not glued to a preceding word character, `#`, `&` or `/`
  (`a#b`, `##x`, `&#123;`, `/#section` are not tags);
- nothing inside a URL (`https://x.com/page#section`, `www.x.com/#a`);
- at most MAX_TAG_LENGTH characters; a longer run is not a tag at all.

The stored form (`normalize_tag`) is NFKC + casefold, so `#Café`, `#CAFÉ` and
`#café` (composed or not) are one tag. Offsets are Python string indices (code
points) into the text, `end` exclusive, spanning the `#` too.
"""

import unicodedata
from dataclasses import dataclass

import regex

MAX_TAG_LENGTH = 100

_TAG_CHAR = r"[\p{L}\p{M}\p{Nd}_]"
_HASHTAG = regex.compile(rf"(?<![\w#&/])#({_TAG_CHAR}+)")
_HAS_LETTER = regex.compile(r"\p{L}")
_URL = regex.compile(r"(?i)\b(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class HashtagSpan:
    tag: str  # normalised (normalize_tag)
    start: int
    end: int


def normalize_tag(raw: str) -> str:
    """The one stored and compared form of a tag (without its `#`)."""
    return unicodedata.normalize("NFKC", raw).casefold()


def parse_hashtags(text: str) -> list[HashtagSpan]:
    """Every hashtag in `text`, in order (a tag written twice appears twice)."""
    if "#" not in text:
        return []
    urls = [match.span() for match in _URL.finditer(text)]
    spans = []
    for match in _HASHTAG.finditer(text):
        start, end = match.span()
        body = match.group(1)
        if len(body) > MAX_TAG_LENGTH or not _HAS_LETTER.search(body):
            continue
        if any(u_start <= start < u_end for u_start, u_end in urls):
            continue
        spans.append(HashtagSpan(tag=normalize_tag(body), start=start, end=end))
    return spans


def hashtags_in(text: str) -> list[str]:
    """Distinct normalised tags, in order of first appearance."""
    return list(dict.fromkeys(span.tag for span in parse_hashtags(text)))
