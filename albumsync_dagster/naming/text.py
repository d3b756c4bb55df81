"""Cleaning the free text that goes into album names, and shortening it to a length limit.

Control characters never reach a name. Removed: every character of Unicode category Cc
(C0/C1 controls; tab, newline and the other whitespace controls become a word break),
Cf (format characters: zero-width space and joiners, soft hyphen, byte-order mark, the bidi
embeddings, overrides and isolates, tag characters) and Cs (lone surrogates), plus the
noncharacters U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF. Format characters are invisible: they
make two names that look identical compare unequal, and a stray right-to-left override
would reorder the date part on screen. The price is that a ZWJ emoji sequence falls apart
into its component emoji, acceptable in a gallery title. Lone surrogates cannot be encoded
as UTF-8 for SmugMug or PostgreSQL. Private-use and unassigned code points are kept: they
are printable, and a newer emoji may be unassigned in this Python's Unicode tables.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "\u2026"

_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Values an upstream serialiser writes for "nothing" (Python None, SQL NULL, pandas NaN).
_PLACEHOLDERS = frozenset({"none", "null", "undefined", "nan", "n/a", "unknown"})
# Lowercase inside a title-cased phrase unless first ("Track and Field").
_MINOR_WORDS = frozenset({"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"})
_SEGMENT_SPLIT = re.compile(r"([-/])")
# Trimmed from the end of a shortened title before the ellipsis goes on.
_TRAILING_JUNK = " -\u2013\u2014,;:/&(+"


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _without_controls(value: str) -> str:
    """``value`` in NFC with control, format and surrogate characters and noncharacters
    removed (a whitespace control becomes a space); white space otherwise as it was."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    # isprintable() is False for every C* and Z* character except the ASCII space, so the
    # per-character walk below only runs for text that may hold something to remove.
    if value.isprintable():
        return value
    kept: list[str] = []
    for ch in value:
        if unicodedata.category(ch) in _REMOVED_CATEGORIES or _is_noncharacter(ord(ch)):
            if ch.isspace():
                kept.append(" ")
            continue
        kept.append(ch)
    return "".join(kept)


def clean_text(value: object) -> str:
    """The text with control/format characters removed and whitespace collapsed (NFC).

    Capitalisation is kept. Anything that is not a string cleans to "".
    """
    if not isinstance(value, str):
        return ""
    return " ".join(_without_controls(value).split())


def has_letter_or_digit(text: str) -> bool:
    """True when ``text`` holds a letter or a digit (any script): what makes it a title."""
    return any(ch.isalnum() for ch in text)


def clean_field(value: object) -> str:
    """A cleaned enrichment field, or "" when it is missing, a placeholder, or has no letter
    or digit (``'``, ``🏈``, ``--``: nothing to title an album with)."""
    text = clean_text(value)
    if text.casefold() in _PLACEHOLDERS or not has_letter_or_digit(text):
        return ""
    return text


def strip_controls(value: str) -> str:
    """``value`` with control and format characters removed and its ends trimmed; inner
    whitespace and everything else kept character for character (an operator's own text)."""
    return _without_controls(value).strip()


def _capitalise(segment: str, keep_acronyms: bool) -> str:
    if keep_acronyms and len(segment) > 1 and segment.isupper():
        return segment  # "NCAA", "U12"
    lowered = segment.lower()
    for index, ch in enumerate(lowered):
        if ch.isalpha():
            return lowered[:index] + ch.upper() + lowered[index + 1 :]
        if ch.isdigit():
            return lowered  # "3x3" stays as it is
    return lowered


def title_case(value: str) -> str:
    """Title case for a sport: "lacrosse" -> "Lacrosse", "track_and_field" -> "Track and Field".

    All-caps words are kept when the text is not all caps ("NCAA soccer" -> "NCAA Soccer").
    """
    text = clean_text(value.replace("_", " "))
    keep_acronyms = any(ch.islower() for ch in text)
    words = []
    for position, word in enumerate(text.split(" ")):
        if position > 0 and word.lower() in _MINOR_WORDS:
            words.append(word.lower())
            continue
        segments = _SEGMENT_SPLIT.split(word)
        words.append("".join(_capitalise(s, keep_acronyms) for s in segments))
    return " ".join(words)


def _safe_cut(text: str, index: int) -> int:
    """A cut position at or before ``index`` that does not split a character sequence."""
    # A combining mark belongs to the character before it: cut before the base instead.
    while index > 0 and unicodedata.category(text[index])[0] == "M":
        index -= 1
    # Flags are pairs of regional indicators; an odd run before the cut would leave half one.
    run = 0
    while run < index and 0x1F1E6 <= ord(text[index - 1 - run]) <= 0x1F1FF:
        run += 1
    if run % 2 == 1 and index < len(text) and 0x1F1E6 <= ord(text[index]) <= 0x1F1FF:
        index -= 1
    return index


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut there and ended with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit] if limit > 0 else ""
    cut = _safe_cut(text, limit - 1)
    head = text[:cut].rstrip(_TRAILING_JUNK)
    if not head:
        head = text[: limit - 1]
    return head + ELLIPSIS
