"""Naming one SmugMug album: its canonical name and drift, from the album and its images.

The shape of the seed's ``generateCanonicalNameFromSmugMug``. Duck-typed on the SmugMug
client's dataclasses: an album has ``name`` and optionally ``date`` (its creation time,
whose local date stands in for the event when no image has a capture time); an image has
``date_time_original`` (aware datetime or None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol

from .canonical import Enrichment
from .event_dates import EventDates, event_dates, resolve_zone
from .explanation import DriftExplanation
from .standards import SEED, NamingStandard, naming_standard


class AlbumLike(Protocol):
    @property
    def name(self) -> str: ...


class ImageLike(Protocol):
    @property
    def date_time_original(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class NamingResult:
    """An album's canonical name (None when none can be made) and the current name's drift.

    ``dated_photo_count`` counts the images with a capture time; ``event_dates`` says which
    days the name's date came from (None when there were none).
    """

    canonical_name: str | None
    drift_score: int | None
    current_name: str
    photo_count: int
    dated_photo_count: int
    event_dates: EventDates | None
    explanation: DriftExplanation | None = None


def name_album(
    album: AlbumLike,
    images: Iterable[ImageLike],
    enrichment: Enrichment,
    *,
    tz: str | tzinfo = "UTC",
    fallback_to_album_date: bool = True,
    standard: str | NamingStandard = SEED,
) -> NamingResult:
    """The canonical name of ``album`` from its images' capture times and its enrichment,
    with the drift of its current name (None when there is no canonical name).

    With no dated image, the local date of ``album.date`` (creation) stands in, unless
    ``fallback_to_album_date`` is False: a gallery is often made days after the event.
    ``standard`` decides the form of the name (it may keep part of the current name).
    """
    chosen = naming_standard(standard)
    zone = resolve_zone(tz)
    current = album.name or ""
    times = [image.date_time_original for image in images]
    created = getattr(album, "date", None) if fallback_to_album_date else None
    fallback = (created, created) if isinstance(created, datetime) else None
    dates = event_dates(times, tz=zone, fallback_dates=fallback)
    name = chosen.compose(enrichment, dates, current)
    explanation = None if name is None else chosen.explain(current, name)
    return NamingResult(
        canonical_name=name,
        drift_score=None if explanation is None else explanation.score,
        current_name=current,
        photo_count=len(times),
        dated_photo_count=sum(1 for moment in times if moment is not None),
        event_dates=dates,
        explanation=explanation,
    )
