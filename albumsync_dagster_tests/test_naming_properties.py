"""Property tests (hypothesis): names stay clean and bounded, drift stays in range."""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from albumsync_dagster.naming import (
    MAX_NAME_LENGTH,
    Enrichment,
    canonical_name,
    drift_score,
    explain_drift,
)
from albumsync_dagster.naming.text import clean_field

# NAMING_PROPERTY_EXAMPLES=5000 for a deeper search than the suite's quick default.
EXAMPLES = int(os.environ.get("NAMING_PROPERTY_EXAMPLES", "200"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
DATE_PART = re.compile(
    rf" - (?:(?:{MONTHS}) [1-9]\d?|(?:{MONTHS})(?:-(?:{MONTHS}))? \d{{4}}"
    rf"|(?:{MONTHS}) \d{{4}}-(?:{MONTHS}) \d{{4}})$"
)

# Characters that have broken names elsewhere: controls, format characters (zero-width,
# bidi, BOM, tags), separators, combining marks, emoji sequences, flags, RTL scripts,
# a lone surrogate, noncharacters, and plain dashes and "vs".
NASTY = [
    "\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\u00a0", "\u00ad",
    "\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e",
    "\u2028", "\u2029", "\u2066", "\u2069", "\ufeff", "\ufffe", "\uffff", "\U000e0041",
    "\u0301", "\u0327", "\ud800", "\udfff", "\U0001f985", "\U0001f468\u200d\U0001f469",
    "\U0001f1fa\U0001f1f8", "\u0641\u0631\u064a\u0642", "\u05e9\u05dc\u05d5\u05dd",
    "\u6771\u4eac", "\u00df", " - ", " vs ", "\u2013", "\u2014", "-", "  ", "May 30",
]  # fmt: skip

nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=12).map(
    "".join
)
huge_text = st.builds(
    lambda piece, count: piece * count,
    st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=3)),
    st.integers(min_value=1, max_value=10_000),
)
field = st.one_of(st.none(), st.text(), nasty_text, huge_text)
team_lists = st.one_of(
    st.lists(st.one_of(st.text(), nasty_text, huge_text, st.none()), max_size=4),
    st.lists(st.one_of(st.text(), nasty_text), max_size=4).map(tuple),
)
enrichments = st.builds(Enrichment, teams=team_lists, event_name=field, sport_type=field)

aware_times = st.datetimes(
    min_value=datetime(1960, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)
photo_time_lists = st.lists(st.one_of(st.none(), aware_times), max_size=40)
fallbacks = st.one_of(
    st.none(),
    st.tuples(
        st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1))),
        st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1))),
    ),
)


def has_no_control_characters(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


@settings(FAST, max_examples=3 * EXAMPLES)
@given(enrichments, photo_time_lists, st.sampled_from(ZONES), fallbacks)
@example(Enrichment(sport_type="_"), [], "UTC", (None, date(2024, 1, 1)))  # found by search
@example(
    Enrichment(teams=["\u202e" + "x" * 10_000, "\U0001f985"]), [], "UTC", (date(2024, 5, 30), None)
)
def test_any_input_gives_a_clean_bounded_name_or_none(
    enrichment: Enrichment,
    times: list[datetime | None],
    zone: str,
    fallback: tuple[date | None, date | None] | None,
) -> None:
    name = canonical_name(enrichment, times, tz=zone, fallback_dates=fallback)
    if name is None:
        return
    assert len(name) <= MAX_NAME_LENGTH
    assert has_no_control_characters(name)
    assert name == " ".join(name.split())  # trimmed, whitespace collapsed, only spaces
    date_part = DATE_PART.search(name)
    assert date_part is not None, name  # the date is whole, never shortened
    assert name.removesuffix(date_part.group())  # and a title before it
    name.encode("utf-8")
    assert drift_score(name, name) == 0


@FAST
@given(
    st.lists(st.one_of(st.none(), st.text(), huge_text), min_size=2, max_size=2),
    st.sampled_from(ZONES),
    aware_times,
)
def test_two_teams_always_keep_their_separator_and_date(
    teams: list[str | None], zone: str, moment: datetime
) -> None:
    assume(moment.year >= 2001)
    name = canonical_name(Enrichment(teams=teams), [moment], tz=zone)  # type: ignore[arg-type]
    local = moment.astimezone(ZoneInfo(zone))
    if name is None:  # only when a team cleans to nothing
        assert not all(clean_field(team) for team in teams)
        return
    assert len(name) <= MAX_NAME_LENGTH
    assert " vs " in name
    assert name.endswith(f" - {local:%b} {local.day}")


@FAST
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20), aware_times)
def test_canonical_names_re_cased_score_at_most_5(word: str, moment: datetime) -> None:
    assume(moment.year >= 2001)
    name = canonical_name(Enrichment(teams=[f"T{word}", f"U{word[::-1]}"]), [moment])
    assert name is not None
    assert drift_score(name, name) == 0
    assert drift_score(name.upper(), name) <= 5
    assert drift_score(name.replace(" - ", " \u2013 ").replace(" vs ", " v. "), name) <= 5


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(st.one_of(st.text(), nasty_text), st.one_of(st.text(), nasty_text))
def test_drift_is_in_range_deterministic_and_zero_only_when_identical(a: str, b: str) -> None:
    score = drift_score(a, b)
    assert 0 <= score <= 100
    assert drift_score(a, b) == score
    assert explain_drift(a, b).score == score
    assert drift_score(a, a) == 0 and drift_score(b, b) == 0
    assert (score == 0) is (a == b)


@FAST
@given(huge_text, huge_text)
def test_drift_of_huge_names_is_in_range(a: str, b: str) -> None:
    assert 0 <= drift_score(a, b) <= 100


@FAST
@given(enrichments, photo_time_lists, st.sampled_from(ZONES), st.one_of(st.text(), nasty_text))
def test_drift_against_any_canonical_name_is_in_range(
    enrichment: Enrichment, times: list[datetime | None], zone: str, current: str
) -> None:
    name = canonical_name(enrichment, times, tz=zone)
    assume(name is not None)
    assert name is not None
    assert drift_score(name, name) == 0
    assert 0 <= drift_score(current, name) <= 100


@FAST
@given(aware_times, st.sampled_from(ZONES))
def test_a_single_photo_is_named_for_its_local_date(moment: datetime, zone: str) -> None:
    assume(moment.year >= 2001)
    local = moment.astimezone(ZoneInfo(zone))
    name = canonical_name(Enrichment(event_name="Cup"), [moment], tz=zone)
    assert name == f"Cup - {local:%b} {local.day}"


@FAST
@given(
    st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 1, 1)),
    st.integers(min_value=0, max_value=400),
    st.sampled_from(ZONES),
)
def test_an_event_range_reads_back_as_the_same_dates(first: date, length: int, zone: str) -> None:
    last = first + timedelta(days=length)
    tz = ZoneInfo(zone)
    times = [datetime(d.year, d.month, d.day, 12, tzinfo=tz) for d in (first, last)]
    name = canonical_name(Enrichment(event_name="Cup"), times, tz=zone)
    assert name is not None
    assert drift_score(name, name) == 0
    # The same dates written as a person would score low; a day outside scores high.
    if first == last:
        assert drift_score(f"Cup - {first.month}/{first.day}", name) <= 20
        assert (
            drift_score(
                f"Cup - {first + timedelta(days=1):%b} {(first + timedelta(days=1)).day}", name
            )
            > 20
        )
    else:
        assert drift_score(f"Cup - {first:%B %d, %Y} - {last:%B %d, %Y}", name) <= 20
        outside = last + timedelta(days=62)
        assert drift_score(f"Cup - {outside:%b} {outside.year}", name) > 20


# Team names as the enrichment writes them, including the awkward ones: month words,
# numbers at the end, periods, apostrophes, ampersands, a "v" inside a name.
TEAM_WORDS = [
    "Eagles", "Lions", "St.", "Mary's", "North", "High", "May", "River", "March", "Academy",
    "Augusta", "Jan", "Dec", "Sun", "Devils", "Tar", "Heels", "A&M", "U12", "Team", "7",
    "2024", "Jr.", "O'Dea", "Van", "V", "Vs", "Sept", "de", "la", "Salle", "West", "Point",
]  # fmt: skip
team_names = st.lists(st.sampled_from(TEAM_WORDS), min_size=1, max_size=4).map(" ".join)
game_days = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 30))


@FAST
@given(team_names, team_names, game_days)
def test_required_drift_behaviour_for_any_team_names(home: str, away: str, day: date) -> None:
    assume(home.casefold() != away.casefold())
    moment = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
    name = canonical_name(Enrichment(teams=[home, away]), [moment])
    assert name == f"{home} vs {away} - {day:%b} {day.day}"
    other_day = day + timedelta(days=1)
    cosmetic = f"{home.upper()}  v. {away.lower()} \u2014 {day:%b} {day.day}"
    assert 0 < drift_score(cosmetic, name) <= 5
    assert 0 < drift_score(f"{away} vs {home} - {day:%b} {day.day}", name) <= 20
    assert drift_score(f"{home} vs {away} - {other_day:%b} {other_day.day}", name) > 20
    assert drift_score(f"{home} vs {away}", name) > 20
    for default in ("Untitled", "New Album", "IMG_2043", f"{day:%Y-%m-%d}"):
        assert drift_score(default, name) >= 80


EVENT_WORDS = [
    "State", "Finals", "Spring", "Classic", "Invitational", "Day", "2", "7", "2024", "May",
    "March", "Madness", "Jun", "Cup", "-", "Round", "of", "16", "Tribute", "to", "Senior",
    "Night", "(JV)", "St.", "Patrick's", "Dec", "Sun", "Belt", "A&M", "5/30", "U12",
]  # fmt: skip
event_names = st.lists(st.sampled_from(EVENT_WORDS), min_size=1, max_size=5).map(" ".join)
range_starts = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 1, 1))


@FAST
@given(event_names, range_starts, st.integers(min_value=0, max_value=70))
def test_required_drift_behaviour_for_any_event_name(event: str, first: date, length: int) -> None:
    assume(event.strip(" -"))
    last = first + timedelta(days=length)
    times = [datetime(d.year, d.month, d.day, 15, tzinfo=UTC) for d in (first, last)]
    name = canonical_name(Enrichment(event_name=event), times)
    assert name is not None
    assert name.startswith(f"{event} - ")
    title, date_part = event, name[len(event) + 3 :]
    cosmetic = f"{title.upper()} \u2013 {date_part.lower()}"
    assert 0 < drift_score(cosmetic, name) <= 5
    assert drift_score(title, name) > 20  # the date missing
    later = last + timedelta(days=400)
    assert drift_score(f"{title} - {later:%b} {later.year}", name) > 20
    if first == last:
        assert drift_score(f"{title} - {first:%B} {first.day}, {first.year}", name) <= 20
        other = first + timedelta(days=1)
        assert drift_score(f"{title} - {other:%b} {other.day}", name) > 20
    else:
        assert drift_score(f"{title} - {first:%b %d, %Y} - {last:%b %d, %Y}", name) <= 20
    for default in ("Untitled", "New Album", "IMG_2043", f"{first:%Y-%m-%d}"):
        assert drift_score(default, name) >= 80
