"""Drift score: how far an album's current name is from its canonical name, 0..100.

Both names are split into a title and a date (see :mod:`.name_parts`, which also says how
names are normalised: case, whitespace, dash style and ``vs``/``vs.``/``v`` do not count).

    drift = 0                              if current == canonical (exactly)
    drift = 2                              if the names are equal once normalised
    drift = clamp(round(T + D), 2, 100)    otherwise

Title drift T (0..100), on the normalised titles with spaces removed:

    T = 0                                  equal titles
    T = 100                                empty title (a date-only name) or a default name
                                           (Untitled, New Album, IMG_2043, DSC_0001, Photos...)
    T = min(100, 1.5 * (100 - ratio))      rapidfuzz ``fuzz.ratio`` of the two titles
    T = min(that, 10 + 1.5 * (100 - ratio(swapped current, canonical)))
                                           when both titles are ``A vs B``: two teams in
                                           swapped order cost 10, plus any typo on top
    T = max(that, 25)                      when the titles do not have the same words (in
                                           any order): a misspelt team or event ("Eagels")
                                           is an error a careful person corrects, though
                                           the strings are alike
    T = max(that, 30)                      when the titles differ in a division word
                                           (boys/girls, men/women, JV/varsity, coed) or in
                                           their numbers ("Day 1"/"Day 2", "U12"/"U14"):
                                           alike as strings, yet another event

The factor 1.5 makes a title with a similarity under 47 (about half its letters shared with
the canonical one) count as unrelated (T >= 80); a one-letter typo scores 25 through the
word floor, so it is renamed at the default threshold, while swapped teams (the same words)
stay at 10.

Date drift D, the dates compared as dates (a name without a year takes the other name's):

    0   same date, same notation (``May 30`` / ``may 30``)
    6   same date, other notation (``5/30``, ``May 30th``, ``2024-05-30``, ``June 2024``)
    12  a range of days inside the canonical range and running over the same months
        (``Jun 7-9`` for ``Jun 2024``), or a date where the canonical name has none
    25  current date less precise and containing it (``May 2024`` for ``May 30``), or only
        part of the canonical range: one day of a several-day event (``Jun 7`` for
        ``Jun 2024``: maybe the wrong day, which ``Jun 2024`` cannot tell) or some of its
        months (``Jun 2024`` for ``Jun-Jul 2024``)
    35  ranges that overlap only in part
    40  date missing from the current name
    50  wrong date: no day in common, or a date that does not exist (``Feb 30``)

A name that reads two ways (``Cup May 30 - Jun 2``, see :mod:`.name_parts`) is scored by its
better reading; a date without a year by the year that fits it best.

So with the default threshold (rename when drift > 20): a case, dash or ``vs`` difference
scores 2, swapped teams 10, a wrong or missing date 40-50 even with a perfect title, and a
default or unrelated name 80-100.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from rapidfuzz.fuzz import ratio

from .canonical import MAX_NAME_LENGTH
from .explanation import DriftExplanation, PartDifference
from .name_parts import (
    DateSpan,
    NameParts,
    canonical_parts,
    is_default_title,
    name_readings,
    normalise,
    readings_of_normalised,
    team_splits,
)
from .segments import split_off_date

COSMETIC = 2
TITLE_WEIGHT = 1.5
SWAP_PENALTY = 10.0
DISTINCTION_FLOOR = 30.0
WORD_FLOOR = 25.0
AWAY_PENALTY = 4.0  # "A at B" / "A @ B" for the canonical "A vs B" or "B vs A"
_AWAY = re.compile(r"(?:^| )(?:at|@) ")

DATE_PENALTIES = {
    "none": 0,  # neither name has a date
    "same": 0,
    "notation": 6,
    "narrower": 12,
    "extra": 12,
    "wider": 25,
    "incomplete": 25,
    "overlap": 35,
    "missing": 40,
    "wrong": 50,
}

# A year standing in when neither name says one: a leap year, so that "Feb 29" exists.
_ANY_YEAR = 2000


# Words that tell apart events whose titles look alike: one letter makes "women's" of
# "men's", yet it is another team. Numbers likewise ("Day 1"/"Day 2", "U12"/"U14").
_DIVISIONS = {
    "boy": "boys", "boys": "boys", "boy's": "boys", "boys'": "boys",
    "girl": "girls", "girls": "girls", "girl's": "girls", "girls'": "girls",
    "men": "men", "mens": "men", "men's": "men", "man's": "men",
    "women": "women", "womens": "women", "women's": "women", "woman's": "women",
    "jv": "jv", "varsity": "varsity", "coed": "coed", "co-ed": "coed",
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+|['’](?!\w))?")
_NUMBER = re.compile(r"\d+")


def _distinctions(title: str) -> tuple[str, ...]:
    """The division words and numbers of a normalised title, sorted."""
    return _title_words(title)[1]


def _words(title: str) -> tuple[str, ...]:
    """The words of a normalised title, sorted: equal for the same words in any order."""
    return _title_words(title)[0]


def _title_words(title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(:func:`_words`, :func:`_distinctions`) of a title, from one pass over its words."""
    if len(title) <= MAX_NAME_LENGTH:
        return _cached_title_words(title)
    return _find_title_words(title)


def _find_title_words(title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = _WORD.findall(title)
    if "’" in title:
        found = [w.replace("’", "'") for w in found]
    distinctions = [d for d in map(_DIVISIONS.get, found) if d] + _NUMBER.findall(title)
    # Division words are compared by meaning ("Mens" is "Men's"), apostrophes not at all.
    words = [_DIVISIONS.get(w, w) for w in found]
    if "'" in title or "’" in title:
        words = [w.replace("'", "") for w in words]
    return tuple(sorted(words)), tuple(sorted(distinctions))


_cached_title_words = lru_cache(maxsize=8192)(_find_title_words)


def _title_drift(current: NameParts, canonical: NameParts, *, read_at: bool = True) -> float:
    if current.title_key == canonical.title_key:
        return 0.0
    if not current.title_key or is_default_title(current.title):
        return 100.0
    drift = (100.0 - ratio(current.title_key, canonical.title_key)) * TITLE_WEIGHT
    if " vs " in canonical.title:
        for home, away in team_splits(current.title):
            swapped = ratio(f"{away}vs{home}", canonical.title_key)
            drift = min(drift, SWAP_PENALTY + (100.0 - swapped) * TITLE_WEIGHT)
    if drift < DISTINCTION_FLOOR and _distinctions(current.title) != _distinctions(canonical.title):
        drift = DISTINCTION_FLOOR
    if drift < WORD_FLOOR and _words(current.title) != _words(canonical.title):
        drift = WORD_FLOOR
    matchup = " vs " in canonical.title
    if read_at and matchup and drift > AWAY_PENALTY and _AWAY.search(current.title):
        drift = min(drift, _away_drift(current, canonical))
    return min(drift, 100.0)


def _away_drift(current: NameParts, canonical: NameParts) -> float:
    """``A at B`` / ``A @ B`` read as the matchup ``A vs B``, teams in either order: who was
    at home is the operator's to write, so it costs only AWAY_PENALTY on top."""
    best = 100.0
    words = current.title.split(" ")
    if sum(word in ("at", "@") for word in words) > 3:
        return best  # a list of games rather than one
    for index, word in enumerate(words):
        if word not in ("at", "@") or not 0 < index < len(words) - 1:
            continue
        home, away = " ".join(words[:index]), " ".join(words[index + 1 :])
        for first, second in ((home, away), (away, home)):
            title = f"{first} vs {second}"
            as_matchup = current._replace(title=title, title_key=title.replace(" ", ""))
            best = min(best, AWAY_PENALTY + _title_drift(as_matchup, canonical, read_at=False))
    return best


def _month_of(ordinal: int) -> tuple[int, int]:
    day = date.fromordinal(ordinal)
    return day.year, day.month


def _relation(cur: tuple[int, int], can: tuple[int, int]) -> str:
    (c0, c1), (k0, k1) = cur, can
    if cur == can:
        return "same"
    if k0 <= c0 and c1 <= k1:
        # Days inside a several-day canonical range: fine as a range running over the same
        # months ("Jun 7-9" for "Jun 2024"); one day of the event, or some of its months,
        # leaves the rest out - and may be the wrong day, which "Jun 2024" cannot tell.
        if c0 < c1 and _month_of(c0) == _month_of(k0) and _month_of(c1) == _month_of(k1):
            return "narrower"
        return "incomplete"
    if c0 <= k0 and k1 <= c1:
        return "wider"
    if c0 <= k1 and k0 <= c1:
        return "overlap"
    return "wrong"


# A name's few thousand dates are read for the same few years again and again.
_resolve = lru_cache(maxsize=8192)(DateSpan.resolve)


def _years(span: tuple[int, int]) -> list[int]:
    first, last = date.fromordinal(span[0]).year, date.fromordinal(span[1]).year
    return [first] if first == last else [first, last]


def _resolved_pairs(
    current: DateSpan, canonical: DateSpan
) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """(current, canonical) as ordinal ranges, for each year the unsaid years may be."""
    if current.has_year and not canonical.has_year:
        cur = current.resolve(_ANY_YEAR)
        if cur is None:
            return
        for year in _years(cur):
            can = canonical.resolve(year)
            if can is not None:
                yield cur, can
        return
    can = canonical.resolve(_ANY_YEAR)
    if can is None:
        return
    for year in [_ANY_YEAR] if current.has_year else _years(can):
        cur = current.resolve(year)
        if cur is not None:
            yield cur, can


@lru_cache(maxsize=8192)
def date_relation(current: DateSpan, canonical: DateSpan) -> str:
    """How a date read from a name relates to the canonical one: ``same``, ``narrower``,
    ``wider``, ``incomplete``, ``overlap`` or ``wrong`` (the best reading of an unsaid year)."""
    if current == canonical:
        return "same"
    if not current.valid:
        return "wrong"
    if current.has_year and not canonical.has_year:
        relations = [_relation(c, k) for c, k in _resolved_pairs(current, canonical)]
        return min(relations, key=DATE_PENALTIES.__getitem__) if relations else "wrong"
    # _resolved_pairs' other case, unrolled: the canonical date is read once.
    can = _resolve(canonical, _ANY_YEAR)
    if can is None:
        return "wrong"
    best = "wrong"  # the highest penalty: a reading replaces it only when lower
    for year in (_ANY_YEAR,) if current.has_year else _years(can):
        cur = _resolve(current, year)
        if cur is not None:
            relation = _relation(cur, can)
            if DATE_PENALTIES[relation] < DATE_PENALTIES[best]:
                best = relation
    return best


_span_relation = date_relation  # how two dates relate, cached


def _date_relation(current: NameParts, canonical: NameParts) -> str:
    cur, can = current.span, canonical.span
    if can is None:
        return "none" if cur is None else "extra"
    if cur is None:
        return "missing"
    relation = _span_relation(cur, can)
    if relation == "same" and current.date_key != canonical.date_key:
        return "notation"
    return relation


def _check_names(current: object, canonical: object) -> None:
    if not isinstance(current, str) or not isinstance(canonical, str):
        raise TypeError(
            f"drift_score compares two names (str), got {type(current).__name__}"
            f" and {type(canonical).__name__}"
        )


def _combine(title: float, relation: str) -> int:
    return max(COSMETIC, min(100, int(title + DATE_PENALTIES[relation] + 0.5)))


def _best_reading(readings: tuple[NameParts, ...], canonical: NameParts) -> tuple[float, str]:
    """(title drift, date relation) of the reading of the current name that scores lowest."""
    best: tuple[float, str] | None = None
    for reading in readings:
        parts = (_title_drift(reading, canonical), _date_relation(reading, canonical))
        if best is None or _combine(*parts) < _combine(*best):
            best = parts
    assert best is not None
    return best


def explain_drift(current: str, canonical: str) -> DriftExplanation:
    """The drift score of ``current`` against ``canonical`` (seed standard), with its title
    and date parts and the parts that differ."""
    _check_names(current, canonical)
    can = canonical_parts(canonical)
    readings = name_readings(current)
    if current == canonical or readings[0].full_key == can.full_key:
        score = 0 if current == canonical else COSMETIC
        return DriftExplanation(score, 0.0, 0, "none" if can.span is None else "same")
    title, relation = _best_reading(readings, can)
    score = _combine(title, relation)
    differences = _differences(current, canonical, title, relation, readings[0])
    return DriftExplanation(score, round(title, 1), DATE_PENALTIES[relation], relation, differences)


def _differences(
    current: str, canonical: str, title: float, relation: str, reading: NameParts
) -> tuple[PartDifference, ...]:
    # Shown as the names have them, cut on their last " - " (the parser's own split works
    # on a normalised copy); a date found elsewhere ("Cup 5/30") shows as the parser read it.
    cur_title, cur_date, _ = split_off_date(current)
    if not cur_date and reading.span is not None:
        cur_title, cur_date = reading.title, reading.date_key
    can_title, can_date, _ = split_off_date(canonical)
    found: list[PartDifference] = []
    if title > 0:
        kind = "default" if title >= 100 and cur_title else "different"
        found.append(
            PartDifference("title", kind if cur_title else "missing", cur_title, can_title)
        )
    if relation not in ("same", "none"):
        kind = {"missing": "missing", "notation": "notation", "extra": "extra"}.get(
            relation, "different"
        )
        found.append(PartDifference("date", kind, cur_date, can_date))
    return tuple(found)


def drift_score(current: str, canonical: str) -> int:
    """How far ``current`` is from ``canonical``, 0 (identical) to 100; formula above.

    A name that reads two ways ("Cup May 30 - Jun 2") is scored by its better reading.
    """
    if current == canonical:
        return 0
    _check_names(current, canonical)
    can = canonical_parts(canonical)
    normal = normalise(current)
    full_key = normal.replace(" ", "")
    if full_key == can.full_key:
        return COSMETIC
    readings = readings_of_normalised(normal, full_key)
    if len(readings) == 1:
        cur = readings[0]
        total = _title_drift(cur, can) + DATE_PENALTIES[_date_relation(cur, can)]
        return max(COSMETIC, min(100, int(total + 0.5)))
    return _combine(*_best_reading(readings, can))
