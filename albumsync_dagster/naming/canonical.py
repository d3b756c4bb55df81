"""The canonical album name: a title from the enrichment, a date from the photos.

- exactly two teams: ``A vs B - May 30``, the day holding most photos, even when the
  event spans several days;
- else an event name: ``Event - May 30`` for one day; for several, ``Event - Jun 2024``,
  across months ``Event - Jun-Jul 2024``, across years ``Event - Dec 2024-Jan 2025``;
- else a sport type, in title case: ``Lacrosse - Apr 2`` or ``Lacrosse - Apr 2024`` (same ranges);
- else, or with no event dates at all: None.

Team, event and sport strings are cleaned (see :mod:`.text`); blank strings and placeholder
values ("None", "null", "N/A", "unknown", ...) count as missing, and "exactly two teams"
means two after that. One team alone, or three and more, do not make a title: the event
name or sport is used instead. Team order and the strings' own capitalisation are kept.
A name is at most 255 characters: the title is shortened (each team fairly, ending in an
ellipsis), never the date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from .event_dates import (
    EventDates,
    FallbackDates,
    PhotoTime,
    event_dates,
    format_day,
    format_span,
    resolve_zone,
)
from .text import clean_field, shorten, title_case

MAX_NAME_LENGTH = 255  # SmugMug's limit on an album name
TITLE_DATE_SEPARATOR = " - "
TEAM_SEPARATOR = " vs "


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the AI pipeline found out about an album. ``teams`` may be given as any sequence."""

    teams: Sequence[str] = ()
    event_name: str | None = None
    sport_type: str | None = None

    def __post_init__(self) -> None:
        teams: Sequence[str] | str | None = self.teams
        if teams is None:
            normalised: tuple[str, ...] = ()
        elif isinstance(teams, str):
            normalised = (teams,)  # one team, not one team per character
        else:
            normalised = tuple(teams)
        object.__setattr__(self, "teams", normalised)


@dataclass(frozen=True, slots=True)
class _Title:
    teams: tuple[str, str] | None
    text: str

    def render(self, budget: int) -> str:
        if self.teams is None:
            return shorten(self.text, budget)
        home, away = self.teams
        room = budget - len(TEAM_SEPARATOR)
        if len(home) + len(away) > room:
            # Each team keeps at least half the room; a short name leaves the rest to the other.
            half = room // 2
            if len(home) <= half:
                away = shorten(away, room - len(home))
            elif len(away) <= half:
                home = shorten(home, room - len(away))
            else:
                home, away = shorten(home, half), shorten(away, room - half)
        return f"{home}{TEAM_SEPARATOR}{away}"


def _title_for(enrichment: Enrichment) -> _Title | None:
    teams = [team for team in map(clean_field, enrichment.teams or ()) if team]
    if len(teams) == 2:
        return _Title(teams=(teams[0], teams[1]), text="")
    event = clean_field(enrichment.event_name)
    if event:
        return _Title(teams=None, text=event)
    sport = title_case(clean_field(enrichment.sport_type))
    if sport:  # "_" cleans to nothing only once underscores become spaces
        return _Title(teams=None, text=sport)
    return None


def compose_name(enrichment: Enrichment, dates: EventDates | None) -> str | None:
    """The canonical name for already computed event dates; None when no name can be made."""
    if dates is None:
        return None
    title = _title_for(enrichment)
    if title is None:
        return None
    date_part = format_day(dates.main_day) if title.teams else format_span(dates)
    budget = MAX_NAME_LENGTH - len(TITLE_DATE_SEPARATOR) - len(date_part)
    return f"{title.render(budget)}{TITLE_DATE_SEPARATOR}{date_part}"


def canonical_name(
    enrichment: Enrichment,
    photo_times: Iterable[PhotoTime],
    *,
    tz: str | tzinfo = "UTC",
    fallback_dates: FallbackDates | None = None,
) -> str | None:
    """The canonical album name from the enrichment and the photos' capture times (aware).

    None when the enrichment gives no title or there are no event dates. ``tz`` is an IANA
    zone name; an unknown one raises ValueError.
    """
    zone = resolve_zone(tz)
    if _title_for(enrichment) is None:
        return None
    dates = event_dates(photo_times, tz=zone, fallback_dates=fallback_dates)
    return compose_name(enrichment, dates)
