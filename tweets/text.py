"""Post text as a user sees it: normalised, cleaned, and counted in grapheme clusters.

Cleaning, in order:
1. Line endings become "\\n" (CRLF, CR, and the Unicode line/paragraph separators).
2. NFC normalisation, so "e" + combining acute and "é" are the same text and length.
3. Removed: every control character (category Cc) except "\\n" (so tabs, NUL,
   ESC, DEL and the C1 controls go; PostgreSQL rejects NUL anyway), lone
   surrogates (Cs: invalid UTF-8, a database error otherwise), and the format
   characters (Cf) that hide or reorder text: bidi embeddings/overrides/isolates
   (the "Trojan Source" trick), zero-width space, word joiner, the BOM and the
   invisible math operators. Kept: ZWJ and ZWNJ (emoji sequences, Persian and
   Indic scripts need them), LRM/RLM/ALM (legitimate in right-to-left text), and
   everything else, including characters newer than Python's Unicode tables.
4. Surrounding whitespace trimmed.

The length is the number of extended grapheme clusters (`regex`'s `\\X`): a
family emoji or a flag counts as one, as the user sees it.
"""

import unicodedata

import regex

MAX_GRAPHEMES = 280
# A ceiling on code points as well, so a "character" stacked with thousands of
# combining marks cannot pass as one grapheme. 280 of the longest emoji ZWJ
# sequences (about 11 code points each) fit.
MAX_CODE_POINTS = 4000

_LINE_BREAKS = regex.compile(r"\r\n|[\r\u2028\u2029\x85]")
_HIDDEN_FORMAT = frozenset(
    [
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        0x200B,  # zero-width space
        0x2060,  # word joiner
        *range(0x2061, 0x2065),  # invisible function application, times, separator, plus
        0xFEFF,  # byte order mark / zero-width no-break space
    ]
)
_GRAPHEME = regex.compile(r"\X")


class TextError(ValueError):
    """Why a text is not acceptable; the message is meant for the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def _keep(char: str) -> bool:
    if char == "\n":
        return True
    if ord(char) in _HIDDEN_FORMAT:
        return False
    return unicodedata.category(char) not in ("Cc", "Cs")


def clean_text(raw: str) -> str:
    text = _LINE_BREAKS.sub("\n", raw)
    text = "".join(char for char in text if _keep(char))
    # Normalise after removal: a dropped control may have separated a base
    # character from a combining mark that composes with it.
    return unicodedata.normalize("NFC", text).strip()


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
