"""User-written text as a user sees it: the one set of cleaning rules.

Posts (tweets.text) and profile fields (display name, bio, location, website)
are cleaned alike, in this order:
1. Line endings become "\\n" (CRLF, CR, and the Unicode line/paragraph separators);
   in a single-line field every line break becomes a space.
2. Removed: every control character (category Cc) except "\\n" (so tabs, NUL,
   ESC, DEL and the C1 controls go; PostgreSQL rejects NUL anyway), lone
   surrogates (Cs: invalid UTF-8, a database error otherwise), and the format
   characters (Cf) that hide or reorder text: bidi embeddings/overrides/isolates
   (the "Trojan Source" trick), zero-width space, word joiner, the BOM and the
   invisible math operators. Kept: ZWJ and ZWNJ (emoji sequences, Persian and
   Indic scripts need them), LRM/RLM/ALM (legitimate in right-to-left text), and
   everything else, including characters newer than Python's Unicode tables.
3. NFC normalisation, so "e" + combining acute and "é" are the same text and length
   (after removal: a dropped control may have separated a base character from a
   combining mark that composes with it).
4. Surrounding whitespace trimmed.
"""

import unicodedata

import regex

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


def _keep(char: str) -> bool:
    if char == "\n":
        return True
    if ord(char) in _HIDDEN_FORMAT:
        return False
    return unicodedata.category(char) not in ("Cc", "Cs")


def clean_text(raw: str, *, single_line: bool = False) -> str:
    text = _LINE_BREAKS.sub("\n", raw)
    if single_line:
        text = text.replace("\n", " ")
    text = "".join(char for char in text if _keep(char))
    return unicodedata.normalize("NFC", text).strip()
