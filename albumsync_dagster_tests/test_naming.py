"""Canonical album names: the examples and rules of NAMING.md, time zones, cleaning, limits."""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from albumsync_dagster.naming import (
    MAX_NAME_LENGTH,
    Enrichment,
    canonical_name,
    drift_score,
    event_dates,
    name_album,
)

NEW_YORK = "America/New_York"
NY = ZoneInfo(NEW_YORK)


def local(day: date, hour: int = 12, minute: int = 0, zone: ZoneInfo = NY) -> datetime:
    """A capture time as SmugMug sends it (UTC) for a wall-clock time in ``zone``."""
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return wall.astimezone(UTC)


def spread(day: date, count: int, start_hour: int = 12, hours: int = 3) -> list[datetime]:
    """``count`` capture times spread over ``hours`` hours of a local day in New York."""
    first = local(day, start_hour)
    step = timedelta(hours=hours) / max(count, 1)
    return [first + step * i for i in range(count)]


def days(first: date, last: date, per_day: int = 20) -> list[datetime]:
    times: list[datetime] = []
    day = first
    while day <= last:
        times += spread(day, per_day)
        day += timedelta(days=1)
    return times


# --- the examples of NAMING.md (tz = America/New_York) ---------------------------------


def test_example_team_game_evening_in_new_york() -> None:
    # 18:00-21:00 local runs past midnight UTC: the game is still on May 30.
    times = spread(date(2024, 5, 30), 120, start_hour=18, hours=3)
    assert times[-1].date() == date(2024, 5, 31)  # the UTC date differs: the case in point
    name = canonical_name(Enrichment(teams=["Eagles", "Lions"]), times, tz=NEW_YORK)
    assert name == "Eagles vs Lions - May 30"


def test_example_event_one_day() -> None:
    times = spread(date(2024, 9, 12), 50)
    name = canonical_name(Enrichment(event_name="ACC Boys Golf Tourney"), times, tz=NEW_YORK)
    assert name == "ACC Boys Golf Tourney - Sep 12"


def test_example_event_several_days_one_month() -> None:
    times = days(date(2024, 6, 7), date(2024, 6, 9))
    name = canonical_name(Enrichment(event_name="Tournament Name"), times, tz=NEW_YORK)
    assert name == "Tournament Name - Jun 2024"


def test_example_event_across_years() -> None:
    times = days(date(2024, 12, 30), date(2025, 1, 2))
    name = canonical_name(Enrichment(event_name="Winter Classic"), times, tz=NEW_YORK)
    assert name == "Winter Classic - Dec 2024-Jan 2025"


def test_example_sport_only() -> None:
    times = spread(date(2024, 4, 2), 30)
    name = canonical_name(Enrichment(sport_type="lacrosse"), times, tz=NEW_YORK)
    assert name == "Lacrosse - Apr 2"


def test_example_unset_camera_clock_is_ignored() -> None:
    times = spread(date(2024, 5, 30), 200) + [datetime(2000, 1, 1, tzinfo=UTC)] * 3
    assert canonical_name(Enrichment(teams=("A", "B")), times, tz=NEW_YORK) == "A vs B - May 30"


# --- the name table -------------------------------------------------------------------


def test_team_game_over_several_days_takes_the_day_with_most_photos() -> None:
    times = spread(date(2024, 5, 30), 30) + spread(date(2024, 5, 31), 70)
    assert canonical_name(Enrichment(teams=["A", "B"]), times) == "A vs B - May 31"


def test_team_game_tie_between_days_takes_the_earliest() -> None:
    times = spread(date(2024, 5, 31), 40) + spread(date(2024, 5, 30), 40)
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK) == "A vs B - May 30"


def test_two_teams_win_over_event_and_sport() -> None:
    enrichment = Enrichment(teams=["A", "B"], event_name="Cup", sport_type="soccer")
    times = days(date(2024, 6, 7), date(2024, 6, 9))
    assert canonical_name(enrichment, times, tz=NEW_YORK) == "A vs B - Jun 7"


def test_event_across_months() -> None:
    times = days(date(2024, 6, 29), date(2024, 7, 2))
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NEW_YORK) == "Cup - Jun-Jul 2024"


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2024, 4, 2), date(2024, 4, 2), "Lacrosse - Apr 2"),
        (date(2024, 4, 2), date(2024, 4, 5), "Lacrosse - Apr 2024"),
        (date(2024, 4, 29), date(2024, 5, 2), "Lacrosse - Apr-May 2024"),
        (date(2024, 12, 31), date(2025, 1, 1), "Lacrosse - Dec 2024-Jan 2025"),
    ],
)
def test_sport_uses_the_event_date_forms(first: date, last: date, expected: str) -> None:
    times = days(first, last)
    assert canonical_name(Enrichment(sport_type="lacrosse"), times, tz=NEW_YORK) == expected


@pytest.mark.parametrize(
    ("teams", "event", "sport", "expected"),
    [
        (["A"], "Cup", None, "Cup - May 30"),  # one team is not "exactly two"
        (["A", "B", "C"], "Cup", None, "Cup - May 30"),
        (["A", "B", "C"], None, "golf", "Golf - May 30"),
        (["A", "  "], None, "golf", "Golf - May 30"),  # a blank team is missing
        (["A", "", "B"], None, None, "A vs B - May 30"),  # two after cleaning
        (["A", None, "B"], None, None, "A vs B - May 30"),  # NULL inside a text[]
        (["A", "None"], "Cup", None, "Cup - May 30"),  # placeholder strings are missing
        ([], "   ", "soccer", "Soccer - May 30"),
        ([], "null", "N/A", None),
        ([], None, "_", None),  # a slug of nothing
        ([], None, " __ ", None),
        (["A"], None, None, None),
        ([], None, None, None),
        (["\u200b", "\x00"], "\t", "\u202e", None),
    ],
)
def test_title_choice(
    teams: list[str], event: str | None, sport: str | None, expected: str | None
) -> None:
    enrichment = Enrichment(teams=teams, event_name=event, sport_type=sport)
    assert canonical_name(enrichment, spread(date(2024, 5, 30), 10), tz=NEW_YORK) == expected


def test_team_order_and_capitalisation_are_kept() -> None:
    times = spread(date(2024, 5, 30), 10)
    name = canonical_name(Enrichment(teams=["eagles", "LIONS"]), times, tz=NEW_YORK)
    assert name == "eagles vs LIONS - May 30"
    name = canonical_name(Enrichment(teams=["LIONS", "eagles"]), times, tz=NEW_YORK)
    assert name == "LIONS vs eagles - May 30"


def test_whitespace_trimmed_and_collapsed() -> None:
    enrichment = Enrichment(teams=["  St.  Mary's\t", "\nNorth \u00a0 High  "])
    name = canonical_name(enrichment, spread(date(2024, 5, 30), 10), tz=NEW_YORK)
    assert name == "St. Mary's vs North High - May 30"


@pytest.mark.parametrize(
    ("sport", "expected"),
    [
        ("lacrosse", "Lacrosse"),
        ("LACROSSE", "Lacrosse"),
        ("ice hockey", "Ice Hockey"),
        ("track_and_field", "Track and Field"),
        ("men's lacrosse", "Men's Lacrosse"),
        ("cross-country", "Cross-Country"),
        ("NCAA soccer", "NCAA Soccer"),
        ("3x3 basketball", "3x3 Basketball"),
    ],
)
def test_sport_in_title_case(sport: str, expected: str) -> None:
    name = canonical_name(Enrichment(sport_type=sport), spread(date(2024, 4, 2), 5), tz=NEW_YORK)
    assert name == f"{expected} - Apr 2"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Eagles\x00", "Eagles"),
        ("Ea\x07gles", "Eagles"),
        ("Eagles\x1b[31m", "Eagles[31m"),
        ("Ea\u200bgles", "Eagles"),  # zero-width space (Cf)
        ("\u202eEagles\u202c", "Eagles"),  # bidi override (Cf)
        ("\ufeffEagles", "Eagles"),  # byte-order mark (Cf)
        ("Eagles\u0085Club", "Eagles Club"),  # NEL (Cc) is a line break: a word break
        ("Eagles\u2028Club", "Eagles Club"),  # line separator
        ("Eagles\r\nClub", "Eagles Club"),
        ("Eagles\ud800", "Eagles"),  # lone surrogate: not encodable
        ("Eagles\x9f", "Eagles"),  # C1 control
    ],
)
def test_control_and_format_characters_are_removed(raw: str, clean: str) -> None:
    name = canonical_name(Enrichment(event_name=raw), spread(date(2024, 5, 30), 5), tz=NEW_YORK)
    assert name == f"{clean} - May 30"
    name.encode("utf-8")  # encodable for SmugMug and PostgreSQL


def test_unicode_text_is_kept() -> None:
    event = "Copa Am\u00e9rica \u2013 \u0641\u0631\u064a\u0642 \U0001f985 \u6771\u4eac"
    name = canonical_name(Enrichment(event_name=event), spread(date(2024, 5, 30), 5))
    assert name == f"{event} - May 30"


def test_decomposed_accents_are_composed() -> None:
    name = canonical_name(Enrichment(event_name="Cafe\u0301 Cup"), spread(date(2024, 5, 30), 5))
    assert name == "Caf\u00e9 Cup - May 30"


# --- length ---------------------------------------------------------------------------


def test_long_event_name_is_shortened_never_the_date() -> None:
    event = "Championship " * 100
    times = days(date(2024, 12, 30), date(2025, 1, 2))
    name = canonical_name(Enrichment(event_name=event), times, tz=NEW_YORK)
    assert name is not None
    # The cut fell after a space, which goes before the ellipsis.
    assert len(name) == MAX_NAME_LENGTH - 1
    assert name.endswith("Championship\u2026 - Dec 2024-Jan 2025")
    assert name.startswith("Championship Championship")


def test_long_team_names_both_survive_shortening() -> None:
    enrichment = Enrichment(teams=["A" * 1000, "B" * 10_000])
    name = canonical_name(enrichment, spread(date(2024, 5, 30), 5), tz=NEW_YORK)
    assert name is not None
    assert len(name) == MAX_NAME_LENGTH
    home, away = name.removesuffix(" - May 30").split(" vs ")
    assert home.startswith("AAAA") and home.endswith("\u2026")
    assert away.startswith("BBBB") and away.endswith("\u2026")
    assert abs(len(home) - len(away)) <= 1


def test_short_team_is_kept_whole_when_the_other_is_long() -> None:
    enrichment = Enrichment(teams=["Eagles", "L" * 500])
    name = canonical_name(enrichment, spread(date(2024, 5, 30), 5), tz=NEW_YORK)
    assert name is not None and len(name) == MAX_NAME_LENGTH
    assert name.startswith("Eagles vs LLL") and name.endswith("\u2026 - May 30")


def test_name_of_exactly_255_characters_is_not_shortened() -> None:
    event = "x" * (MAX_NAME_LENGTH - len(" - May 30"))
    name = canonical_name(Enrichment(event_name=event), spread(date(2024, 5, 30), 5))
    assert name == f"{event} - May 30"
    assert name is not None and len(name) == MAX_NAME_LENGTH


def test_shortening_does_not_split_a_flag_or_an_accent() -> None:
    budget = MAX_NAME_LENGTH - len(" - May 30")
    flags = "\U0001f1fa\U0001f1f8" * 200  # US flags, two code points each
    # "USA " first: a title of flags alone has no letter or digit, so is no title (NAMING.md).
    name = canonical_name(Enrichment(event_name="USA " + flags), spread(date(2024, 5, 30), 5))
    assert name is not None and len(name) <= MAX_NAME_LENGTH
    title = name.removesuffix(" - May 30").removesuffix("\u2026").removeprefix("USA ")
    assert len(title) % 2 == 0 and title == flags[: len(title)]
    # q with two accents has no composed form, so NFC leaves the marks as they are.
    accented = "x" * (budget - 3) + "q\u0301\u0302" * 5  # the cut lands among the marks
    name = canonical_name(Enrichment(event_name=accented), spread(date(2024, 5, 30), 5))
    assert name is not None and len(name) <= MAX_NAME_LENGTH
    title = name.removesuffix(" - May 30").removesuffix("\u2026")
    assert accented.startswith(title)
    assert unicodedata.category(accented[len(title)])[0] != "M"


# --- event dates: strays, fallback, None ----------------------------------------------


def test_date_under_five_percent_is_ignored() -> None:
    times = spread(date(2024, 5, 31), 96) + spread(date(2024, 6, 1), 4)
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NEW_YORK) == "Cup - May 31"


def test_date_with_exactly_five_percent_counts() -> None:
    times = spread(date(2024, 5, 31), 95) + spread(date(2024, 6, 1), 5)
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NEW_YORK) == "Cup - May-Jun 2024"


def test_stray_does_not_widen_across_years() -> None:
    times = spread(date(2024, 5, 30), 100) + [local(date(2019, 1, 5))]
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NEW_YORK) == "Cup - May 30"


def test_no_date_reaching_five_percent_uses_all() -> None:
    times = [local(date(2024, 3, 1) + timedelta(days=i)) for i in range(30)]
    assert canonical_name(Enrichment(event_name="Season"), times, tz=NEW_YORK) == (
        "Season - Mar 2024"
    )


@pytest.mark.parametrize(
    "unset",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2000, 1, 3, 14, 5, tzinfo=UTC),  # reset clock, a few days of shooting
        datetime(1980, 1, 1, tzinfo=UTC),
    ],
)
def test_unset_clock_is_a_stray_even_in_numbers(unset: datetime) -> None:
    # Half the photos from a camera with an unset clock: still not an event day.
    times = spread(date(2024, 5, 30), 50) + [unset] * 50
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NEW_YORK) == "Cup - May 30"


def test_only_unset_clocks_fall_back_or_give_none() -> None:
    times = [datetime(2000, 1, 1, 12, tzinfo=UTC)] * 20
    assert canonical_name(Enrichment(event_name="Cup"), times) is None
    fallback = (date(2024, 5, 30), date(2024, 5, 30))
    assert canonical_name(Enrichment(event_name="Cup"), times, fallback_dates=fallback) == (
        "Cup - May 30"
    )


def test_year_9999_on_the_camera_clock_is_a_stray() -> None:
    times = [datetime(9999, 12, 31, 23, 59, tzinfo=UTC)] + spread(date(2024, 5, 30), 10)
    assert canonical_name(Enrichment(event_name="Cup"), times, tz="Asia/Tokyo") is not None
    only = [datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
    assert canonical_name(Enrichment(event_name="Cup"), only, tz="Asia/Tokyo") is None


def test_none_photo_times_are_skipped() -> None:
    times: list[datetime | None] = [None, *spread(date(2024, 5, 30), 10), None]
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK) == "A vs B - May 30"


def test_no_dated_photo_and_no_fallback_gives_none() -> None:
    assert canonical_name(Enrichment(teams=["A", "B"]), []) is None
    assert canonical_name(Enrichment(teams=["A", "B"]), [None, None]) is None


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [
        ((date(2024, 6, 7), date(2024, 6, 7)), "Cup - Jun 7"),
        ((date(2024, 6, 7), date(2024, 6, 9)), "Cup - Jun 2024"),
        ((date(2024, 6, 9), date(2024, 6, 7)), "Cup - Jun 2024"),  # reversed
        ((date(2024, 6, 29), date(2024, 7, 1)), "Cup - Jun-Jul 2024"),
        ((date(2024, 6, 7), None), "Cup - Jun 7"),
        # An aware datetime is taken in the event's zone: 02:00 UTC is the evening before.
        ((datetime(2024, 6, 8, 2, tzinfo=UTC), datetime(2024, 6, 8, 2, tzinfo=UTC)), "Cup - Jun 7"),
        ((datetime(2024, 6, 7, 15), datetime(2024, 6, 7, 16)), "Cup - Jun 7"),  # naive = UTC
    ],
)
def test_fallback_dates_when_no_photo_has_a_time(
    fallback: tuple[date | None, date | None], expected: str
) -> None:
    enrichment = Enrichment(event_name="Cup")
    assert canonical_name(enrichment, [None], tz=NEW_YORK, fallback_dates=fallback) == expected


def test_fallback_dates_are_not_used_when_photos_have_times() -> None:
    fallback = (date(2020, 1, 1), date(2020, 12, 31))
    name = canonical_name(
        Enrichment(event_name="Cup"), spread(date(2024, 5, 30), 5), fallback_dates=fallback
    )
    assert name == "Cup - May 30"


def test_team_game_with_a_fallback_range_takes_its_first_day() -> None:
    fallback = (date(2024, 6, 7), date(2024, 6, 9))
    assert canonical_name(Enrichment(teams=["A", "B"]), [], fallback_dates=fallback) == (
        "A vs B - Jun 7"
    )


def test_event_dates_counts_what_it_used() -> None:
    times = [None, *spread(date(2024, 5, 30), 96), *spread(date(2024, 5, 29), 2)]
    times += [datetime(2000, 1, 1, tzinfo=UTC)] * 2
    dates = event_dates(times, tz=NEW_YORK)
    assert dates is not None
    assert (dates.first_day, dates.last_day, dates.main_day) == (date(2024, 5, 30),) * 3
    assert (dates.dated_photo_count, dates.stray_photo_count) == (96, 4)
    assert (dates.day_count, dates.from_fallback, dates.single_day) == (1, False, True)


def test_photo_times_may_be_a_generator() -> None:
    times = (t for t in spread(date(2024, 5, 30), 5))
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK) == "A vs B - May 30"


def test_photo_time_of_the_wrong_type_is_an_error() -> None:
    with pytest.raises(TypeError, match="str"):
        canonical_name(Enrichment(teams=["A", "B"]), ["2024-05-30T12:00:00Z"])  # type: ignore[list-item]


# --- time zones -----------------------------------------------------------------------


def test_unknown_time_zone_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        canonical_name(Enrichment(teams=["A", "B"]), [], tz="Mars/Olympus_Mons")


@pytest.mark.parametrize("bad", ["", "America", "../etc/passwd", "New York", "EST5EDT\x00"])
def test_malformed_time_zones_are_value_errors(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        canonical_name(Enrichment(teams=["A", "B"]), spread(date(2024, 5, 30), 3), tz=bad)


def test_time_zone_name_with_surrounding_whitespace_is_accepted() -> None:
    times = spread(date(2024, 5, 30), 10, start_hour=20)
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=" America/New_York\n") == (
        "A vs B - May 30"
    )


def test_default_zone_is_utc() -> None:
    times = spread(date(2024, 5, 30), 10, start_hour=21)  # 01:00-04:00 UTC May 31
    assert canonical_name(Enrichment(teams=["A", "B"]), times) == "A vs B - May 31"
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK) == "A vs B - May 30"


def test_evening_game_at_1930_is_on_the_local_day() -> None:
    start = datetime(2024, 5, 30, 23, 30, tzinfo=UTC)  # 19:30 EDT
    times = [start + timedelta(minutes=m) for m in range(0, 180, 2)]  # to 22:30 EDT
    assert all(t.date() == date(2024, 5, 31) for t in times[16:])
    assert canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK) == "A vs B - May 30"


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2024, 5, 31, 3, 59, 59, tzinfo=UTC), "May 30"),  # 23:59:59 EDT
        (datetime(2024, 5, 31, 4, 0, 0, tzinfo=UTC), "May 31"),  # midnight EDT
        (datetime(2024, 1, 15, 4, 59, 59, tzinfo=UTC), "Jan 14"),  # 23:59:59 EST
        (datetime(2024, 1, 15, 5, 0, 0, tzinfo=UTC), "Jan 15"),
        # Spring forward, 2024-03-10 02:00 EST -> 03:00 EDT.
        (datetime(2024, 3, 10, 4, 59, tzinfo=UTC), "Mar 9"),  # 23:59 EST
        (datetime(2024, 3, 10, 6, 59, tzinfo=UTC), "Mar 10"),  # 01:59 EST
        (datetime(2024, 3, 10, 7, 0, tzinfo=UTC), "Mar 10"),  # 03:00 EDT
        (datetime(2024, 3, 11, 3, 59, tzinfo=UTC), "Mar 10"),  # 23:59 EDT
        (datetime(2024, 3, 11, 4, 0, tzinfo=UTC), "Mar 11"),
        # Fall back, 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice.
        (datetime(2024, 11, 3, 3, 59, tzinfo=UTC), "Nov 2"),  # 23:59 EDT
        (datetime(2024, 11, 3, 5, 30, tzinfo=UTC), "Nov 3"),  # 01:30 EDT
        (datetime(2024, 11, 3, 6, 30, tzinfo=UTC), "Nov 3"),  # 01:30 EST
        (datetime(2024, 11, 4, 4, 59, tzinfo=UTC), "Nov 3"),  # 23:59 EST, a 25-hour day
        (datetime(2024, 11, 4, 5, 0, tzinfo=UTC), "Nov 4"),
    ],
)
def test_new_york_midnight_and_dst_boundaries(utc: datetime, day: str) -> None:
    assert canonical_name(Enrichment(event_name="Cup"), [utc], tz=NEW_YORK) == f"Cup - {day}"


def test_evening_games_on_the_dst_transition_days() -> None:
    # 19:30-22:00 local on the days the clocks change: still that local day.
    for day in (date(2024, 3, 10), date(2024, 11, 3)):
        times = [local(day, 19, 30) + timedelta(minutes=m) for m in range(0, 150, 5)]
        name = canonical_name(Enrichment(teams=["A", "B"]), times, tz=NEW_YORK)
        assert name == f"A vs B - {day:%b} {day.day}"


def test_times_with_other_offsets_are_converted() -> None:
    paris = datetime(2024, 5, 31, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 19:30 EDT May 30
    assert canonical_name(Enrichment(event_name="Cup"), [paris], tz=NEW_YORK) == "Cup - May 30"


def test_naive_times_are_taken_as_utc() -> None:
    naive = datetime(2024, 5, 31, 1, 30)
    assert canonical_name(Enrichment(event_name="Cup"), [naive], tz=NEW_YORK) == "Cup - May 30"


def test_zone_ahead_of_utc_moves_the_day_forward() -> None:
    times = [datetime(2024, 5, 30, 20, tzinfo=UTC)]  # 08:00 May 31 in Auckland (NZST)
    assert canonical_name(Enrichment(event_name="Cup"), times, tz="Pacific/Auckland") == (
        "Cup - May 31"
    )


def test_tzinfo_object_is_accepted() -> None:
    times = [datetime(2024, 5, 31, 1, 30, tzinfo=UTC)]
    assert canonical_name(Enrichment(event_name="Cup"), times, tz=NY) == "Cup - May 30"


# --- Enrichment -----------------------------------------------------------------------


def test_enrichment_teams_become_a_tuple_and_it_is_frozen_and_hashable() -> None:
    enrichment = Enrichment(teams=["Eagles", "Lions"], event_name="Cup", sport_type="soccer")
    assert enrichment.teams == ("Eagles", "Lions")
    assert enrichment == Enrichment(
        teams=("Eagles", "Lions"), event_name="Cup", sport_type="soccer"
    )
    assert hash(enrichment) == hash(Enrichment(("Eagles", "Lions"), "Cup", "soccer"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        enrichment.event_name = "Other"  # type: ignore[misc]


def test_enrichment_defaults_and_a_single_string_team() -> None:
    assert Enrichment() == Enrichment(teams=(), event_name=None, sport_type=None)
    assert Enrichment(teams="Eagles").teams == ("Eagles",)  # type: ignore[arg-type]
    assert Enrichment(teams=None).teams == ()  # type: ignore[arg-type]


# --- name_album (the seed's generateCanonicalNameFromSmugMug) ------------------------


@dataclass(frozen=True)
class FakeAlbum:
    name: str
    date: datetime | None = None


@dataclass(frozen=True)
class FakeImage:
    date_time_original: datetime | None


def test_name_album_names_and_scores() -> None:
    images = [FakeImage(t) for t in spread(date(2024, 5, 30), 10, start_hour=19)] + [
        FakeImage(None)
    ]
    result = name_album(
        FakeAlbum("Lions vs Eagles - May 30"),
        images,
        Enrichment(teams=["Eagles", "Lions"]),
        tz=NEW_YORK,
    )
    assert result.canonical_name == "Eagles vs Lions - May 30"
    assert result.drift_score == drift_score("Lions vs Eagles - May 30", "Eagles vs Lions - May 30")
    assert 0 < result.drift_score <= 20
    assert result.current_name == "Lions vs Eagles - May 30"
    assert (result.photo_count, result.dated_photo_count) == (11, 10)
    assert result.event_dates is not None and result.event_dates.main_day == date(2024, 5, 30)


def test_name_album_already_canonical_scores_zero() -> None:
    images = [FakeImage(t) for t in days(date(2024, 6, 7), date(2024, 6, 9))]
    result = name_album(
        FakeAlbum("Tournament Name - Jun 2024"), images, Enrichment(event_name="Tournament Name")
    )
    assert (result.canonical_name, result.drift_score) == ("Tournament Name - Jun 2024", 0)


def test_name_album_falls_back_to_the_album_creation_date_in_the_zone() -> None:
    created = datetime(2024, 5, 31, 2, 0, tzinfo=UTC)  # 22:00 EDT May 30
    album = FakeAlbum("New Album", date=created)
    result = name_album(album, [FakeImage(None)] * 3, Enrichment(teams=["A", "B"]), tz=NEW_YORK)
    assert result.canonical_name == "A vs B - May 30"
    assert result.drift_score is not None and result.drift_score >= 80
    assert (result.photo_count, result.dated_photo_count) == (3, 0)
    assert result.event_dates is not None and result.event_dates.from_fallback


def test_name_album_fallback_to_the_album_date_can_be_turned_off() -> None:
    album = FakeAlbum("New Album", date=datetime(2024, 5, 31, 2, 0, tzinfo=UTC))
    result = name_album(
        album, [FakeImage(None)], Enrichment(teams=["A", "B"]), fallback_to_album_date=False
    )
    assert (result.canonical_name, result.drift_score, result.event_dates) == (None, None, None)


def test_name_album_without_dates_or_title_has_no_name_and_no_score() -> None:
    result = name_album(FakeAlbum("Whatever"), [], Enrichment(teams=["A", "B"]))
    assert (result.canonical_name, result.drift_score, result.event_dates) == (None, None, None)
    images = [FakeImage(t) for t in spread(date(2024, 5, 30), 3)]
    result = name_album(FakeAlbum("Whatever"), images, Enrichment())
    assert (result.canonical_name, result.drift_score) == (None, None)
    assert result.event_dates is not None and result.photo_count == 3


def test_name_album_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Nowhere/Town"):
        name_album(FakeAlbum("x"), [], Enrichment(teams=["A", "B"]), tz="Nowhere/Town")


def test_name_album_takes_the_smugmug_client_dataclasses() -> None:
    from albumsync_dagster.smugmug.models import Album, AlbumImage

    album = Album(album_key="k", name="eagles v lions – may 30", url_name="x")
    images = [
        AlbumImage(image_key=f"i{n}", date_time_original=t)
        for n, t in enumerate(spread(date(2024, 5, 30), 4, start_hour=20))
    ]
    result = name_album(album, images, Enrichment(teams=["Eagles", "Lions"]), tz=NEW_YORK)
    assert result.canonical_name == "Eagles vs Lions - May 30"
    assert result.drift_score is not None and 0 < result.drift_score <= 5
