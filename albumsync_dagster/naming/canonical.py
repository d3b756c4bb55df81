"""The ``seed`` standard's name: a title from the enrichment, a date from the photos.

- exactly two teams: ``A vs B - May 30``, the day holding most photos, even when the
  event spans several days;
- else an event name: ``Event - May 30`` for one day; for several, ``Event - Jun 2024``,
  across months ``Event - Jun-Jul 2024``, across years ``Event - Dec 2024-Jan 2025``;
- else a sport type, in title case: ``Lacrosse - Apr 2`` or ``Lacrosse - Apr 2024`` (same ranges);
- else, or with no event dates at all: None.

Team, event and sport strings are cleaned (see :mod:`.text`); blank strings and placeholder
values ("None", "null", "N/A", "unknown", ...) and strings with no letter or digit
(``'``, ``🏈``, ``--``) count as missing, and "exactly two teams"
means two after that. One team alone, or three and more, do not make a title: the event
name or sport is used instead. Team order and the strings' own capitalisation are kept.
A name is at most 255 characters: the title is shortened (each team fairly, ending in an
ellipsis), never the date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from albumsync_dagster.smugmug.models import MAX_ALBUM_NAME_LENGTH

from .event_dates import (
    EventDates,
    format_day,
    format_span,
)
from .text import clean_field, has_letter_or_digit, shorten, title_case

MAX_NAME_LENGTH = MAX_ALBUM_NAME_LENGTH  # SmugMug's limit on an album name, declared there
TITLE_DATE_SEPARATOR = " - "
TEAM_SEPARATOR = " vs "


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the AI pipeline found out about an album. ``teams`` may be given as any sequence."""

    teams: Sequence[str] = ()
    event_name: str | None = None
    sport_type: str | None = None
    level: str | None = None  # high_school, middle_school, college, club
    division: str | None = None  # girls, boys, womens, mens, coed

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
class Title:
    """The title part of a name: a matchup of two teams, or an event or sport name."""

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


def title_for(enrichment: Enrichment, *, sport: bool = True) -> Title | None:
    """``A vs B`` for exactly two usable teams, else the event, else (``sport``) the sport.

    A string with no letter or digit once cleaned (``'``, ``🏈``, ``--``) is missing.
    """
    teams = [team for team in map(clean_field, enrichment.teams or ()) if team]
    if len(teams) == 2:
        return Title(teams=(teams[0], teams[1]), text="")
    event = clean_field(enrichment.event_name)
    if event:
        return Title(teams=None, text=event)
    sport_name = title_case(clean_field(enrichment.sport_type)) if sport else ""
    if sport_name and has_letter_or_digit(sport_name):
        return Title(teams=None, text=sport_name)
    return None


def compose_name(enrichment: Enrichment, dates: EventDates | None) -> str | None:
    """The seed standard's name for already computed event dates; None when none can be made."""
    if dates is None:
        return None
    title = title_for(enrichment)
    if title is None:
        return None
    date_part = format_day(dates.main_day) if title.teams else format_span(dates)
    budget = MAX_NAME_LENGTH - len(TITLE_DATE_SEPARATOR) - len(date_part)
    return f"{title.render(budget)}{TITLE_DATE_SEPARATOR}{date_part}"
