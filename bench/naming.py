"""Benchmark: drift scores per second under both standards, and canonical names per second.

Drift: builds 100,000 (current, canonical) pairs as a photographer's account holds them.
Each canonical name comes from canonical_name (team games, multi-day events, sports; mostly
distinct, so the canonical-side cache helps little on the first pass). The current names are
the canonical one itself, or with a case/dash/"vs" change, the teams swapped, a typo, a wrong
day or month, the date in another notation, the date missing, a default name (Untitled,
IMG_2043, ...) or another event's name. Times one cold pass (caches cleared) and the best of
three warm passes, and prints the mean score and share renamed per kind as a sanity check.

Level-event-date: 100,000 pairs likewise, the canonical names built with level, division and
the operator's typed middle (``Lions at Eagles``, ``Senior Night: A vs B``, default names);
the current names exact, in another dash style, without prefix (the seed's ``May 30``), with
a wrong date, an ISO date, no date, another middle (not judged) or a default name.

Canonical names: albums of 200 photos (evening games crossing midnight UTC, three-day
tournaments, a few photos without a time, a few from a camera with an unset clock), named
with tz America/New_York.

Run: .venv/bin/python bench/naming.py [--pairs N] [--albums N] [--photos N] [--seed N]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import rapidfuzz

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumsync_dagster.naming import (  # noqa: E402
    Enrichment,
    canonical_name,
    clear_caches,
    drift_score,
)

ZONE = "America/New_York"
NEW_YORK = ZoneInfo(ZONE)
THRESHOLD = 20

PLACES = (
    "Riverside", "Lakeview", "North", "South", "East", "West", "Central", "Oak Ridge",
    "Cedar Creek", "Pine Valley", "Mountain View", "Harbor", "Franklin", "Jefferson",
    "Lincoln", "Washington", "St. Mary's", "St. Joseph", "Holy Cross", "Bishop Kenny",
    "Green Hope", "Apex", "Cary", "Durham", "Chapel Hill", "Raleigh", "Wake Forest",
)  # fmt: skip
MASCOTS = (
    "Eagles", "Lions", "Tigers", "Bears", "Hawks", "Panthers", "Wildcats", "Cardinals",
    "Blue Devils", "Tar Heels", "Wolfpack", "Hornets", "Knights", "Raiders", "Falcons",
    "Mustangs", "Bulldogs", "Spartans", "Trojans", "Cougars", "Rams", "Pirates",
)  # fmt: skip
EVENTS = (
    "Spring Classic", "State Championship", "Winter Classic", "ACC Boys Golf Tourney",
    "Memorial Day Invitational", "Holiday Hoops Tournament", "Senior Night", "Homecoming",
    "Regional Qualifier", "Summer Showcase", "Conference Finals", "Thanksgiving Shootout",
    "Girls Lacrosse Jamboree", "Cross Country Invitational", "Swim & Dive Championships",
)  # fmt: skip
SPORTS = ("soccer", "lacrosse", "basketball", "track_and_field", "swimming", "field hockey")
DEFAULTS = ("Untitled", "New Album", "Untitled Album", "New Gallery", "Photos")


def team(rng: random.Random) -> str:
    return (
        f"{rng.choice(PLACES)} {rng.choice(MASCOTS)}" if rng.random() < 0.5 else rng.choice(MASCOTS)
    )


def local_times(rng: random.Random, first: date, days: int, count: int) -> list[datetime]:
    """``count`` capture times (UTC) over ``days`` local days from ``first``, 17:00-22:00."""
    times = []
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(days))
        wall = datetime(day.year, day.month, day.day, 17, tzinfo=NEW_YORK)
        times.append((wall + timedelta(seconds=rng.randrange(5 * 3600))).astimezone(UTC))
    return times


def random_album(rng: random.Random, photos: int) -> tuple[Enrichment, list[datetime | None]]:
    first = date(2020, 1, 1) + timedelta(days=rng.randrange(6 * 365))
    kind = rng.random()
    if kind < 0.6:
        home = team(rng)
        away = team(rng)
        while away == home:
            away = team(rng)
        enrichment = Enrichment(teams=[home, away], sport_type=rng.choice(SPORTS))
        times: list[datetime | None] = list(local_times(rng, first, 1, photos))
    elif kind < 0.9:
        enrichment = Enrichment(event_name=rng.choice(EVENTS), sport_type=rng.choice(SPORTS))
        times = list(local_times(rng, first, rng.choice((1, 2, 3, 3, 4)), photos))
    else:
        enrichment = Enrichment(sport_type=rng.choice(SPORTS))
        times = list(local_times(rng, first, rng.choice((1, 1, 2)), photos))
    for index in rng.sample(range(photos), k=max(1, photos // 50)):
        times[index] = None  # screenshots, scans: no DateTimeOriginal
    if rng.random() < 0.2:
        times[rng.randrange(photos)] = datetime(2000, 1, 1, rng.randrange(24), tzinfo=UTC)
    return enrichment, times


def typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    op = rng.randrange(3)
    if op == 0 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposition
    if op == 1:
        return text[:i] + text[i + 1 :]  # a letter dropped
    return text[:i] + rng.choice("aeiourstln") + text[i:]  # a letter added


def cosmetic(rng: random.Random, name: str) -> str:
    change = rng.randrange(4)
    if change == 0:
        return name.lower()
    if change == 1:
        return name.replace(" - ", rng.choice((" \u2013 ", " \u2014 ", "-", "  -  ")))
    if change == 2:
        return name.replace(" vs ", rng.choice((" vs. ", " v ", " VS ", " v. ")))
    return f" {name.upper()} "


def main_day(times: list[datetime | None]) -> date:
    days = [t.astimezone(NEW_YORK).date() for t in times if t is not None and t.year > 2000]
    return statistics.mode(days)


def event_span(canonical: str, day: date, times: list[datetime | None]) -> tuple[date, date]:
    """The event's first and last day as its canonical name has them (one day for a game)."""
    if " vs " in canonical:
        return day, day
    days = sorted(t.astimezone(NEW_YORK).date() for t in times if t and t.year > 2000)
    return days[0], days[-1]


def current_name(
    rng: random.Random, canonical: str, enrichment: Enrichment, times: list[datetime | None]
) -> tuple[str, str]:
    """A current name for an album and the kind of difference it has from the canonical."""
    title, _, date_part = canonical.rpartition(" - ")
    day = main_day(times)
    roll = rng.random()
    if roll < 0.35:
        return "exact", canonical
    if roll < 0.45:
        changed = cosmetic(rng, canonical)
        return ("cosmetic", changed) if changed != canonical else ("exact", canonical)
    if roll < 0.53 and len(enrichment.teams) == 2:
        home, away = enrichment.teams
        return "swapped", f"{away} vs {home} - {date_part}"
    if roll < 0.61:
        misspelt = typo(rng, title)
        return ("typo", f"{misspelt} - {date_part}") if misspelt != title else ("exact", canonical)
    if roll < 0.71:
        # Mostly the UTC date of an evening game; for an event, a day outside its range.
        shift = rng.choice((1, 1, 1, -1, 31, 7)) if enrichment.teams else rng.choice((-1, 40))
        wrong = day + timedelta(days=shift)
        if not enrichment.teams:
            days = [t.astimezone(NEW_YORK).date() for t in times if t and t.year > 2000]
            wrong = (min(days) if shift < 0 else max(days)) + timedelta(days=shift)
        return "wrong date", f"{title} - {wrong:%b} {wrong.day}"
    if roll < 0.79:
        first, last = event_span(canonical, day, times)
        if first != last:  # a several-day event, its days written out
            text = rng.choice(
                (
                    f"{first:%b} {first.day}-{last:%b} {last.day}",
                    f"{first:%B} {first.day} - {last:%B} {last.day}, {last.year}",
                    f"{first.month}/{first.day}-{last.month}/{last.day}",
                )
            )
            if first.month == last.month:
                text = rng.choice((f"{first:%B} {first.year}", text))
            return "notation", f"{title} - {text}"
        text = rng.choice(
            (
                f"{day.month}/{day.day}",
                f"{day:%Y-%m-%d}",
                f"{day:%B} {day.day}, {day.year}",
                f"{day:%b} {day.day}th",
            )
        )
        return "notation", f"{title} - {text}"
    if roll < 0.84:
        return "date missing", title
    if roll < 0.94:
        default = rng.choice(
            (*DEFAULTS, f"IMG_{rng.randrange(10000):04d}", f"DSC_{rng.randrange(10000):04d}")
        )
        return "default", rng.choice((default, f"{day:%Y-%m-%d}"))
    other = rng.choice([event for event in EVENTS if event != title])
    return "other event", f"{other} - {date_part}"


def build_pairs(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    pairs: list[tuple[str, str, str]] = []
    while len(pairs) < count:
        enrichment, times = random_album(rng, rng.choice((3, 5, 8)))
        canonical = canonical_name(enrichment, times, tz=ZONE)
        if canonical is None:
            continue
        kind, current = current_name(rng, canonical, enrichment, times)
        pairs.append((kind, current, canonical))
    return pairs


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def rate(label: str, count: int, unit: str, seconds: tuple[float, float]) -> None:
    wall, cpu = seconds
    print(
        f"  {label:<22} {count / wall:>10,.0f} {unit}/s wall ({wall * 1e6 / count:.2f} us each),"
        f" {count / cpu:>10,.0f} {unit}/s CPU"
    )


def bench_drift(pairs: list[tuple[str, str, str]], standard: str = "seed") -> None:
    currents = [p[1] for p in pairs]
    canonicals = [p[2] for p in pairs]
    score = partial(drift_score, standard=standard)

    def run() -> list[int]:
        return list(map(score, currents, canonicals))

    clear_caches()
    cold = timed(run)
    warm = min((timed(run) for _ in range(3)), key=lambda pair: pair[0])
    n = len(pairs)
    print(f"drift_score, standard {standard}: {n:,} pairs")
    rate("cold (caches cleared)", n, "scores", cold)
    rate("warm (best of 3)", n, "scores", warm)
    # Identical names return at once; the rest is what costs.
    differing = [(c, k) for c, k in zip(currents, canonicals, strict=True) if c != k]
    clear_caches()
    only = timed(lambda: [score(c, k) for c, k in differing])
    rate(f"cold, {len(differing):,} differing", len(differing), "scores", only)
    scores = run()
    by_kind: dict[str, list[int]] = defaultdict(list)
    for (kind, _, _), score in zip(pairs, scores, strict=True):
        by_kind[kind].append(score)
    print(f"  {'kind':<13} {'share':>6} {'mean':>6} {'min':>4} {'max':>4}  renamed (> {THRESHOLD})")
    for kind, values in sorted(by_kind.items(), key=lambda item: statistics.mean(item[1])):
        renamed = sum(v > THRESHOLD for v in values) / len(values)
        print(
            f"  {kind:<13} {len(values) / n:>6.1%} {statistics.mean(values):>6.1f}"
            f" {min(values):>4} {max(values):>4}  {renamed:>6.1%}"
        )


# --- level-event-date ----------------------------------------------------------------------

LEVELS = ("high_school", "high_school", "middle_school", "college", "club", None)
DIVISIONS = ("girls", "boys", "womens", "mens", "coed", None)
TYPED = (
    "{a} at {b}", "{a} @ {b}", "{a} vs {b}", "{a} vs. {b}", "Senior Night: {a} vs {b}",
    "{a}/{b} #5", "{a} at {b} (Game 2)", "{a}'s Homecoming",
)  # fmt: skip


def led_album(
    rng: random.Random, photos: int
) -> tuple[Enrichment, list[datetime | None], str | None]:
    """An album as the level-event-date standard sees it: level, division, and the name the
    operator typed (a matchup in their own words, a default name or nothing)."""
    enrichment, times = random_album(rng, photos)
    enrichment = Enrichment(
        teams=enrichment.teams,
        event_name=enrichment.event_name,
        sport_type=enrichment.sport_type or rng.choice(SPORTS),
        level=rng.choice(LEVELS),
        division=rng.choice(DIVISIONS),
    )
    roll = rng.random()
    if roll < 0.6 and enrichment.teams:
        home, away = (short.split()[-1] for short in enrichment.teams)
        typed: str | None = rng.choice(TYPED).format(a=away, b=home)
    elif roll < 0.8:
        typed = rng.choice(DEFAULTS)
    else:
        typed = None
    return enrichment, times, typed


def led_current_name(rng: random.Random, canonical: str) -> tuple[str, str]:
    """A current name for a level-event-date canonical name, and the kind of difference."""
    parts = canonical.split(" - ")
    date_text = parts[-1]
    body = " - ".join(parts[:-1])
    first = date_text.split(" to ")[0]
    month, day, year = (int(x) for x in first.split("-"))
    roll = rng.random()
    if roll < 0.35:
        return "exact", canonical
    if roll < 0.45:
        return "dash style", canonical.replace(" - ", rng.choice((" \u2013 ", " \u2014 ")))
    if roll < 0.6:
        middle = parts[1] if len(parts) == 3 else parts[0]
        return "no prefix", f"{middle} - {date(year, month, day):%b} {day}"
    if roll < 0.7:
        wrong = date(year, month, day) + timedelta(days=rng.choice((-1, 1, 7)))
        return "wrong date", f"{body} - {wrong:%m-%d-%Y}"
    if roll < 0.8:
        return "iso date", f"{body} - {year}-{month:02d}-{day:02d}"
    if roll < 0.88:
        return "date missing", body
    if roll < 0.94:
        return "other middle", canonical.replace(parts[-2], "Rivalry Night")
    return "default", rng.choice(DEFAULTS)


def build_led_pairs(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    pairs: list[tuple[str, str, str]] = []
    while len(pairs) < count:
        enrichment, times, typed = led_album(rng, rng.choice((3, 5, 8)))
        canonical = canonical_name(
            enrichment, times, tz=ZONE, standard="level-event-date", current_name=typed
        )
        if canonical is None:
            continue
        kind, current = led_current_name(rng, canonical)
        pairs.append((kind, current, canonical))
    return pairs


def bench_canonical(rng: random.Random, albums: int, photos: int) -> None:
    inputs = [random_album(rng, photos) for _ in range(albums)]

    def run() -> list[str | None]:
        return [canonical_name(e, t, tz=ZONE) for e, t in inputs]

    best = min((timed(run) for _ in range(3)), key=lambda pair: pair[0])
    named = sum(name is not None for name in run())
    print(f"canonical_name: {albums:,} albums of {photos} photos (tz {ZONE}), best of 3")
    rate("albums", albums, "albums", best)
    rate("photos", albums * photos, "photos", best)
    print(f"  {named:,} of {albums:,} albums named")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--albums", type=int, default=2_000)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(
        f"Python {platform.python_version()}, rapidfuzz {rapidfuzz.__version__},"
        f" {platform.machine()}, seed {args.seed}"
    )
    for standard, build in (("seed", build_pairs), ("level-event-date", build_led_pairs)):
        pairs = build(rng, args.pairs)
        distinct, currents = len({p[2] for p in pairs}), len({p[1] for p in pairs})
        print(f"{distinct:,} distinct canonical names, {currents:,} distinct current")
        bench_drift(pairs, standard)
    bench_canonical(rng, args.albums, args.photos)


if __name__ == "__main__":
    main()
