"""Post text as a user sees it: cleaned, and counted in grapheme clusters.

Cleaning is core.text's, the rules every user-written text follows (profile
fields too): line endings normalised, control characters, lone surrogates and
the invisible reordering characters removed, NFC, trimmed.

The length is the number of extended grapheme clusters (`regex`'s `\\X`): a
family emoji or a flag counts as one, as the user sees it.
"""

import regex

from core.text import clean_text

__all__ = [
    "MAX_CODE_POINTS",
    "MAX_GRAPHEMES",
    "TextError",
    "clean_text",
    "grapheme_count",
    "validate_post_text",
]

MAX_GRAPHEMES = 280
# A ceiling on code points as well, so a "character" stacked with thousands of
# combining marks cannot pass as one grapheme. 280 of the longest emoji ZWJ
# sequences (about 11 code points each) fit.
MAX_CODE_POINTS = 4000

_GRAPHEME = regex.compile(r"\X")


class TextError(ValueError):
    """Why a text is not acceptable; the message is meant for the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def grapheme_count(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def validate_post_text(raw: str) -> str:
    """The cleaned text, or TextError if it is empty or too long."""
    too_long = TextError(f"Posts are at most {MAX_GRAPHEMES} characters.", code="max_length")
    if len(raw) > MAX_CODE_POINTS * 4:  # refuse absurd input before doing any work on it
        raise too_long
    text = clean_text(raw)
    if not text:
        raise TextError("A post needs some text.", code="blank")
    if len(text) > MAX_CODE_POINTS or grapheme_count(text) > MAX_GRAPHEMES:
        raise too_long
    return text
