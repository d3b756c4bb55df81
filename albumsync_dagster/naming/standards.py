"""Naming standards: how a name is built from the facts, read back into parts, and scored.

A standard is one small object (:class:`NamingStandard`): ``compose`` (the name from the
enrichment, the event dates and the current name), ``split`` (a name into prefix, middle and
date), ``explain`` and ``score`` (the drift of a current name from a canonical one). The
workflow only ever holds one, so a new standard needs no change there.

- ``seed`` (default): ``Eagles vs Lions - May 30`` (:mod:`.canonical`, :mod:`.drift`).
- ``level-event-date``: ``HS Girls VB - JCA at ACC - 09-22-2026`` (:mod:`.parts_standard`).
- a template (``ALBUMSYNC_NAMING_TEMPLATE``): ``{prefix} - {middle} - {date:%m-%d-%Y}``, see
  :func:`template_standard`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Protocol

from .canonical import Enrichment, compose_name, title_for
from .drift import drift_score as seed_drift_score
from .drift import explain_drift as seed_explain_drift
from .event_dates import EventDates, FallbackDates, PhotoTime, event_dates, resolve_zone
from .explanation import DriftExplanation
from .parts_standard import LEVEL_EVENT_DATE, NameSegments, PartsStandard, split_name
from .segments import read_segment_date, split_off_date

SEED = "seed"
STANDARD_NAMES = (SEED, LEVEL_EVENT_DATE.name, "template")


class NamingStandard(Protocol):
    """What the workflow needs of a naming standard."""

    @property
    def name(self) -> str: ...

    def compose(
        self, enrichment: Enrichment, dates: EventDates | None, current_name: str | None
    ) -> str | None: ...

    def split(self, name: str) -> NameSegments: ...

    def explain(self, current: str, canonical: str) -> DriftExplanation: ...

    def score(self, current: str, canonical: str) -> int: ...


@dataclass(frozen=True)
class SeedStandard:
    """``Eagles vs Lions - May 30``: the title from the enrichment, the current name ignored."""

    name: str = SEED

    def compose(
        self, enrichment: Enrichment, dates: EventDates | None, current_name: str | None
    ) -> str | None:
        return compose_name(enrichment, dates)

    def split(self, name: str) -> NameSegments:
        title, date_text, span = split_off_date(name)
        return NameSegments("", title, date_text, span)

    def explain(self, current: str, canonical: str) -> DriftExplanation:
        return seed_explain_drift(current, canonical)

    def score(self, current: str, canonical: str) -> int:
        return seed_drift_score(current, canonical)


SEED_STANDARD = SeedStandard()
# The built-in standards by their exact names: drift_score's fast path (one dict look-up).
_BUILT_IN: dict[str, NamingStandard] = {
    SEED: SEED_STANDARD,
    LEVEL_EVENT_DATE.name: LEVEL_EVENT_DATE,
}

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_TEMPLATE_SHAPES = (
    re.compile(r"\{prefix\} - \{middle\} - \{date(?::[^{}]*)?\}"),
    re.compile(r"\{middle\} - \{date(?::[^{}]*)?\}"),
)
_SAMPLE_DAY = date(2026, 9, 22)


def template_standard(template: str) -> PartsStandard:
    """A standard from a template: ``{prefix} - {middle} - {date:%m-%d-%Y}`` or
    ``{middle} - {date:%b %-d, %Y}``.

    Placeholders: ``{prefix}`` (level, division, sport: ``HS Girls VB``), ``{middle}`` (the
    operator's event or matchup, else the enrichment's), ``{date:FORMAT}`` (a ``strftime``
    format, English month names, ``%-d``/``%-m`` without a leading zero; default
    ``%m-%d-%Y``; several days ``{first} to {last}``). The parts keep that order, separated by
    `` - ``; the date format must be one the drift parser reads back. Raises ValueError naming
    what is wrong.
    """
    text = template.strip()
    if not any(shape.fullmatch(text) for shape in _TEMPLATE_SHAPES):
        names = sorted(
            {m.group(1) for m in _PLACEHOLDER.finditer(text)} - {"prefix", "middle", "date"}
        )
        extra = f" (unknown placeholder {', '.join(names)})" if names else ""
        raise ValueError(
            f"ALBUMSYNC_NAMING_TEMPLATE={template!r} is not a template this project reads{extra}:"
            " write '{prefix} - {middle} - {date:%m-%d-%Y}' or '{middle} - {date:FORMAT}'"
        )
    date_format = "%m-%d-%Y"
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) == "date" and match.group(2):
            date_format = match.group(2)
    standard = PartsStandard(
        name=f"template {text}", date_format=date_format, with_prefix=text.startswith("{prefix}")
    )
    sample = standard.format_dates(
        EventDates(_SAMPLE_DAY, _SAMPLE_DAY, _SAMPLE_DAY, 1, 1, 0, from_fallback=False)
    )
    span = read_segment_date(sample)
    if span is None or (span.month1, span.day1) != (9, 22) or span.year1 not in (None, 2026):
        raise ValueError(
            f"ALBUMSYNC_NAMING_TEMPLATE: the date format {date_format!r} writes {sample!r},"
            " which the drift parser does not read back as that day; use e.g. %m-%d-%Y,"
            " %Y-%m-%d or %b %-d, %Y"
        )
    return standard


def naming_standard(
    standard: str | NamingStandard = SEED, *, template: str | None = None
) -> NamingStandard:
    """The standard named ``seed``, ``level-event-date`` or ``template`` (with ``template``),
    or a standard object as given. Raises ValueError for an unknown name."""
    if not isinstance(standard, str):
        return standard
    key = standard.strip().lower() or SEED
    if key == SEED:
        return SEED_STANDARD
    if key == LEVEL_EVENT_DATE.name:
        return LEVEL_EVENT_DATE
    if key == "template":
        if not template:
            raise ValueError(
                "ALBUMSYNC_NAMING_STANDARD=template needs ALBUMSYNC_NAMING_TEMPLATE,"
                " e.g. '{prefix} - {middle} - {date:%m-%d-%Y}'"
            )
        return template_standard(template)
    raise ValueError(
        f"unknown naming standard {standard!r}: use one of {', '.join(STANDARD_NAMES)}"
        " (check ALBUMSYNC_NAMING_STANDARD)"
    )


def canonical_name(
    enrichment: Enrichment,
    photo_times: Iterable[PhotoTime],
    *,
    tz: str | tzinfo = "UTC",
    fallback_dates: FallbackDates | None = None,
    standard: str | NamingStandard = SEED,
    current_name: str | None = None,
) -> str | None:
    """The canonical album name from the enrichment and the photos' capture times (aware).

    ``standard`` (``seed``, ``level-event-date`` or a standard object) decides the form;
    ``current_name`` gives the operator's middle to the standards that keep it. None when no
    name can be made (no dates, or nothing to title it with). An unknown ``tz`` or
    ``standard`` raises ValueError.
    """
    chosen = naming_standard(standard)
    zone = resolve_zone(tz)
    if chosen is SEED_STANDARD and title_for(enrichment) is None:
        return None  # no title: no need to read the photos
    dates = event_dates(photo_times, tz=zone, fallback_dates=fallback_dates)
    return chosen.compose(enrichment, dates, current_name)


def drift_score(current: str, canonical: str, *, standard: str | NamingStandard = SEED) -> int:
    """How far ``current`` is from ``canonical`` under ``standard``, 0 (identical) to 100."""
    chosen = _BUILT_IN.get(standard) if isinstance(standard, str) else standard
    if chosen is SEED_STANDARD:
        return seed_drift_score(current, canonical)
    _check_names(current, canonical)
    return (chosen or naming_standard(standard)).score(current, canonical)


def explain_drift(
    current: str, canonical: str, *, standard: str | NamingStandard = SEED
) -> DriftExplanation:
    """The drift score with its parts and the parts that differ (``date 09-21-2026 → ...``)."""
    _check_names(current, canonical)
    return naming_standard(standard).explain(current, canonical)


def split_name_parts(name: str, *, standard: str | NamingStandard = SEED) -> NameSegments:
    """A name read into prefix, middle and date (as written) by ``standard``."""
    return naming_standard(standard).split(name)


def clear_caches() -> None:
    """Empty the naming caches (parsed canonical names, date texts, date relations, title
    words): what a cold measurement starts from."""
    from . import drift, name_parts, parts_standard, segments

    for cached in (
        name_parts._canonical_parts,
        name_parts._read_date,
        segments._cached_segment_date,
        drift._span_relation,
        drift._cached_title_words,
        drift._resolve,
        parts_standard._after_labels,
        parts_standard._cached_usable,
        parts_standard._canonical_views,
        parts_standard._date_key,
    ):
        cached.cache_clear()


def _check_names(current: object, canonical: object) -> None:
    if not isinstance(current, str) or not isinstance(canonical, str):
        raise TypeError(
            f"drift_score compares two names (str), got {type(current).__name__}"
            f" and {type(canonical).__name__}"
        )


__all__ = [
    "SEED",
    "STANDARD_NAMES",
    "NamingStandard",
    "SeedStandard",
    "canonical_name",
    "clear_caches",
    "drift_score",
    "explain_drift",
    "naming_standard",
    "split_name",
    "split_name_parts",
    "template_standard",
]
