"""Standards of the form ``{prefix} - {middle} - {date}``: ``level-event-date`` and templates.

The photographer's house standard (NAMING.md, "Naming standards"): ``HS Girls VB - JCA at
ACC - 09-22-2026``, several days ``... - 04-12-2025 to 04-13-2025``, empty parts left out
with their separator.

- **Prefix**, from the enrichment's level, division and sport, in that order (:func:`prefix_for`);
  none unless a level or a division is known.
- **Middle**, the operator's: what is left of the current name once a recognised prefix at
  the start and a date segment at the end are taken off is kept character for character
  (controls removed, ends trimmed, shortened with ``…`` to fit 255). A missing, default
  (``Untitled``, ``IMG_2043``, a bare date) or unusable (no letter or digit) middle is built
  from the enrichment: ``{A} vs {B}`` for exactly two teams, else the event name.
- **Date**, ``MM-DD-YYYY`` of the event day (or the template's format), several days
  ``{first} to {last}``.

A recognised prefix is a first segment the vocabulary can produce: a level label and/or a
division label (matched ignoring case, spaces, ``-``, ``_`` and apostrophes, so ``High
School`` = ``high_school`` = ``HS``), optionally followed by a sport of :data:`SPORTS` or the
album's own. Leading segments are taken off while they are such prefixes, unless what is left
is exactly the middle the enrichment itself gives (an event named ``Boys - Relay`` stays
whole), so naming a name this standard wrote gives it back unchanged.

Drift judges only what the facts decide: identical 0; dash style or whitespace only 2; a
missing or different prefix (letter case counts) 30; a missing middle (prefix and date
alone, or a default one) 40; the date missing 40, in another notation 25, covering only part
of the event or more 30, overlapping 35, wrong 50. The sum, clamped to 2..100. A kept middle
is not judged: it is the operator's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .canonical import MAX_NAME_LENGTH, Enrichment, title_for
from .drift import date_relation
from .event_dates import MONTH_ABBREVIATIONS, EventDates
from .explanation import DriftExplanation, PartDifference
from .name_parts import DateSpan, is_default_title, normalise
from .segments import SEPARATOR, first_segment, read_segment_date, split_off_date_of
from .text import clean_field, has_letter_or_digit, shorten, strip_controls, title_case

PART_SEPARATOR = " - "
RANGE_WORD = " to "

# Enrichment values and the labels they print as; a name's prefix may use either.
LEVELS = {"high_school": "HS", "middle_school": "MS", "college": "College", "club": "Club"}
DIVISIONS = {
    "girls": "Girls", "boys": "Boys", "womens": "Women's", "mens": "Men's", "coed": "Coed",
}  # fmt: skip
SPORT_LABELS = {"volleyball": "VB"}
# Sports a prefix in a name may end with (besides the album's own sport).
SPORTS = (
    "basketball", "volleyball", "vb", "soccer", "football", "flag football", "baseball",
    "softball", "lacrosse", "lax", "hockey", "ice hockey", "field hockey", "tennis", "golf",
    "swimming", "swim", "diving", "swim and dive", "swim & dive", "track", "track and field",
    "track & field", "cross country", "xc", "wrestling", "cheer", "cheerleading", "dance",
    "gymnastics", "water polo", "rugby", "bowling", "ultimate", "badminton", "fencing",
    "rowing", "crew", "skiing", "esports", "pickleball", "bball", "hoops",
)  # fmt: skip

PREFIX_DRIFT = 30
MIDDLE_DRIFT = 40
DATE_DRIFTS = {
    "same": 0,
    "notation": 25,
    "narrower": 30,
    "incomplete": 30,
    "wider": 30,
    "overlap": 35,
    "missing": 40,
    "wrong": 50,
    "extra": 25,
    "none": 0,
}
COSMETIC = 2

_KEY_DROPPED = dict.fromkeys(map(ord, " \t\n-_'\u2019\u00a0"))
_LOOSE_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def vocabulary_key(text: str) -> str:
    """``High School`` -> ``highschool``: case, spaces, ``-``, ``_`` and apostrophes ignored."""
    folded = text.casefold()
    if folded.isascii():  # str.translate is slow; these four replaces are not
        return folded.replace(" ", "").replace("-", "").replace("_", "").replace("'", "")
    return folded.translate(_KEY_DROPPED)


_LEVEL_KEYS = {vocabulary_key(v) for v in LEVELS} | {vocabulary_key(v) for v in LEVELS.values()}
_LEVEL_KEYS |= {"highschool", "middleschool"}
_DIVISION_KEYS = {vocabulary_key(v) for v in DIVISIONS} | {
    vocabulary_key(v) for v in DIVISIONS.values()
}
_SPORT_KEYS = frozenset(vocabulary_key(s) for s in SPORTS)
_LABEL_BY_KEY = {
    **{vocabulary_key(k): v for k, v in LEVELS.items()},
    **{vocabulary_key(v): v for v in LEVELS.values()},
}
_DIVISION_BY_KEY = {
    **{vocabulary_key(k): v for k, v in DIVISIONS.items()},
    **{vocabulary_key(v): v for v in DIVISIONS.values()},
}


def sport_label(sport_type: str | None) -> str:
    """``volleyball`` -> ``VB``, ``cross_country`` -> ``Cross Country``; "" when unusable."""
    sport = clean_field(sport_type)
    if not sport:
        return ""
    key = vocabulary_key(sport)
    if key in SPORT_LABELS:
        return SPORT_LABELS[key]
    # A separator inside would split the prefix into two segments of a name.
    return " ".join(SEPARATOR.sub(" ", title_case(sport)).split())


def prefix_for(enrichment: Enrichment) -> str:
    """``HS Girls VB`` from level, division and sport; "" unless a level or division is known
    (unknown values are ignored)."""
    level = _LABEL_BY_KEY.get(vocabulary_key(clean_field(enrichment.level)), "")
    division = _DIVISION_BY_KEY.get(vocabulary_key(clean_field(enrichment.division)), "")
    if not level and not division:
        return ""
    return " ".join(p for p in (level, division, sport_label(enrichment.sport_type)) if p)


def is_prefix(
    segment: str, sports: Collection[str] = _SPORT_KEYS, *, any_sport: bool = False
) -> bool:
    """True for a segment the prefix vocabulary can produce: a level and/or division label,
    then nothing or a sport (of ``sports``, keys as :func:`vocabulary_key` makes them)."""
    rest = _after_labels(segment) if len(segment) <= _CACHED_SEGMENT else _read_labels(segment)
    if rest is None:
        return False
    return (
        not rest
        or rest in _SPORT_KEYS
        or rest in sports
        or (any_sport and has_letter_or_digit(rest))
    )


_CACHED_SEGMENT = 80
_FIRST_KEYS = frozenset(
    vocabulary_key(word) for word in (*LEVELS, *LEVELS.values(), *DIVISIONS, *DIVISIONS.values())
) | {"high", "middle"}


def _read_labels(segment: str) -> str | None:
    """The key of what follows the level and division labels at the start of ``segment``;
    None when it does not start with one."""
    words = segment.split()
    if not words or vocabulary_key(words[0]) not in _FIRST_KEYS:
        return None  # most segments: a matchup or an event, told at the first word
    index = 0
    labelled = False
    for keys in (_LEVEL_KEYS, _DIVISION_KEYS):
        for width in (2, 1):  # "High School" before "High"
            if (
                index + width <= len(words)
                and vocabulary_key(" ".join(words[index : index + width])) in keys
            ):
                index += width
                labelled = True
                break
    if not labelled:
        return None
    return vocabulary_key(" ".join(words[index:]))


_after_labels = lru_cache(maxsize=8192)(_read_labels)


@dataclass(frozen=True, slots=True)
class NameSegments:
    """A name split into prefix, middle and date, each as written ("" when absent)."""

    prefix: str
    middle: str
    date: str
    span: DateSpan | None

    @property
    def has_middle(self) -> bool:
        """True when the middle can stand as a title: a letter or digit, not a default name."""
        return usable_middle(self.middle)


def usable_middle(middle: str) -> bool:
    """A typed middle that names something: a letter or digit, not ``Untitled``/``IMG_2043``
    or a bare date."""
    return _cached_usable(middle) if len(middle) <= MAX_NAME_LENGTH else _usable(middle)


def _usable(middle: str) -> bool:
    if not has_letter_or_digit(middle):
        return False
    normal = normalise(middle)
    return not is_default_title(normal) and read_segment_date(middle) is None


_cached_usable = lru_cache(maxsize=8192)(_usable)


def split_name(
    name: str,
    *,
    sports: Collection[str] = (),
    keep_whole: Collection[str] = (),
    known_prefix: str = "",
    any_sport: bool = False,
) -> NameSegments:
    """Prefix, middle and date of ``name``, as written.

    ``sports`` adds sport keys a prefix may end with; ``keep_whole`` are middles not to be cut
    (the enrichment's own); ``known_prefix`` is recognised whatever it holds (letter case
    ignored: it is then compared as written); ``any_sport`` lets a prefix end in any word when
    a middle follows (a name this standard wrote).
    """
    known = " ".join(known_prefix.split()).casefold() if known_prefix else ""
    sport_keys = frozenset(sports) if sports else _NO_KEYS
    plain = name.isascii() and name.isprintable()
    return NameSegments(*_split(name, plain, known, sport_keys, keep_whole, any_sport))


_NO_KEYS: frozenset[str] = frozenset()
# (prefix, middle, date text, date): what split_name returns, as a plain tuple.
_Parts = tuple[str, str, str, DateSpan | None]


def _split(
    name: str,
    plain: bool,
    known: str,
    sport_keys: Collection[str],
    keep_whole: Collection[str],
    any_sport: bool,
) -> _Parts:
    """:func:`split_name` with ``known`` already folded (``""`` for none); ``plain``: the
    name is printable ASCII."""
    body, date_text, span = split_off_date_of(name, plain)
    if not body or body in keep_whole:
        return "", body, date_text, span
    plain = body.isascii()  # then the only separator is " - " (controls are gone)
    prefixes: list[str] = []
    while body and body not in keep_whole:
        if plain:
            index = body.find(" - ")
            if index < 0:
                first, rest = body.strip(), ""
            else:
                first, rest = body[:index].strip(), body[index + 2 :].strip()
        else:
            first, rest = first_segment(body)
        if (not known or " ".join(first.split()).casefold() != known) and not is_prefix(
            first, sport_keys, any_sport=any_sport and bool(rest)
        ):
            break
        prefixes.append(first)
        body = rest
    return " ".join(prefixes), body, date_text, span


def _loose(name: str) -> str:
    """A name with dash style and white space made uniform (letter case kept)."""
    if name.isascii() and name.isprintable():
        return " ".join(name.split())  # nothing to remove, no dash but "-"
    text = strip_controls(name)
    if not text.isascii():
        text = text.translate(_LOOSE_DASHES)
    return " ".join(text.split())


def canonical_segments(name: str) -> NameSegments:
    """A canonical name (this standard wrote it) read into its parts; cached."""
    return NameSegments(*_canonical_view(name)[3])


def _read_canonical(name: str) -> tuple[str, str, str, _Parts]:
    """(the name loosened, its prefix with white space collapsed, that folded, its parts)."""
    plain = name.isascii() and name.isprintable()
    parts = _split(name, plain, "", _NO_KEYS, (), True)
    prefix = " ".join(parts[0].split())
    return " ".join(name.split()) if plain else _loose(name), prefix, prefix.casefold(), parts


# One canonical name is scored against many current names (and again on every run).
_canonical_views = lru_cache(maxsize=8192)(_read_canonical)


def _canonical_view(name: str) -> tuple[str, str, str, _Parts]:
    return _canonical_views(name) if len(name) <= MAX_NAME_LENGTH else _read_canonical(name)


@dataclass(frozen=True)
class PartsStandard:
    """A ``{prefix} - {middle} - {date}`` standard. ``date_format`` is a ``strftime`` format
    the drift parser reads; ``with_prefix`` False leaves the prefix out (templates)."""

    name: str
    date_format: str = "%m-%d-%Y"
    with_prefix: bool = True

    def format_dates(self, dates: EventDates) -> str:
        """The date part: one day, or ``{first} to {last}``."""
        first = _format_day(dates.first_day, self.date_format)
        if dates.single_day:
            return first
        return f"{first}{RANGE_WORD}{_format_day(dates.last_day, self.date_format)}"

    def compose(
        self, enrichment: Enrichment, dates: EventDates | None, current_name: str | None
    ) -> str | None:
        """The name from the facts and the current name's middle; None without dates or a
        middle (typed or from the enrichment)."""
        if dates is None:
            return None
        title = title_for(enrichment, sport=False)
        prefix = prefix_for(enrichment) if self.with_prefix else ""
        date_text = self.format_dates(dates)
        budget = MAX_NAME_LENGTH - len(date_text) - len(PART_SEPARATOR)
        if prefix:
            budget -= len(prefix) + len(PART_SEPARATOR)
        middle = ""
        if current_name:
            own = () if title is None else (title.render(MAX_NAME_LENGTH * 4), title.render(budget))
            typed = split_name(current_name, sports=_sport_keys(enrichment), keep_whole=own).middle
            if usable_middle(typed):
                middle = shorten(typed, budget)
        if not middle:
            if title is None:
                return None
            middle = title.render(budget)
        return PART_SEPARATOR.join(part for part in (prefix, middle, date_text) if part)

    def split(self, name: str) -> NameSegments:
        """A name as this standard reads it (see :func:`split_name`)."""
        return split_name(name)

    def explain(self, current: str, canonical: str) -> DriftExplanation:
        """The drift of ``current`` from ``canonical``: prefix and date judged, middle kept."""
        if current == canonical:
            return DriftExplanation(0, 0.0, 0, "same", standard=self.name)
        judged = _judge(current, canonical)
        if judged is None:
            return DriftExplanation(COSMETIC, 0.0, 0, "same", standard=self.name)
        cur, can = NameSegments(*judged[0]), NameSegments(*judged[1])
        _, _, prefix_differs, middle_missing, relation = judged
        differences: list[PartDifference] = []
        if prefix_differs:
            kind = "missing" if not cur.prefix else ("extra" if not can.prefix else "different")
            differences.append(PartDifference("prefix", kind, cur.prefix, can.prefix))
        if middle_missing:
            kind = "default" if has_letter_or_digit(cur.middle) else "missing"
            differences.append(PartDifference("middle", kind, cur.middle, can.middle))
        if relation not in ("same", "none"):
            kind = relation if relation in ("missing", "notation", "extra") else "different"
            differences.append(PartDifference("date", kind, cur.date, can.date))
        title = PREFIX_DRIFT * prefix_differs + MIDDLE_DRIFT * middle_missing
        date_drift = DATE_DRIFTS[relation]
        score = max(COSMETIC, min(100, title + date_drift))
        return DriftExplanation(
            score, float(title), date_drift, relation, tuple(differences), self.name
        )

    def score(self, current: str, canonical: str) -> int:
        """The drift score alone (see :meth:`explain`)."""
        if current == canonical:
            return 0
        judged = _judge(current, canonical)
        if judged is None:
            return COSMETIC
        _, _, prefix_differs, middle_missing, relation = judged
        total = PREFIX_DRIFT * prefix_differs + MIDDLE_DRIFT * middle_missing
        return max(COSMETIC, min(100, total + DATE_DRIFTS[relation]))


def _judge(current: str, canonical: str) -> tuple[_Parts, _Parts, bool, bool, str] | None:
    """(current's parts, canonical's parts, prefix differs, middle missing, date relation);
    None when the names differ only in dash style or white space."""
    loose, prefix, known, can = (
        _canonical_views(canonical)
        if len(canonical) <= MAX_NAME_LENGTH
        else _read_canonical(canonical)
    )
    plain = current.isascii() and current.isprintable()
    if (" ".join(current.split()) if plain else _loose(current)) == loose:
        return None
    cur = _split(current, plain, known, _NO_KEYS, (), False)
    middle = cur[1]
    usable = _cached_usable(middle) if len(middle) <= MAX_NAME_LENGTH else _usable(middle)
    return cur, can, " ".join(cur[0].split()) != prefix, not usable, _relation(cur, can)


def _sport_keys(enrichment: Enrichment) -> tuple[str, ...]:
    label = sport_label(enrichment.sport_type)
    return (
        (vocabulary_key(label), vocabulary_key(clean_field(enrichment.sport_type))) if label else ()
    )


def _relation(cur: _Parts, can: _Parts) -> str:
    can_span, cur_span = can[3], cur[3]
    if can_span is None:
        return "none" if cur_span is None else "extra"
    if cur_span is None:
        return "missing"
    relation = date_relation(cur_span, can_span)
    if relation == "same" and cur[2] != can[2] and _date_key(cur[2]) != _date_key(can[2]):
        return "notation"
    return relation


@lru_cache(maxsize=4096)
def _date_key(text: str) -> str:
    # Date texts are a small vocabulary (what read_segment_date read): cached.
    return normalise(text).replace(" ", "")


_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _format_day(day: date, date_format: str) -> str:
    # English month names whatever the process locale; %-d and %-m without a leading zero
    # on every platform.
    text = (
        date_format.replace("%B", _MONTH_NAMES[day.month - 1])
        .replace("%b", MONTH_ABBREVIATIONS[day.month - 1])
        .replace("%-d", str(day.day))
        .replace("%-m", str(day.month))
    )
    return day.strftime(text)


LEVEL_EVENT_DATE = PartsStandard("level-event-date")
