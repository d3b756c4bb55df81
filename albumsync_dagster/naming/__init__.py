"""Canonical album names and the drift of a current name from them (no Dagster here).

- :func:`canonical_name` builds ``Eagles vs Lions - May 30``, ``Tournament - Jun 2024``,
  ``Lacrosse - Apr 2`` from an :class:`Enrichment` and the photos' capture times, converted
  to the event's time zone, leaving out stray dates (under 5% of the photos, unset camera
  clocks); see :mod:`.canonical` and :mod:`.event_dates` for the rules.
- :func:`drift_score` (0..100) compares a current name with the canonical one part by part:
  title similarity with rapidfuzz (case, whitespace, dash style and ``vs``/``v`` ignored,
  swapped teams near), and the date compared as a date. The formula:

      drift = 0 for identical names, 2 for names equal once normalised, otherwise
      clamp(round(T + D), 2, 100), where
      T = min(100, 1.5 * (100 - ratio(titles)))   (100 for a date-only or default name
          such as Untitled / IMG_2043; swapped teams: 10 + 1.5 * (100 - ratio(swapped));
          at least 30 when a division word or number differs: boys/girls, Day 1/Day 2)
      D = 0 same date, 6 same date in another notation, 12 a range of days inside
          (same months), 25 less precise but containing or only part of the range (one
          day of several, some of the months), 35 partial overlap, 40 missing, 50 wrong.

  Details in :mod:`.drift`.
- :func:`name_album` does both for a SmugMug album and its images.

All three take ``standard=``: ``seed`` (the above, default), ``level-event-date``
(``HS Girls VB - JCA at ACC - 09-22-2026``, the operator's middle kept; :mod:`.parts_standard`)
or a template (:func:`template_standard`); see :mod:`.standards`.
"""

from .album import NamingResult, name_album
from .canonical import MAX_NAME_LENGTH, Enrichment, compose_name
from .event_dates import EventDates, event_dates, resolve_zone
from .explanation import DriftExplanation, PartDifference
from .parts_standard import LEVEL_EVENT_DATE, NameSegments, PartsStandard, prefix_for
from .standards import (
    SEED,
    STANDARD_NAMES,
    NamingStandard,
    canonical_name,
    clear_caches,
    drift_score,
    explain_drift,
    naming_standard,
    split_name_parts,
    template_standard,
)
from .text import clean_text

__all__ = [
    "LEVEL_EVENT_DATE",
    "MAX_NAME_LENGTH",
    "SEED",
    "STANDARD_NAMES",
    "DriftExplanation",
    "Enrichment",
    "EventDates",
    "NameSegments",
    "NamingResult",
    "NamingStandard",
    "PartDifference",
    "PartsStandard",
    "canonical_name",
    "clean_text",
    "clear_caches",
    "compose_name",
    "drift_score",
    "event_dates",
    "explain_drift",
    "name_album",
    "naming_standard",
    "prefix_for",
    "resolve_zone",
    "split_name_parts",
    "template_standard",
]
