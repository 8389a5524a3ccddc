"""`@username` mentions in free text: a pure parser, shared by the posts renderer
(tweets, entities on every post) and the notifications handler (mention rows).

It lives here, next to the username rule, because both apps may import
accounts and the two must never disagree on what a mention is.

Rules:
- `@` followed by a name of the username alphabet and length
  (USERNAME_PATTERN: [A-Za-z0-9_]{3,30});
- the `@` is not glued to a preceding word character, `@`, `/` or `.`, so
  `me@alice.com` and `x.com/@alice` are not mentions;
- the name ends where the alphabet ends; a longer run (31+ characters) or one
  glued to a letter outside it (`@aliceé`) or to another `@` (`@alice@host`,
  a fediverse address) is not a mention of its first 30 characters;
- nothing inside a URL (`https://...`, `www....`) is a mention.

Offsets are Python string indices (Unicode code points) into the text, `end`
exclusive, spanning the `@` too.
"""

import re
from dataclasses import dataclass

from accounts.models import USERNAME_PATTERN

_MENTION = re.compile(rf"(?<![\w@/.])@({USERNAME_PATTERN})(?![\w@])")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class MentionSpan:
    username: str  # as written; usernames are case-insensitive, compare with .lower()
    start: int
    end: int


def parse_mentions(text: str) -> list[MentionSpan]:
    """Every mention in `text`, in order (a name written twice appears twice)."""
    if "@" not in text:
        return []
    urls = [match.span() for match in _URL.finditer(text)]
    spans = []
    for match in _MENTION.finditer(text):
        start, end = match.span()
        if any(u_start <= start < u_end for u_start, u_end in urls):
            continue
        spans.append(MentionSpan(username=match.group(1), start=start, end=end))
    return spans


def mentioned_usernames(text: str) -> list[str]:
    """Distinct mentioned names, lowercased, in order of first appearance."""
    return list(dict.fromkeys(span.username.lower() for span in parse_mentions(text)))
