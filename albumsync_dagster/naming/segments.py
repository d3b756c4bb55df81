"""A name as the segments a person typed: split on `` - ``, `` – ``, `` — ``, text kept as written.

The drift parser (:mod:`.name_parts`) works on a normalised copy of a name; the naming
standards that keep an operator's text (``level-event-date``, templates) and the reasons shown
to a person need the original characters, so segments are cut from the name itself.
:func:`read_segment_date` reads a segment as a date in any notation the drift parser reads,
plus the ``MM-DD-YYYY to MM-DD-YYYY`` range the standards write.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .event_dates import MONTH_ABBREVIATIONS
from .name_parts import DateSpan, normalise, read_date
from .text import strip_controls

# A dash with white space on both sides; the space after is looked at, not taken, so that
# "Cup - - 05-30-2024" still has a separator right before its date.
SEPARATOR = re.compile(r"\s[-\u2013\u2014](?=\s)")
_RANGE_WORD = " to "
# The first three letters of a date in words: a month's or a weekday's.
_DATE_STARTS = frozenset(
    (
        *(month.lower() for month in MONTH_ABBREVIATIONS),
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    )
)
_LONGEST_DATE = 2 * 80 + len(_RANGE_WORD)


def read_segment_date(text: str) -> DateSpan | None:
    """The date a segment says, or None: ``Sep 22``, ``2026-09-22``, ``09-22-2026``,
    ``09-22-2026 to 09-23-2026``, ``Sep 2026`` ... (the drift parser's notations)."""
    return _segment_date(text, text.isascii() and text.isprintable())


def _segment_date(text: str, plain: bool) -> DateSpan | None:
    """:func:`read_segment_date`; ``plain``: the text is printable ASCII."""
    if len(text) > _LONGEST_DATE:
        return None  # no date notation is this long: spare normalising a whole name
    if plain:
        # Every notation starts with a digit, a month or a weekday; most middles do not.
        start = text.lstrip()[:3]
        if not start[:1].isdigit() and start.lower() not in _DATE_STARTS:
            return None
    return _cached_segment_date(text)


# The last segments of an account's names are mostly its few thousand dates: worth a cache.
@lru_cache(maxsize=8192)
def _cached_segment_date(text: str) -> DateSpan | None:
    normal = normalise(text)
    if not normal:
        return None
    span = read_date(normal)
    if span is not None or _RANGE_WORD not in normal:
        return span
    first_text, _, last_text = normal.partition(_RANGE_WORD)
    first, last = read_date(first_text), read_date(last_text)
    if first is None or last is None or first.day1 is None or last.day2 is None:
        return None
    y1 = first.year1 if first.year1 is not None else last.year2
    y2 = last.year2 if last.year2 is not None else first.year1
    start = (y1 or 0, first.month1 or 0, first.day1)
    end = (y2 or 0, last.month2 or 0, last.day2)
    if start > end:
        return None
    return DateSpan(
        y1, first.month1, first.day1, y2, last.month2, last.day2, first.valid and last.valid
    )


def split_off_date(name: str) -> tuple[str, str, DateSpan | None]:
    """(what comes before the date segment, the date segment, its date) of a name, text as
    written (controls removed, ends trimmed). The date segment is the last segment only; a
    name that is a bare date is all date; with no date the whole name comes first."""
    return split_off_date_of(name, name.isascii() and name.isprintable())


def split_off_date_of(name: str, plain: bool) -> tuple[str, str, DateSpan | None]:
    """:func:`split_off_date` of a name known to be printable ASCII (``plain``) or not."""
    if plain:
        text = name.strip()  # nothing to remove, and " - " is the only separator
        start = text.rfind(" - ")
        end = start + 2
    else:
        text = strip_controls(name)
        plain = text.isascii()  # controls removed: ASCII left is printable
        start, end = _last_separator(text)
    if start >= 0:
        candidate = text[end:].strip()
        span = _segment_date(candidate, plain)
        if span is not None:
            return text[:start].strip(), candidate, span
    span = _segment_date(text, plain)
    if span is not None:
        return "", text, span
    return text, "", None


def first_segment(text: str) -> tuple[str, str]:
    """(the first segment, the rest after its separator), both trimmed; rest "" if none."""
    if text.isascii():
        # Controls are gone (strip_controls), so the only ASCII separator is " - ".
        index = text.find(" - ")
        if index < 0:
            return text.strip(), ""
        return text[:index].strip(), text[index + 2 :].strip()
    match = SEPARATOR.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def _last_separator(text: str) -> tuple[int, int]:
    """(start, end) of the last separator in ``text`` (controls removed); (-1, -1) if none."""
    if text.isascii():
        index = text.rfind(" - ")
        return (index, index + 2) if index >= 0 else (-1, -1)
    last = None
    for last in SEPARATOR.finditer(text):  # noqa: B007 - the last separator is wanted
        pass
    return (last.start(), last.end()) if last is not None else (-1, -1)
