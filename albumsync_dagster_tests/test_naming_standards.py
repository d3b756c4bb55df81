"""NAMING.md's new sections: usable titles, ``at`` games, and the naming standards.

Every rule and example of "Usable titles and matchups written with `at`" and "Naming
standards" as a test, under ``seed``, ``level-event-date`` and a template.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from albumsync_dagster.naming import (
    LEVEL_EVENT_DATE,
    MAX_NAME_LENGTH,
    Enrichment,
    canonical_name,
    drift_score,
    explain_drift,
    naming_standard,
    prefix_for,
    split_name_parts,
    template_standard,
)

CHICAGO = "America/Chicago"
CH = ZoneInfo(CHICAGO)
LED = "level-event-date"


def game(day: date, count: int = 30, hour: int = 18) -> list[datetime]:
    """``count`` capture times (UTC, as SmugMug sends them) of an evening in Chicago."""
    start = datetime(day.year, day.month, day.day, hour, tzinfo=CH)
    return [(start + timedelta(minutes=i)).astimezone(UTC) for i in range(count)]


def led(enrichment: Enrichment, times: list[datetime], current: str | None) -> str | None:
    return canonical_name(enrichment, times, tz=CHICAGO, standard=LED, current_name=current)


HS_GIRLS_VB = Enrichment(
    teams=["Joliet Catholic Academy", "Aurora Central Catholic"],
    sport_type="volleyball",
    level="high_school",
    division="girls",
)
SEP_22 = game(date(2026, 9, 22))
CANONICAL = "HS Girls VB - JCA at ACC - 09-22-2026"


# --- the examples of "Naming standards" (tz = America/Chicago) ---------------------------


def test_example_seed_name_gains_prefix_and_year() -> None:
    enrichment = Enrichment(
        teams=["Eagles", "Lions"], sport_type="basketball", level="high_school", division="boys"
    )
    name = led(enrichment, game(date(2024, 5, 30)), "Eagles vs Lions - May 30")
    assert name == "HS Boys Basketball - Eagles vs Lions - 05-30-2024"


def test_example_new_album_over_two_days() -> None:
    enrichment = Enrichment(event_name="Spring Fling", sport_type="volleyball", level="club")
    times = game(date(2025, 4, 12)) + game(date(2025, 4, 13))
    assert (
        led(enrichment, times, "New Album") == "Club VB - Spring Fling - 04-12-2025 to 04-13-2025"
    )


def test_example_away_game_keeps_at_and_has_no_prefix() -> None:
    enrichment = Enrichment(teams=["Eagles", "Lions"], sport_type="soccer")
    name = led(enrichment, game(date(2025, 9, 3)), "Lions at Eagles")
    assert name == "Lions at Eagles - 09-03-2025"


# --- prefix ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "division", "sport", "prefix"),
    [
        ("high_school", "girls", "volleyball", "HS Girls VB"),
        ("middle_school", "boys", "basketball", "MS Boys Basketball"),
        ("college", "womens", "soccer", "College Women's Soccer"),
        ("club", "mens", "lacrosse", "Club Men's Lacrosse"),
        ("high_school", "coed", "cross_country", "HS Coed Cross Country"),
        ("high_school", None, "track_and_field", "HS Track and Field"),
        (None, "girls", "volleyball", "Girls VB"),
        ("club", None, None, "Club"),
        (None, None, "volleyball", ""),  # a sport alone is not a prefix
        ("varsity", "juniors", "volleyball", ""),  # unknown values are ignored
        ("varsity", "girls", "volleyball", "Girls VB"),
        ("High School", "GIRLS", "Volleyball", "HS Girls VB"),  # values match loosely
        ("high-school", None, "🏐", "HS"),  # a sport with no letter or digit is none
    ],
)
def test_prefix_from_level_division_and_sport(
    level: str | None, division: str | None, sport: str | None, prefix: str
) -> None:
    enrichment = Enrichment(level=level, division=division, sport_type=sport)
    assert prefix_for(enrichment) == prefix


def test_no_prefix_leaves_out_its_separator() -> None:
    name = led(Enrichment(event_name="Spring Fling"), game(date(2025, 4, 12)), None)
    assert name == "Spring Fling - 04-12-2025"


# --- middle: the operator's, kept ----------------------------------------------------------


def test_middle_kept_character_for_character_though_enrichment_spells_teams_out() -> None:
    assert led(HS_GIRLS_VB, SEP_22, "JCA at ACC - Sep 22") == CANONICAL
    assert led(HS_GIRLS_VB, SEP_22, "HS Girls VB - JCA at ACC - 09-21-2026") == CANONICAL
    odd = "jca  @ ACC (Senior Night!) #5"
    assert led(HS_GIRLS_VB, SEP_22, f"{odd} – 2026-09-22") == f"HS Girls VB - {odd} - 09-22-2026"


@pytest.mark.parametrize(
    "prefix",
    ["HS Girls VB", "High School Girls Volleyball", "hs girls", "Girls", "HS", "Club VB"],
)
def test_a_recognised_prefix_is_replaced_by_the_facts(prefix: str) -> None:
    assert led(HS_GIRLS_VB, SEP_22, f"{prefix} - JCA at ACC - Sep 22") == CANONICAL


def test_a_first_segment_that_is_not_a_prefix_stays_in_the_middle() -> None:
    name = led(HS_GIRLS_VB, SEP_22, "Senior Night - JCA at ACC - Sep 22")
    assert name == "HS Girls VB - Senior Night - JCA at ACC - 09-22-2026"
    # "Girls Basketball Tournament": division word, but no known sport after it.
    name = led(HS_GIRLS_VB, SEP_22, "Girls Night Out - Sep 22")
    assert name == "HS Girls VB - Girls Night Out - 09-22-2026"


@pytest.mark.parametrize("separator", [" - ", " \u2013 ", " \u2014 "])
def test_segments_split_on_each_dash_style(separator: str) -> None:
    current = separator.join(["HS Girls VB", "JCA at ACC", "Sep 22"])
    assert led(HS_GIRLS_VB, SEP_22, current) == CANONICAL


def test_only_the_last_segment_is_the_date_earlier_dates_stay_in_the_middle() -> None:
    enrichment = Enrichment(
        event_name="Windy City Qualifier", level="club", sport_type="volleyball"
    )
    times = game(date(2023, 4, 15))
    name = led(enrichment, times, "Windy City Qualifier - Apr - Apr 2023")
    assert name == "Club VB - Windy City Qualifier - Apr - 04-15-2023"
    name = led(enrichment, times, "2023 Windy City Qualifier - 4/15/23")
    assert name == "Club VB - 2023 Windy City Qualifier - 04-15-2023"


@pytest.mark.parametrize(
    "default",
    [
        "Untitled",
        "Untitled Album",
        "New Album",
        "New Album (2)",
        "New Gallery",
        "IMG_2043",
        "DSC_0001",
        "2026-09-22",
        "09-22-2026",
        "Sep 22, 2026",
        "",
        "'",
        "\U0001f3d0 - Sep 22",
        "HS Girls VB - 09-22-2026",  # prefix and date: no middle
    ],
)
def test_a_default_missing_or_unusable_middle_is_built_from_the_enrichment(default: str) -> None:
    expected = "HS Girls VB - Joliet Catholic Academy vs Aurora Central Catholic - 09-22-2026"
    assert led(HS_GIRLS_VB, SEP_22, default) == expected


def test_middle_from_the_event_when_not_exactly_two_teams() -> None:
    enrichment = Enrichment(teams=["Eagles", "'"], event_name="Spring Fling", level="club")
    assert led(enrichment, SEP_22, None) == "Club - Spring Fling - 09-22-2026"


def test_no_typed_middle_and_no_teams_or_event_means_no_name() -> None:
    enrichment = Enrichment(sport_type="volleyball", level="high_school", division="girls")
    assert led(enrichment, SEP_22, "New Album") is None
    assert led(enrichment, SEP_22, None) is None
    # A typed middle is enough.
    assert led(enrichment, SEP_22, "JCA at ACC") == CANONICAL


def test_typed_middle_loses_controls_and_its_ends_only() -> None:
    name = led(HS_GIRLS_VB, SEP_22, "  JCA\u200b at\u202e  ACC \t- Sep 22")
    assert name == "HS Girls VB - JCA at  ACC - 09-22-2026"


def test_long_middle_is_shortened_with_an_ellipsis_to_255() -> None:
    typed = "JCA at ACC " + "x" * 400
    name = led(HS_GIRLS_VB, SEP_22, typed)
    assert name is not None and len(name) == MAX_NAME_LENGTH
    assert name.startswith("HS Girls VB - JCA at ACC xxx") and name.endswith("\u2026 - 09-22-2026")
    assert led(HS_GIRLS_VB, SEP_22, name) == name


def test_no_dated_photo_and_no_fallback_means_no_name_under_every_standard() -> None:
    for standard in ("seed", LED, template_standard("{middle} - {date:%Y-%m-%d}")):
        assert canonical_name(HS_GIRLS_VB, [], standard=standard, current_name="JCA at ACC") is None
        named = canonical_name(
            HS_GIRLS_VB,
            [None],
            standard=standard,
            current_name="JCA at ACC",
            fallback_dates=(date(2026, 9, 22), None),
        )
        assert named is not None


def test_date_follows_the_event_date_rules_time_zone_and_strays() -> None:
    # 21:30 in Chicago is the next day in UTC; three photos from an unset clock are strays.
    times = game(date(2026, 9, 22), count=40, hour=21)
    times += [datetime(2000, 1, 1, 12, tzinfo=UTC)] * 3
    assert led(HS_GIRLS_VB, times, "JCA at ACC") == CANONICAL


# --- usable titles (both standards) ----------------------------------------------------------


@pytest.mark.parametrize("junk", ["'", "\U0001f3c8", "--", "'; --", " ", "\u200b"])
def test_a_string_with_no_letter_or_digit_is_missing(junk: str) -> None:
    day = game(date(2024, 6, 3), hour=12)
    assert canonical_name(Enrichment(event_name=junk), day) is None
    assert canonical_name(Enrichment(teams=[junk, junk]), day) is None
    assert canonical_name(Enrichment(sport_type=junk), day) is None
    # One usable team is no matchup: the event or sport row applies.
    assert canonical_name(Enrichment(teams=[junk, "Lions"], sport_type="soccer"), day) == (
        "Soccer - Jun 3"
    )
    assert (
        canonical_name(Enrichment(teams=["Eagles", junk], event_name="Cup"), day) == "Cup - Jun 3"
    )
    assert led(Enrichment(event_name=junk, level="club"), day, None) is None
    assert led(Enrichment(event_name=junk, level="club"), day, junk) is None


def test_hostile_enrichment_from_the_issue_renames_nothing() -> None:
    day = game(date(2024, 6, 3), hour=12)
    for event in ["'", "\U0001f3c8", "'; --"]:
        for standard in ("seed", LED):
            assert canonical_name(Enrichment(event_name=event), day, standard=standard) is None


def test_digits_and_other_scripts_count_as_titles() -> None:
    day = game(date(2024, 6, 3), hour=12)
    assert canonical_name(Enrichment(event_name="#5"), day) == "#5 - Jun 3"
    assert canonical_name(Enrichment(event_name="\u6771\u4eac"), day) == "\u6771\u4eac - Jun 3"


# --- at / @ matchups (seed) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "current",
    [
        "ACC at Chicago Christian - Sep 7",
        "Chicago Christian at ACC - Sep 7",
        "ACC @ Chicago Christian - Sep 7",
        "Chicago Christian @ ACC - Sep 7",
        "acc AT chicago christian \u2013 Sep 7",
    ],
)
def test_at_matchup_with_the_date_right_scores_at_most_10(current: str) -> None:
    score = drift_score(current, "ACC vs Chicago Christian - Sep 7")
    assert 0 < score <= 10


def test_at_matchup_with_a_wrong_date_or_other_teams_is_renamed() -> None:
    canonical = "ACC vs Chicago Christian - Sep 7"
    assert drift_score("ACC at Chicago Christian - Sep 8", canonical) > 20
    assert drift_score("ACC at Chicago", canonical) > 20
    assert drift_score("ACC at Joliet Catholic - Sep 7", canonical) > 20


def test_at_inside_an_event_title_is_an_ordinary_word() -> None:
    canonical = "Shootout at the Beach - Jul 4"
    assert drift_score("Shootout at the Beach - Jul 4", canonical) == 0
    assert drift_score("Shootout vs the Beach - Jul 4", canonical) > 10
    assert drift_score("Shootout at the Lake - Jul 4", "Shootout at the Beach - Jul 4") > 20


def test_at_game_is_kept_under_level_event_date() -> None:
    enrichment = Enrichment(
        teams=["ACC", "Chicago Christian"], level="high_school", division="boys"
    )
    name = led(enrichment, game(date(2026, 9, 7)), "ACC at Chicago Christian - Sep 7")
    assert name == "HS Boys - ACC at Chicago Christian - 09-07-2026"


# --- drift under level-event-date ---------------------------------------------------------------


def led_drift(current: str, canonical: str = CANONICAL) -> int:
    return drift_score(current, canonical, standard=LED)


def test_led_identical_is_0_dash_or_whitespace_at_most_5() -> None:
    assert led_drift(CANONICAL) == 0
    assert 0 < led_drift("HS Girls VB \u2013 JCA at ACC \u2014 09-22-2026") <= 5
    assert 0 < led_drift("HS  Girls VB -  JCA at ACC   - 09-22-2026 ") <= 5


@pytest.mark.parametrize(
    ("current", "parts"),
    [
        ("JCA at ACC - 09-22-2026", ("prefix",)),  # prefix missing
        ("HS Boys VB - JCA at ACC - 09-22-2026", ("prefix",)),  # different prefix
        ("hs girls vb - JCA at ACC - 09-22-2026", ("prefix",)),  # letter case counts
        ("HS Girls VB - JCA at ACC", ("date",)),  # date missing
        ("HS Girls VB - JCA at ACC - 09-21-2026", ("date",)),  # wrong date
        ("HS Girls VB - JCA at ACC - Sep 22", ("date",)),  # other notation
        ("HS Girls VB - JCA at ACC - 2026-09-22", ("date",)),  # other notation
        ("HS Girls VB - 09-22-2026", ("middle",)),  # prefix and date without a middle
        ("JCA at ACC - Sep 22", ("prefix", "date")),
        ("Untitled", ("prefix", "middle", "date")),
    ],
)
def test_led_renames_what_the_facts_decide(current: str, parts: tuple[str, ...]) -> None:
    explanation = explain_drift(current, CANONICAL, standard=LED)
    assert explanation.score > 20
    assert explanation.differing_parts == parts
    assert explanation.score == led_drift(current)


def test_led_does_not_judge_a_kept_middle() -> None:
    assert led_drift("HS Girls VB - Joliet at Aurora - 09-22-2026") <= 5


def test_explanations_name_the_parts_as_written() -> None:
    explanation = explain_drift("HS Girls VB - JCA at ACC - 09-21-2026", CANONICAL, standard=LED)
    assert explanation.describe() == "date 09-21-2026 \u2192 09-22-2026"
    explanation = explain_drift("JCA at ACC - Sep 22", CANONICAL, standard=LED)
    assert explanation.describe() == (
        "prefix missing \u2192 HS Girls VB; date Sep 22 \u2192 09-22-2026"
    )
    seed = explain_drift("Eagles vs Lions - May 31", "Eagles vs Lions - May 30")
    assert seed.describe() == "date May 31 \u2192 May 30"
    # A date the seed parser finds without a " - " shows as it read it.
    spaced = explain_drift("Eagles vs Lions 5/31/24", "Eagles vs Lions - May 30")
    assert spaced.describe() == "date 5/31/24 \u2192 May 30"
    assert explain_drift(CANONICAL, CANONICAL, standard=LED).differences == ()


def test_seed_scores_are_unchanged_by_the_standard_argument() -> None:
    for current in ["Eagles vs Lions - May 31", "Lions vs Eagles - May 30", "Untitled"]:
        assert drift_score(current, "Eagles vs Lions - May 30", standard="seed") == drift_score(
            current, "Eagles vs Lions - May 30"
        )


# --- reading names into parts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prefix", "middle", "date_text"),
    [
        ("HS Girls VB - JCA at ACC - 09-22-2026", "HS Girls VB", "JCA at ACC", "09-22-2026"),
        (
            "Club VB \u2013 Spring Fling \u2014 04-12-2025 to 04-13-2025",
            "Club VB",
            "Spring Fling",
            "04-12-2025 to 04-13-2025",
        ),
        ("Eagles vs Lions - May 30", "", "Eagles vs Lions", "May 30"),
        ("St. Mary's @ Holy Cross - 2024-05-30", "", "St. Mary's @ Holy Cross", "2024-05-30"),
        ("2024 Holiday Hoops #5 - Dec 28", "", "2024 Holiday Hoops #5", "Dec 28"),
        ("Men's Lacrosse - Senior Night - 5/30/24", "Men's Lacrosse", "Senior Night", "5/30/24"),
        ("College Women's Soccer - Big Ten Final", "College Women's Soccer", "Big Ten Final", ""),
        ("Lions at Eagles", "", "Lions at Eagles", ""),
        ("New Album", "", "New Album", ""),
    ],
)
def test_names_split_into_prefix_middle_and_date(
    name: str, prefix: str, middle: str, date_text: str
) -> None:
    parts = split_name_parts(name, standard=LED)
    assert (parts.prefix, parts.middle, parts.date) == (prefix, middle, date_text)


# --- standards and templates --------------------------------------------------------------


def test_standards_by_name() -> None:
    assert naming_standard("level-event-date") is LEVEL_EVENT_DATE
    assert naming_standard(" Seed ").name == "seed"
    with pytest.raises(ValueError, match="unknown naming standard 'fancy'"):
        naming_standard("fancy")
    with pytest.raises(ValueError, match="needs ALBUMSYNC_NAMING_TEMPLATE"):
        naming_standard("template")


def test_template_with_its_own_date_format() -> None:
    standard = template_standard("{middle} - {date:%b %-d, %Y}")
    name = canonical_name(
        HS_GIRLS_VB, SEP_22, tz=CHICAGO, standard=standard, current_name="JCA at ACC - Sep 22"
    )
    assert name == "JCA at ACC - Sep 22, 2026"
    assert drift_score(name, name, standard=standard) == 0
    assert drift_score("JCA at ACC - Sep 21, 2026", name, standard=standard) > 20
    two_days = SEP_22 + game(date(2026, 9, 23))
    named = canonical_name(HS_GIRLS_VB, two_days, tz=CHICAGO, standard=standard, current_name=name)
    assert named == "JCA at ACC - Sep 22, 2026 to Sep 23, 2026"


def test_template_with_a_prefix_is_level_event_date_in_another_date_notation() -> None:
    standard = template_standard("{prefix} - {middle} - {date:%Y-%m-%d}")
    name = canonical_name(
        HS_GIRLS_VB, SEP_22, tz=CHICAGO, standard=standard, current_name="JCA at ACC"
    )
    assert name == "HS Girls VB - JCA at ACC - 2026-09-22"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{middle} {date}", "not a template this project reads"),
        ("{prefix} - {date} - {middle}", "not a template this project reads"),
        ("{middle} - {team} - {date}", "unknown placeholder team"),
        ("{middle} - {date:%d/%m}", "does not read back"),
    ],
)
def test_templates_refused_with_a_reason(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        template_standard(template)


def test_settings_read_the_standard_from_the_environment() -> None:
    from albumsync_dagster.settings import Settings

    assert Settings.from_env({}).standard().name == "seed"
    chosen = Settings.from_env({"ALBUMSYNC_NAMING_STANDARD": "level-event-date"})
    assert chosen.standard() is LEVEL_EVENT_DATE
    templated = Settings.from_env({"ALBUMSYNC_NAMING_TEMPLATE": "{middle} - {date:%Y-%m-%d}"})
    assert templated.naming_standard == "template"
    assert templated.standard().date_format == "%Y-%m-%d"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="ALBUMSYNC_NAMING_STANDARD"):
        Settings.from_env({"ALBUMSYNC_NAMING_STANDARD": "fancy"})
    with pytest.raises(ValueError, match="ALBUMSYNC_NAMING_TEMPLATE"):
        Settings.from_env({"ALBUMSYNC_NAMING_TEMPLATE": "{date} {middle}"})
