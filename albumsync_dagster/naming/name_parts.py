"""Splitting an album name into its title and its date, for comparing names part by part.

A name is first normalised for comparison: control characters out, NFKC, case folded,
every dash (- ‐ ‑ ‒ – — ― −) made ``-``, whitespace collapsed, and ``v``, ``v.``, ``vs.``
and ``versus`` made ``vs``. The date is then looked for, in this order:

1. after a `` - `` separator, the whole rest being a date: the leftmost such separator, so
   ``Cup - Jun - Jul 2024`` reads as a range (in a canonical name, which we wrote, the last);
2. at the end, after a space, comma, parenthesis or other separator
   (``Eagles vs Lions (May 30th)``, ``Eagles vs Lions 5/30/24``);
3. at the start (``2024-05-30 Eagles vs Lions``).

When a title before the separator ends in a date word, the name may read two ways
(``Cup May 30 - Jun 2``: one range; ``Tribute to May - Jun 2024``: a title ending in a
month); both readings are kept, and the drift score takes the better.

Date forms (month names full or three-letter, with or without a dot; days with or without
``st``/``nd``/``rd``/``th``; an optional weekday before): ``May 30``, ``May 30, 2024``,
``30 May 2024``, ``May 30-31``, ``Oct 30-1`` (into November), ``May 30 - Jun 2``,
``Jun 2024``, ``Jun-Jul 2024``, ``Dec 2024-Jan 2025``, ``2024-05-30``, ``2024/05/30``,
``2024-05``, ``5/30``, ``5/30/24``, ``5/30-6/2``, ``5-30-2024``, and only after a separator
a bare month (``- June``) or year (``- 2024``). Numeric dates are read month first (US
order). A range that ends before it starts is not a date. A date that does not exist
(``Feb 30``) is still split off, and compares as a wrong date.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from .canonical import MAX_NAME_LENGTH
from .event_dates import MONTH_ABBREVIATIONS
from .text import clean_text

_DASHES = {
    ord(ch): "-"
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
}
_VERSUS = re.compile(r"(?<!\S)(?:vs?|versus)\.?(?!\S)")

# No date text in any form is longer ("wednesday, september 30th, 2024 - thursday, ...").
_LONGEST_DATE = 80
_CACHED_NAME_LENGTH = MAX_NAME_LENGTH

_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:19|20)\d\d(?!\d)"
_WD = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\.?,? "
    r"|(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)(?:\.,?|,) ?)?"
)
_TO = r"(?: ?- ?| to | thru | through )"
_NMON = r"(?:1[0-2]|0?[1-9])"
_NDAY = r"(?:3[01]|[12]\d|0?[1-9])"

# Every form, its groups named m1 d1 y1 m2 d2 y2 (months as names or numbers, y as 2 or 4
# digits). Where one form begins like another, the longer comes first: the locators take
# the first alternative that fits.
_FORMS = (
    rf"(?P<m1>{_MON}),? (?P<y1>{_YEAR}){_TO}(?P<m2>{_MON}),? (?P<y2>{_YEAR})",
    rf"(?P<m1>{_MON}){_TO}(?P<m2>{_MON}),? (?P<y2>{_YEAR})",
    rf"{_WD}(?P<m1>{_MON}) (?P<d1>{_DAY})(?:,? (?P<y1>{_YEAR}))?{_TO}"
    rf"(?P<m2>{_MON}) (?P<d2>{_DAY})(?:,? (?P<y2>{_YEAR}))?",
    rf"{_WD}(?P<m1>{_MON}) (?P<d1>{_DAY}){_TO}(?P<d2>{_DAY})(?:,? (?P<y2>{_YEAR}))?",
    rf"{_WD}(?P<m1>{_MON}) (?P<d1>{_DAY})(?:,? (?P<y1>{_YEAR}))?",
    rf"{_WD}(?P<d1>{_DAY}) (?:of )?(?P<m1>{_MON})(?:,? (?P<y1>{_YEAR}))?",
    rf"(?P<m1>{_MON}),? (?P<y1>{_YEAR})",
    rf"(?P<y1>{_YEAR})[-/.](?P<m1>{_NMON})[-/.](?P<d1>{_NDAY})(?!\d)",
    rf"(?P<y1>{_YEAR})-(?P<m1>{_NMON})(?!\d)",
    rf"(?P<m1>{_NMON})/(?P<d1>{_NDAY})(?:/(?P<y1>(?:19|20)?\d\d))?{_TO}"
    rf"(?P<m2>{_NMON})/(?P<d2>{_NDAY})(?:/(?P<y2>(?:19|20)?\d\d))?(?![\d/])",
    rf"(?P<m1>{_NMON})/(?P<d1>{_NDAY})(?:/(?P<y1>(?:19|20)?\d\d))?(?![\d/])",
    rf"(?P<m1>{_NMON})[-.](?P<d1>{_NDAY})[-.](?P<y1>{_YEAR})",
)
# Only after a separator, at the end: a bare month or year.
_BARE_FORMS = (rf"(?P<m1>{_MON})", rf"(?P<y1>{_YEAR})")


def _named(index: int, form: str) -> str:
    """The form wrapped in group ``f{index}``, its own groups prefixed ``f{index}_``."""
    return f"(?P<f{index}>" + re.sub(r"\(\?P<(\w+)>", rf"(?P<f{index}_\1>", form) + ")"


# One pattern for all forms: a single fullmatch tells the form by the outer group, which
# closes last and so is ``lastindex``.
_ALL_FORMS = _FORMS + _BARE_FORMS
_READ = re.compile("|".join(_named(i, form) for i, form in enumerate(_ALL_FORMS)))
_FIELDS = ("m1", "d1", "y1", "m2", "d2", "y2")
# Per form (by the index of its outer group): the group index of each field, 0 if absent.
_FORM_FIELDS = {
    _READ.groupindex[f"f{i}"]: tuple(_READ.groupindex.get(f"f{i}_{field}", 0) for field in _FIELDS)
    for i in range(len(_ALL_FORMS))
}


def _anonymous(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_ANY_FORM = "|".join(_anonymous(form) for form in _FORMS)
_BARE = "|".join(_anonymous(form) for form in _BARE_FORMS)
_DATE_AT_END = re.compile(
    rf"(?:^|(?<=[\s,(\[/|:;-]))(?:{_ANY_FORM}|(?:(?<=[-,(])|(?<=[-,(] ))(?:{_BARE}))"
    r"[\s.)\]]*$"
)
_DATE_AT_START = re.compile(rf"(?:{_ANY_FORM})(?=[\s,:;|)\].-]|$)")
# The part before a " - " ends in something a date could start with: a number or a month.
_ENDS_DATE_LIKE = re.compile(rf"(?:\d|\d(?:st|nd|rd|th)|\b{_MON})$")
_ENDS_DATE_LIKE_LONGEST = len("september.")
# Separators left at the title's ends once the date is cut off ("Cup (May 30)" -> "cup (").
# Not "." or ")": "Eagles Jr." and "Lions (JV)" end in them.
_TITLE_EDGES = " -,:;|/"
_DEFAULT_TITLE = re.compile(
    r"(?:untitled(?: (?:album|gallery|folder))?|new (?:album|gallery|folder)"
    r"|album|gallery|folder|photos?|pictures?|pics|images?|uploads?"
    r"|(?:img|dsc|dscn|dscf|dcim|pxl|mvimg|gopr|_mg|mg|p)[_ -]?\d+(?:[_-]\d+)*)"
    r"(?: ?\(?\d+\)?)?"
)

# English always: calendar.month_abbr would follow the process locale.
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_ABBREVIATIONS, start=1)}


class DateSpan(NamedTuple):
    """A date range read from a name. None year: the name does not say; None month: the
    whole year; None day: the whole month."""

    year1: int | None
    month1: int | None
    day1: int | None
    year2: int | None
    month2: int | None
    day2: int | None
    valid: bool = True

    @property
    def has_year(self) -> bool:
        """True when the name says a year."""
        return self.year1 is not None or self.year2 is not None

    def resolve(self, year_hint: int) -> tuple[int, int] | None:
        """First and last day as ordinals, ``year_hint`` standing in for an unsaid year.

        None when the span names a day that does not exist in that year.
        """
        y1, y2 = self.year1, self.year2
        m1, m2 = self.month1 or 1, self.month2 or 12
        if y1 is None and y2 is None:
            y1 = year_hint
        if y1 is None:
            assert y2 is not None
            y1 = y2 if (m1, self.day1 or 1) <= (m2, self.day2 or 31) else y2 - 1
        if y2 is None:
            y2 = y1 if (m2, self.day2 or 31) >= (m1, self.day1 or 1) else y1 + 1
        d2 = self.day2 or calendar.monthrange(y2, m2)[1]
        try:
            return date(y1, m1, self.day1 or 1).toordinal(), date(y2, m2, d2).toordinal()
        except ValueError:
            return None


class NameParts(NamedTuple):
    """A name split for comparison. Keys are normalised with spaces removed."""

    full_key: str
    title: str
    title_key: str
    date_key: str
    span: DateSpan | None


def _new_parts(fields: tuple[str, str, str, str, DateSpan | None]) -> NameParts:
    return tuple.__new__(NameParts, fields)  # NameParts(*fields) without its Python __new__


def normalise(name: str) -> str:
    """The name as compared: cleaned, NFKC, case folded, dashes and ``vs`` unified."""
    if name.isascii():
        if not name.isprintable():
            name = clean_text(name)
        name = name.lower()
    else:
        name = unicodedata.normalize("NFKC", clean_text(name)).translate(_DASHES).casefold()
    name = " ".join(name.split())
    padded = f" {name} "  # the cheap look first: most names hold only " vs " or no "v" word
    if " v " in padded or " v. " in padded or " vs. " in padded or " versus " in padded:
        name = _VERSUS.sub("vs", name)
    return name


def _month(text: str | None) -> int | None:
    if text is None:
        return None
    if text[0].isdigit():
        return int(text)
    return _MONTHS[text[:3]]


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _day(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text.rstrip("stndrh"))


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _exists(year: int | None, month: int | None, day: int | None) -> bool:
    if month is None or day is None or day <= 28:
        return True
    if month == 2 and year is not None and not calendar.isleap(year):
        return day <= 28
    return day <= _DAYS_IN_MONTH[month]


def _forward(
    y1: int | None, m1: int | None, d1: int | None, y2: int | None, m2: int | None, d2: int | None
) -> bool:
    """True unless a range ends before it starts (Dec to Jan with no years counts as forward)."""
    if m1 is None or m2 is None:
        return y1 is None or y2 is None or y1 <= y2
    start, end = (m1, d1 or 1), (m2, d2 or 31)
    if y1 is not None and y2 is not None:
        return (y1, *start) <= (y2, *end)
    return start <= end or (m1 == 12 and m2 == 1)


def read_date(text: str) -> DateSpan | None:
    """The span a normalised date text stands for, None if it is not one of the date forms."""
    return _read_date(text) if len(text) <= _LONGEST_DATE else None


# Date texts are a small vocabulary ("may 30", "jun 2024", "5/30/24"): worth a cache.
@lru_cache(maxsize=8192)
def _read_date(text: str) -> DateSpan | None:
    match = _READ.fullmatch(text)
    if match is None or match.lastindex is None:
        return None
    i_m1, i_d1, i_y1, i_m2, i_d2, i_y2 = _FORM_FIELDS[match.lastindex]
    group = match.group
    m1 = _month(group(i_m1)) if i_m1 else None
    d1 = _day(group(i_d1)) if i_d1 else None
    y1 = _year(group(i_y1)) if i_y1 else None
    m2 = _month(group(i_m2)) if i_m2 else m1
    d2 = _day(group(i_d2)) if i_d2 else d1
    if not i_m2 and m1 is not None and d1 is not None and d2 is not None and d2 < d1:
        m2 = m1 % 12 + 1  # "Oct 30-1": the range runs into the next month
    y2 = _year(group(i_y2)) if i_y2 else y1
    if not _forward(y1, m1, d1, y2, m2, d2):
        return None  # "Jan 7 - Jan 1" is not a range: the text is something else
    valid = _exists(y1, m1, d1) and _exists(y2, m2, d2)
    return DateSpan(y1, m1, d1, y2, m2, d2, valid)


def _split_at_dash(name: str, last: bool) -> tuple[str, str, DateSpan] | None:
    if last:
        title, separator, rest = name.rpartition(" - ")
        if separator and len(rest) <= _LONGEST_DATE:
            span = _read_date(rest)
            if span is not None:
                return title, rest, span
        return None
    # A date is short: only separators near the end can have one after them.
    start = name.find(" - ", max(0, len(name) - _LONGEST_DATE - 3))
    while start != -1:
        rest = name[start + 3 :]
        span = _read_date(rest)
        if span is not None:
            return name[:start], rest, span
        start = name.find(" - ", start + 3)
    return None


def _date_at_end(name: str) -> tuple[str, str, DateSpan] | None:
    # Searching only the tail keeps a 10,000-character name as cheap as a short one.
    match = _DATE_AT_END.search(name, max(0, len(name) - 2 * _LONGEST_DATE))
    if match is None:
        return None
    text = match.group().rstrip(" .)]")
    span = read_date(text)
    if span is None:
        return None
    return name[: match.start()], text, span


def _readings(name: str, canonical: bool) -> list[tuple[str, str, DateSpan | None]]:
    """The ways to split a name into (title, date text, date), the likeliest first."""
    found = _split_at_dash(name, last=canonical)
    if found is not None:
        title = found[0]
        # Only the tail can hold the match (a month name with its dot at most): search there.
        tail = max(0, len(title) - _ENDS_DATE_LIKE_LONGEST)
        if canonical or _ENDS_DATE_LIKE.search(title, tail) is None:
            return [found]
        # "Cup May 30 - Jun 2" is one range across the separator, "Tribute to May - Jun 2024"
        # a title ending in a month: when the text allows both, both readings are kept.
        at_end = _date_at_end(name)
        if at_end is None or len(at_end[0]) >= len(found[0]):
            return [found]
        return [found, at_end]
    at_end = _date_at_end(name)
    if at_end is not None:
        return [at_end]
    match = _DATE_AT_START.match(name)
    if match is not None:
        leading = read_date(match.group())
        if leading is not None:
            return [(name[match.end() :], match.group(), leading)]
    return [(name, "", None)]


def team_splits(title: str) -> tuple[tuple[str, str], ...]:
    """Every way to read a normalised title as ``A vs B`` (a team may itself hold "V" or
    "vs"), spaces removed from the sides."""
    if " vs " not in title or title.count(" vs ") > 3:
        return ()  # no teams, or a list of games rather than one
    words = title.split(" ")
    splits = []
    for index, word in enumerate(words):
        if word == "vs" and 0 < index < len(words) - 1:
            home, away = "".join(words[:index]), "".join(words[index + 1 :])
            splits.append((home, away))
    return tuple(splits)


def _parts(full_key: str, title: str, date_text: str, span: DateSpan | None) -> NameParts:
    title = title.strip(_TITLE_EDGES)
    while title.endswith(("(", "[")):
        title = title[:-1].rstrip(_TITLE_EDGES)
    return _new_parts((full_key, title, title.replace(" ", ""), date_text.replace(" ", ""), span))


def is_default_title(title: str) -> bool:
    """True for a normalised title a camera or SmugMug made up (Untitled, IMG_2043, ...)."""
    return _DEFAULT_TITLE.fullmatch(title) is not None


def name_readings(name: str) -> tuple[NameParts, ...]:
    """A name someone typed, split into title and date: each plausible reading, likeliest first.

    Mostly one; two when a title ending in a date word meets the date ("Cup May 30 - Jun 2").
    """
    normal = normalise(name)
    return readings_of_normalised(normal, normal.replace(" ", ""))


def readings_of_normalised(normal: str, full_key: str) -> tuple[NameParts, ...]:
    """:func:`name_readings` for a name already through :func:`normalise` (and its key)."""
    readings = _readings(normal, canonical=False)
    if len(readings) == 1:
        return (_parts(full_key, *readings[0]),)
    return tuple(_parts(full_key, *reading) for reading in readings)


def name_parts(name: str) -> NameParts:
    """The likeliest reading of a name someone typed."""
    return name_readings(name)[0]


def canonical_parts(name: str) -> NameParts:
    """A canonical name (``Title - Date``, which we wrote) split into title and date.

    Cached, as one canonical name is compared with many; not names over SmugMug's limit,
    which no canonical name is, so that odd callers cannot fill the cache with megabytes.
    """
    return _canonical_parts(name) if len(name) <= _CACHED_NAME_LENGTH else _split_canonical(name)


def _split_canonical(name: str) -> NameParts:
    normal = normalise(name)
    return _parts(normal.replace(" ", ""), *_readings(normal, canonical=True)[0])


_canonical_parts = lru_cache(maxsize=4096)(_split_canonical)
