"""Property tests of the naming standards: fixed points, no stacked suffixes, usable titles,
and real-world names read into the right parts."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from albumsync_dagster.naming import (
    MAX_NAME_LENGTH,
    Enrichment,
    canonical_name,
    drift_score,
    explain_drift,
    prefix_for,
    split_name_parts,
    template_standard,
)
from albumsync_dagster.naming.segments import split_off_date
from albumsync_dagster.naming.text import has_letter_or_digit

EXAMPLES = int(os.environ.get("NAMING_PROPERTY_EXAMPLES", "300"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STANDARDS = ["seed", "level-event-date", template_standard("{middle} - {date:%b %-d, %Y}")]
ZONES = ["UTC", "America/Chicago", "America/New_York", "Pacific/Auckland", "Asia/Kathmandu"]

WORDS = [
    "Eagles", "Lions", "St. Mary's", "JCA", "ACC", "Holy Cross", "Boys", "Girls", "HS", "Club",
    "Varsity", "JV", "Senior Night", "#5", "2024", "Day 2", "at", "@", "vs", "vs.", "-", "\u2013",
    "\u2014", "May 30", "Sep", "2026-09-22", "09-22-2026", "5/30", "Untitled", "IMG_2043",
    "New Album", "'", "\U0001f3c8", "Shootout", "to", "Apr", "(2)", "U12", "Volleyball", "VB",
]  # fmt: skip
LEVELS = ["high_school", "middle_school", "college", "club", "High School", "varsity", "", "'"]
DIVISIONS = ["girls", "boys", "womens", "mens", "coed", "Women's", "juniors", "", "--"]
SPORTS = [
    "volleyball",
    "basketball",
    "cross_country",
    "soccer",
    "\U0001f3d0",
    "",
    "_",
    "swim & dive",
]

phrase = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
text = st.one_of(phrase, st.text(max_size=12), st.sampled_from(["'", "--", "\U0001f3c8", " - "]))
separator = st.sampled_from([" - ", " \u2013 ", " \u2014 ", "  -  ", " "])
current_names = st.one_of(
    st.none(),
    text,
    st.lists(text, min_size=1, max_size=4).flatmap(
        lambda parts: separator.map(lambda sep: sep.join(parts))
    ),
)
enrichments = st.builds(
    Enrichment,
    teams=st.lists(text, max_size=3),
    event_name=st.one_of(st.none(), text),
    sport_type=st.one_of(st.none(), st.sampled_from(SPORTS)),
    level=st.one_of(st.none(), st.sampled_from(LEVELS)),
    division=st.one_of(st.none(), st.sampled_from(DIVISIONS)),
)
times = st.lists(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2035, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
    min_size=1,
    max_size=6,
)


@FAST
@given(enrichments, times, st.sampled_from(ZONES), current_names, st.sampled_from(STANDARDS))
@example(
    Enrichment(event_name="Boys - Relay", level="club"),
    [datetime(2024, 5, 30, 12, tzinfo=UTC)],
    "UTC",
    "HS - Boys - Relay - May 30",
    "level-event-date",
)
@example(
    Enrichment(event_name="Girls"),
    [datetime(2024, 5, 30, 12, tzinfo=UTC)],
    "UTC",
    "Girls",
    "level-event-date",
)
@example(
    Enrichment(event_name="x"),
    [datetime(2024, 5, 30, 12, tzinfo=UTC)],
    "UTC",
    "Cup -",
    "level-event-date",
)
def test_naming_its_own_output_changes_nothing(
    enrichment: Enrichment, photos: list[datetime], zone: str, current: str | None, standard: object
) -> None:
    """A fixed point: no stacked suffixes, no drift of a name from itself, a usable title."""
    name = canonical_name(
        enrichment,
        photos,
        tz=zone,
        standard=standard,
        current_name=current,  # type: ignore[arg-type]
    )
    if name is None:
        return
    assert len(name) <= MAX_NAME_LENGTH
    again = canonical_name(
        enrichment,
        photos,
        tz=zone,
        standard=standard,
        current_name=name,  # type: ignore[arg-type]
    )
    assert again == name
    assert drift_score(name, name, standard=standard) == 0  # type: ignore[arg-type]
    assert explain_drift(name, name, standard=standard).score == 0  # type: ignore[arg-type]
    # The title: what is left once the date and the prefix the facts give are taken off.
    title = split_off_date(name)[0]
    prefix = prefix_for(enrichment) if standard == "level-event-date" else ""
    assert has_letter_or_digit(title.removeprefix(f"{prefix} - " if prefix else ""))


@FAST
@given(enrichments, times, st.sampled_from(ZONES), current_names, st.sampled_from(STANDARDS[:2]))
def test_scores_stay_in_range_and_match_their_explanation(
    enrichment: Enrichment, photos: list[datetime], zone: str, current: str | None, standard: str
) -> None:
    name = canonical_name(enrichment, photos, tz=zone, standard=standard, current_name=current)
    if name is None or current is None:
        return
    score = drift_score(current, name, standard=standard)
    assert 0 <= score <= 100
    explanation = explain_drift(current, name, standard=standard)
    assert explanation.score == score
    assert (score == 0) == (current == name)
    assert bool(explanation.differences) or score <= 5


# --- real-world names, read into their parts -----------------------------------------------

PREFIXES = ["", "HS Girls VB", "HS Boys Basketball", "Club VB", "College Women's Soccer", "MS"]
MIDDLES = [
    "JCA at ACC", "Eagles vs Lions", "St. Mary's @ Holy Cross", "2024 Holiday Hoops #5",
    "Senior Night", "Shootout at the Beach", "O'Fallon vs. Belleville East", "Day 2 - Finals",
    "Windy City Qualifier - Apr", "Class of 2026", "Girls Night Out", "U12 Cup",
]  # fmt: skip
days_ = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


def date_notations(day: date, last: date) -> list[str]:
    return [
        f"{day:%m-%d-%Y}",
        f"{day:%Y-%m-%d}",
        f"{day.month}/{day.day}/{day:%y}",
        f"{day:%b} {day.day}",
        f"{day:%b} {day.day}, {day.year}",
        f"{day:%m-%d-%Y} to {last:%m-%d-%Y}",
    ]


@FAST
@given(
    st.sampled_from(PREFIXES),
    st.sampled_from(MIDDLES),
    days_,
    st.integers(0, 3),
    st.integers(0, 5),
    st.lists(st.sampled_from([" - ", " \u2013 ", " \u2014 "]), min_size=2, max_size=2),
)
def test_real_world_names_read_into_the_right_parts(
    prefix: str, middle: str, day: date, length: int, notation: int, separators: list[str]
) -> None:
    date_text = date_notations(day, day + timedelta(days=length))[notation]
    parts = [p for p in (prefix, middle, date_text) if p]
    name = parts[0]
    for part, sep in zip(parts[1:], separators, strict=False):
        name += sep + part
    read = split_name_parts(name, standard="level-event-date")
    assert (read.prefix, read.middle, read.date) == (prefix, middle, date_text)
    assert read.span is not None and (read.span.month1, read.span.day1) == (day.month, day.day)
