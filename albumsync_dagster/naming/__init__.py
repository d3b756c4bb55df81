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
"""

from .album import NamingResult, name_album
from .canonical import MAX_NAME_LENGTH, Enrichment, canonical_name, compose_name
from .drift import DriftExplanation, drift_score, explain_drift
from .event_dates import EventDates, event_dates, resolve_zone
from .text import clean_text

__all__ = [
    "MAX_NAME_LENGTH",
    "DriftExplanation",
    "Enrichment",
    "EventDates",
    "NamingResult",
    "canonical_name",
    "clean_text",
    "compose_name",
    "drift_score",
    "event_dates",
    "explain_drift",
    "name_album",
    "resolve_zone",
]
