"""The event's days, from the photos' capture times in the event's time zone.

A capture time is converted to the zone and its local date taken: an evening game at 19:30
in New York is on that day although it is the next day in UTC. Naive datetimes are taken
as UTC, as SmugMug labels its times.

Two kinds of stray are left out:
- a camera with an unset or reset clock: a capture time before 2000-02-01 on the camera's
  own clock (cameras restart at 2000-01-01 or the 1970/1980 epochs) or out of datetime's
  range once converted. Such a photo counts as undated.
- a local date holding under 5% of the remaining dated photos (unless no date reaches 5%;
  then every date is used).

With no usable dated photo, ``fallback_dates`` (the album's start and end) are used; without
them there are no event dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

# A date holding fewer than 1/20 (5%) of the dated photos is a stray.
_STRAY_DIVISOR = 20
# Capture times before this, on the camera's own clock, come from an unset clock.
_CLOCK_SET_FROM = (2000, 2)

PhotoTime = datetime | date | None
FallbackDates = tuple[date | datetime | None, date | datetime | None]


@dataclass(frozen=True, slots=True)
class EventDates:
    """The days an album's event took place on, as local dates in the event's zone.

    ``main_day`` holds the most photos (the earliest of a tie; ``first_day`` for fallback
    dates). ``day_count`` is the number of days with photos that were kept (for fallback
    dates, the days from first to last). ``dated_photo_count`` counts the photos whose time
    was usable, ``stray_photo_count`` those left out (unset clock or a stray date).
    """

    first_day: date
    last_day: date
    main_day: date
    day_count: int
    dated_photo_count: int
    stray_photo_count: int
    from_fallback: bool

    @property
    def single_day(self) -> bool:
        """True when the event took place on one day."""
        return self.first_day == self.last_day


def resolve_zone(tz: str | tzinfo) -> tzinfo:
    """The time zone for an IANA name (surrounding whitespace ignored), or a tzinfo as given.

    Raises ValueError naming the zone when it is unknown.
    """
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str):
        raise ValueError(f"time zone must be an IANA name such as 'America/New_York', got {tz!r}")
    key = tz.strip()
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a key that names a tzdata directory ("America") rather than a zone.
        raise ValueError(
            f"unknown time zone {tz!r}: use an IANA name such as 'America/New_York' or 'UTC'"
            " (check ALBUMSYNC_TIMEZONE)"
        ) from exc


def _clock_unset(moment: date) -> bool:
    return (moment.year, moment.month) < _CLOCK_SET_FROM


def _local_day(moment: datetime | date, zone: tzinfo) -> date:
    if not isinstance(moment, datetime):
        return moment
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def _count_days(photo_times: Iterable[PhotoTime], zone: tzinfo) -> tuple[dict[date, int], int]:
    counts: dict[date, int] = {}
    unset = 0
    for moment in photo_times:
        if moment is None:
            continue
        if not isinstance(moment, date):
            raise TypeError(
                f"a photo time must be a datetime, a date or None, got {type(moment).__name__}"
            )
        if _clock_unset(moment):
            unset += 1
            continue
        try:
            day = _local_day(moment, zone)
        except OverflowError:
            unset += 1  # year 9999 on the camera's clock: no more real than year 2000
            continue
        counts[day] = counts.get(day, 0) + 1
    return counts, unset


def _from_fallback(fallback_dates: FallbackDates | None, zone: tzinfo) -> EventDates | None:
    if fallback_dates is None:
        return None
    try:
        start, end = fallback_dates
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"fallback_dates must be a (start, end) pair of dates, got {fallback_dates!r}"
        ) from exc
    days = []
    for value in (start, end):
        if value is None:
            continue
        if not isinstance(value, date):
            raise TypeError(f"a fallback date must be a date or datetime, got {value!r}")
        try:
            days.append(_local_day(value, zone))
        except OverflowError:
            continue
    if not days:
        return None
    first, last = min(days), max(days)
    return EventDates(
        first_day=first,
        last_day=last,
        main_day=first,
        day_count=(last - first).days + 1,
        dated_photo_count=0,
        stray_photo_count=0,
        from_fallback=True,
    )


def event_dates(
    photo_times: Iterable[PhotoTime],
    *,
    tz: str | tzinfo = "UTC",
    fallback_dates: FallbackDates | None = None,
) -> EventDates | None:
    """The event's days from the photos' capture times (None entries skipped), in zone ``tz``.

    Falls back to ``fallback_dates`` (start, end) when no photo has a usable time; None when
    there is nothing to go on.
    """
    zone = resolve_zone(tz)
    counts, unset = _count_days(photo_times, zone)
    total = sum(counts.values())
    if total == 0:
        fallback = _from_fallback(fallback_dates, zone)
        return None if fallback is None else replace(fallback, stray_photo_count=unset)
    kept = {day: n for day, n in counts.items() if n * _STRAY_DIVISOR >= total} or counts
    main_day = min(kept, key=lambda day: (-kept[day], day))
    kept_photos = sum(kept.values())
    return EventDates(
        first_day=min(kept),
        last_day=max(kept),
        main_day=main_day,
        day_count=len(kept),
        dated_photo_count=kept_photos,
        stray_photo_count=unset + total - kept_photos,
        from_fallback=False,
    )


def format_day(day: date) -> str:
    """``May 30``: English month abbreviation, day without a leading zero."""
    return f"{MONTH_ABBREVIATIONS[day.month - 1]} {day.day}"


def format_span(dates: EventDates) -> str:
    """``May 30`` for one day; else ``Jun 2024``, ``Jun-Jul 2024`` or ``Dec 2024-Jan 2025``."""
    first, last = dates.first_day, dates.last_day
    if first == last:
        return format_day(first)
    first_month = MONTH_ABBREVIATIONS[first.month - 1]
    last_month = MONTH_ABBREVIATIONS[last.month - 1]
    if first.year != last.year:
        return f"{first_month} {first.year}-{last_month} {last.year}"
    if first.month != last.month:
        return f"{first_month}-{last_month} {first.year}"
    return f"{first_month} {first.year}"
