"""The automatic first pass's word and link blocklists (settings
MODERATION_BLOCKED_WORDS, MODERATION_BLOCKED_LINK_DOMAINS).

Words match whole words, case-insensitively (Unicode case folding), so
"scam" flags "SCAM!" but not "scampi". A blocked domain matches links to it
and to its subdomains, with or without a scheme ("evil.example" flags
"https://www.evil.example/x" and "evil.example/x").
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

# A link: a scheme and host, or a bare host with a dot and a TLD of letters.
_LINK = re.compile(r"(?:https?://)?(?P<host>(?:[\w-]+\.)+[a-z]{2,63})(?=[/:?#\s]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Matches:
    words: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"word {word!r}" for word in self.words]
        parts += [f"link to {domain}" for domain in self.links]
        return "blocklist: " + ", ".join(parts)


@lru_cache(maxsize=8)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _settings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    words = tuple(w.strip().casefold() for w in settings.MODERATION_BLOCKED_WORDS if w.strip())
    domains = tuple(
        d.strip().lower().lstrip(".") for d in settings.MODERATION_BLOCKED_LINK_DOMAINS if d.strip()
    )
    return words, domains


def enabled() -> bool:
    words, domains = _settings()
    return bool(words or domains)


def matches(text: str) -> Matches:
    words, domains = _settings()
    found_words: list[str] = []
    pattern = _word_pattern(words)
    if pattern is not None:
        found_words = sorted({m.group(0) for m in pattern.finditer(text.casefold())})
    found_links: list[str] = []
    if domains:
        for match in _LINK.finditer(text):
            host = match.group("host").lower()
            for domain in domains:
                if (host == domain or host.endswith("." + domain)) and domain not in found_links:
                    found_links.append(domain)
    return Matches(words=found_words, links=found_links)
