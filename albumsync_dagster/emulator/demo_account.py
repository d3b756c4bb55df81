"""The generated demo account: a sports photographer's SmugMug albums, deterministic per seed.

About 120 albums and 18,500 photos of events in America/New_York: two-team games,
tournaments over several days (some across a month or a year boundary), single-day named
events and sport-only albums. They carry the problems real accounts have: default names
(``Untitled``, ``New Album``, ``IMG_2043``, ``2024-05-30``), misspelled teams, wrong dates
(often the UTC day of an evening game), missing dates, swapped teams, cosmetic variants,
stray capture dates (camera clocks at 2000-01-01 or 1970-01-01), photos without
``DateTimeOriginal``, albums with no dated photo, and collected images (one image shown in
two albums). About a quarter already carry their canonical name.

Besides the SmugMug side (``DemoAccount.store()``), it produces the matching
``album_enrichment`` rows and ``photo_metadata`` rows (some without album key, some with a
stale album name, a few orphans), which ``albumsync_dagster.demo_rows.load_demo_rows`` writes.
``DemoAlbum.canonical_name`` is the name the naming rules (shared NAMING.md) give, computed
here from what the generator knows, for tests and reports.
"""

from __future__ import annotations

import functools
import random
import string
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from albumsync_dagster.emulator.store import EmulatorStore, format_time, url_name_for

TIMEZONE = "America/New_York"
NICKNAME = "demo-sports"
TARGET_PHOTOS = 18_500
PHOTO_URL = "https://photos.smugmug.com/photos/i-{key}/0/{size}/i-{key}-{size}.jpg"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KEY_ALPHABET = string.ascii_letters + string.digits
_TZ = ZoneInfo(TIMEZONE)

# (sport as the enrichment writes it, weight among team games)
_TEAM_SPORTS = (
    ("soccer", 5),
    ("lacrosse", 4),
    ("basketball", 4),
    ("baseball", 3),
    ("softball", 2),
    ("volleyball", 2),
    ("football", 2),
    ("field hockey", 2),
    ("ice hockey", 2),
)
_TEAMS = (
    "Eagles", "Lions", "Hawks", "Wildcats", "Panthers", "Bulldogs", "Tigers", "Falcons",
    "Mustangs", "Raiders", "Knights", "Spartans", "Cougars", "Vikings", "Rams", "Bears",
    "Huskies", "Jaguars", "Patriots", "Titans", "Red Storm", "Blue Devils", "Green Wave",
    "Golden Bears", "Sea Dogs", "Thunder", "Comets", "Cardinals", "Hornets", "Bobcats",
    "Wolverines", "Owls", "Pirates", "Trojans", "Gators", "Montclair Mounties",
    "Ridgewood Maroons", "St. Joseph's Green Knights", "Bergen Catholic Crusaders",
    "Delbarton Green Wave", "NYC Lightning FC", "Hudson Valley Hawks",
)  # fmt: skip
_TOURNAMENTS = (
    ("Garden State Lacrosse Classic", "lacrosse"),
    ("Jersey Shore Soccer Showcase", "soccer"),
    ("Hudson Valley Hoops Tournament", "basketball"),
    ("Memorial Day Tournament", "lacrosse"),
    ("Summer Slam Invitational", "baseball"),
    ("Liberty Cup", "soccer"),
    ("Empire State Volleyball Championships", "volleyball"),
    ("Tri-County Wrestling Tournament", "wrestling"),
    ("Atlantic Coast Swim Meet", "swimming"),
    ("Fall Foliage Field Hockey Festival", "field hockey"),
    ("Thanksgiving Hockey Shootout", "ice hockey"),
    ("Lakeside Softball Classic", "softball"),
    ("Keystone Diamond Classic", "baseball"),
    ("Big Apple Futsal Cup", "soccer"),
)
_SINGLE_EVENTS = (
    ("ACC Boys Golf Tourney", "golf"),
    ("County Track Championships", "track and field"),
    ("Spring Invitational", "track and field"),
    ("Senior Night", "lacrosse"),
    ("Section 1 Swim Finals", "swimming"),
    ("Girls Tennis Sectionals", "tennis"),
    ("Cross Country Opener", "cross country"),
    ("Wrestling Duals", "wrestling"),
    ("Holiday Hoops Showcase", "basketball"),
    ("Youth Soccer Jamboree", "soccer"),
)
_SPORT_ONLY = ("lacrosse", "soccer", "baseball", "golf", "tennis", "swimming", "wrestling")
_DEFAULT_NAMES = ("Untitled", "New Album", "IMG_2043", "Untitled Album", "New Gallery", "DSC_0001")

# How many albums of each kind (120 in all).
_KIND_COUNTS = {
    "game": 66,
    "tournament": 18,
    "event": 16,
    "sport": 12,
    "undated_game": 2,
    "highlights": 1,
    "unenriched": 2,
    "no_usable_enrichment": 1,
    "collector_game": 2,
}
# Name problems of the 114 albums that can have a canonical name (counts).
_NAME_PROBLEMS = (
    ("correct", 28),
    ("cosmetic", 9),
    ("swapped_teams", 5),
    ("misspelled", 14),
    ("default_name", 17),
    ("wrong_date", 22),
    ("missing_date", 9),
    ("old_format", 10),
)


@dataclass(frozen=True, slots=True)
class DemoAlbum:
    """What the generator knows about one album (the "truth" behind the data)."""

    album_key: str
    kind: str
    name: str  # the album's name on SmugMug at the start
    canonical_name: str | None  # what the naming rules give (None: cannot be named)
    teams: tuple[str, ...]
    event_name: str | None
    sport_type: str | None
    event_dates: tuple[date, ...]  # local dates of the event, America/New_York
    photo_count: int  # entries in the album (collected images included)
    problems: tuple[str, ...]
    db_name: str | None  # the album_name most of its photo_metadata rows carry


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """The generated account: SmugMug data, enrichment rows, photo rows and the truth."""

    seed: int
    timezone: str
    data: dict[str, Any]  # the emulator data-file structure (treat as read-only)
    albums: tuple[DemoAlbum, ...]
    enrichment_rows: tuple[dict[str, Any], ...]
    photo_rows: tuple[dict[str, Any], ...]
    orphan_album_key: str
    unknown_image_keys: tuple[str, ...] = field(default=())

    def store(self) -> EmulatorStore:
        """A fresh emulator store holding the account (each call: a new, independent one)."""
        return EmulatorStore.from_dict(self.data)

    def album(self, album_key: str) -> DemoAlbum:
        """The truth about one album."""
        for album in self.albums:
            if album.album_key == album_key:
                return album
        raise KeyError(album_key)

    def with_problem(self, problem: str) -> list[DemoAlbum]:
        """Albums tagged with this problem."""
        return [a for a in self.albums if problem in a.problems]

    @property
    def photo_count(self) -> int:
        """Distinct images on SmugMug (a collected image counts once)."""
        return len({i["image_key"] for a in self.data["albums"] for i in a["images"]})


def build_demo_store(seed: int = 0) -> EmulatorStore:
    """The demo account as an emulator store (deterministic for a seed)."""
    return build_demo(seed).store()


@functools.lru_cache(maxsize=4)
def build_demo(seed: int = 0) -> DemoAccount:
    """Generate the demo account for ``seed`` (same seed, same account, byte for byte)."""
    return _Generator(seed).build()


# ---------------------------------------------------------------------- naming (mirror)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _event_days(local_dates: list[date]) -> list[date]:
    """Local dates holding at least 5% of the dated photos (all of them if none does)."""
    counts = Counter(local_dates)
    total = sum(counts.values())
    kept = [d for d, n in counts.items() if n * 100 >= 5 * total]
    return sorted(kept or counts)


def _date_part(days: list[date]) -> str:
    first, last = days[0], days[-1]
    if first == last:
        return f"{MONTHS[first.month - 1]} {first.day}"
    if first.year != last.year:
        return f"{MONTHS[first.month - 1]} {first.year}-{MONTHS[last.month - 1]} {last.year}"
    if first.month != last.month:
        return f"{MONTHS[first.month - 1]}-{MONTHS[last.month - 1]} {first.year}"
    return f"{MONTHS[first.month - 1]} {first.year}"


def expected_canonical_name(
    teams: tuple[str, ...],
    event_name: str | None,
    sport_type: str | None,
    capture_times: list[datetime],
) -> str | None:
    """The name NAMING.md gives (no fallback dates), computed independently of the naming code."""
    local = [t.astimezone(_TZ).date() for t in capture_times]
    if not local:
        return None
    days = _event_days(local)
    cleaned_teams = [_clean(t) for t in teams if _clean(t)]
    if len(cleaned_teams) == 2:
        counts = Counter(d for d in local if d in set(days))
        top = max(counts.values())
        day = min(d for d, n in counts.items() if n == top)
        return f"{cleaned_teams[0]} vs {cleaned_teams[1]} - {MONTHS[day.month - 1]} {day.day}"
    if event_name and _clean(event_name):
        title = _clean(event_name)
    elif sport_type and _clean(sport_type):
        title = _clean(sport_type).title()
    else:
        return None
    return f"{title} - {_date_part(days)}"


# ---------------------------------------------------------------------- generator


@dataclass(slots=True)
class _Plan:
    kind: str
    sport: str | None
    teams: tuple[str, ...] = ()
    event_name: str | None = None
    days: list[date] = field(default_factory=list)
    start_minutes: int = 0  # local start, minutes after midnight
    duration_minutes: int = 150
    photos: int = 0
    problems: list[str] = field(default_factory=list)
    enriched: bool = True


class _Generator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.used_keys: set[str] = set()

    # ---------------------------------------------------------------- keys

    def _key(self, length: int) -> str:
        while True:
            key = "".join(self.rng.choice(_KEY_ALPHABET) for _ in range(length))
            if key not in self.used_keys and any(c.isdigit() for c in key):
                self.used_keys.add(key)
                return key

    # ---------------------------------------------------------------- plans

    def _random_day(self) -> date:
        # Two seasons of events: Sep 2023 .. Jun 2025.
        start = date(2023, 9, 1)
        return start + timedelta(days=self.rng.randrange(0, 660))

    def _pick_teams(self) -> tuple[str, str]:
        a, b = self.rng.sample(_TEAMS, 2)
        return a, b

    def _plans(self) -> list[_Plan]:
        rng = self.rng
        plans: list[_Plan] = []
        sports = [s for s, w in _TEAM_SPORTS for _ in range(w)]
        for _ in range(_KIND_COUNTS["game"] + _KIND_COUNTS["collector_game"]):
            plans.append(self._game_plan(rng.choice(sports)))
        for i in range(_KIND_COUNTS["collector_game"]):
            plans[-1 - i].kind = "collector_game"
        tournaments = list(_TOURNAMENTS)
        rng.shuffle(tournaments)
        for i in range(_KIND_COUNTS["tournament"]):
            event, sport = tournaments[i % len(tournaments)]
            plans.append(self._tournament_plan(event, sport, i))
        events = list(_SINGLE_EVENTS)
        rng.shuffle(events)
        for i in range(_KIND_COUNTS["event"]):
            event, sport = events[i % len(events)]
            day = self._random_day()
            plans.append(
                _Plan("event", sport, (), event, [day], rng.randrange(8 * 60, 17 * 60, 15),
                      rng.randrange(120, 360, 30))
            )  # fmt: skip
        for i in range(_KIND_COUNTS["sport"]):
            sport = _SPORT_ONLY[i % len(_SPORT_ONLY)]
            first = self._random_day()
            span = 2 if i % 6 == 5 else 1  # two of them cover two days
            days = [first + timedelta(days=d) for d in range(span)]
            plans.append(
                _Plan("sport", sport, (), None, days, rng.randrange(9 * 60, 18 * 60, 15),
                      rng.randrange(90, 240, 30))
            )  # fmt: skip
        for _ in range(_KIND_COUNTS["undated_game"]):
            plan = self._game_plan(rng.choice(sports))
            plan.kind = "undated_game"
            plans.append(plan)
        plans.append(_Plan("highlights", None, (), "Season Highlights", []))
        for _ in range(_KIND_COUNTS["unenriched"]):
            plan = self._game_plan(rng.choice(sports))
            plan.kind = "unenriched"
            plan.enriched = False
            plans.append(plan)
        plan = self._game_plan(rng.choice(sports))
        plan.kind = "no_usable_enrichment"
        plans.append(plan)
        return plans

    def _game_plan(self, sport: str) -> _Plan:
        rng = self.rng
        day = self._random_day()
        evening = rng.random() < 0.4
        if evening:
            start = rng.randrange(18 * 60, 20 * 60 + 1, 15)  # 18:00-20:00 local
        else:
            start = rng.randrange(9 * 60, 17 * 60, 15)
        return _Plan("game", sport, self._pick_teams(), None, [day], start,
                     rng.randrange(100, 180, 10))  # fmt: skip

    def _tournament_plan(self, event: str, sport: str, index: int) -> _Plan:
        rng = self.rng
        if index == 0:  # across a year boundary
            days = [date(2024, 12, 30) + timedelta(days=d) for d in range(4)]
            event = "Winter Classic"
            sport = "ice hockey"
        elif index in (1, 2, 3):  # across a month boundary
            month_end = [date(2024, 6, 30), date(2023, 10, 31), date(2025, 3, 31)][index - 1]
            span = rng.choice((2, 3))
            days = [month_end - timedelta(days=span - 2) + timedelta(days=d) for d in range(span)]
        else:
            first = self._random_day()
            first = first.replace(day=min(first.day, 24))
            days = [first + timedelta(days=d) for d in range(rng.choice((2, 2, 3, 3, 4)))]
        return _Plan("tournament", sport, (), event, days, 9 * 60, 8 * 60)

    # ---------------------------------------------------------------- sizes

    def _assign_sizes(self, plans: list[_Plan]) -> None:
        rng = self.rng
        ranges = {
            "game": (90, 230),
            "collector_game": (90, 200),
            "tournament": (220, 420),
            "event": (70, 220),
            "sport": (40, 140),
            "undated_game": (30, 80),
            "unenriched": (60, 140),
            "no_usable_enrichment": (50, 100),
        }
        owned = [p for p in plans if p.kind != "highlights"]
        for p in owned:
            low, high = ranges[p.kind]
            p.photos = rng.randint(low, high)
        # Scale to the target total, then settle rounding on the largest album.
        total = sum(p.photos for p in owned)
        for p in owned:
            p.photos = max(20, round(p.photos * TARGET_PHOTOS / total))
        biggest = max(owned, key=lambda p: p.photos)
        biggest.photos += TARGET_PHOTOS - sum(p.photos for p in owned)

    # ---------------------------------------------------------------- photos

    def _capture_times(self, plan: _Plan) -> list[datetime | None]:
        rng = self.rng
        times: list[datetime | None] = []
        if plan.kind == "undated_game":
            return [None] * plan.photos
        per_day = self._split(plan.photos, len(plan.days))
        for day, n in zip(plan.days, per_day, strict=True):
            start_local = datetime.combine(day, time(0, 0), _TZ) + timedelta(
                minutes=plan.start_minutes
            )
            for _ in range(n):
                offset = rng.uniform(0, plan.duration_minutes * 60)
                times.append((start_local + timedelta(seconds=offset)).astimezone(UTC))
        times.sort(key=lambda t: t or datetime.min.replace(tzinfo=UTC))
        return times

    def _split(self, total: int, parts: int) -> list[int]:
        if parts == 1:
            return [total]
        weights = [self.rng.uniform(0.7, 1.3) for _ in range(parts)]
        counts = [int(total * w / sum(weights)) for w in weights]
        counts[0] += total - sum(counts)
        return counts

    # ---------------------------------------------------------------- names

    def _name_for(self, problem: str, plan: _Plan, canonical: str, key_date: date) -> str:
        rng = self.rng
        mon, day = MONTHS[key_date.month - 1], key_date.day
        title = canonical.rsplit(" - ", 1)[0]
        date_part = canonical.rsplit(" - ", 1)[1]
        if problem == "correct":
            return canonical
        if problem == "cosmetic":
            variants = [
                canonical.lower(),
                canonical.replace(" - ", " – "),
                canonical.replace(" vs ", " vs. "),
                canonical.replace(" - ", "  -  "),
                canonical.replace(" vs ", " v "),
            ]
            return rng.choice([v for v in variants if v != canonical] or [canonical.upper()])
        if problem == "swapped_teams" and len(plan.teams) == 2:
            return f"{_clean(plan.teams[1])} vs {_clean(plan.teams[0])} - {date_part}"
        if problem == "misspelled":
            return f"{_misspell(title, rng)} - {date_part}"
        if problem == "default_name":
            choice = rng.choice((*_DEFAULT_NAMES, "ISO_DATE"))
            return key_date.isoformat() if choice == "ISO_DATE" else choice
        if problem == "wrong_date":
            if len(plan.days) == 1:
                shift = rng.choice((-2, -1, 1, 1, 2, 7, 30))
                wrong = key_date + timedelta(days=shift)
                return f"{title} - {MONTHS[wrong.month - 1]} {wrong.day}"
            wrong = key_date.replace(year=key_date.year - 1)
            return f"{title} - {MONTHS[wrong.month - 1]} {wrong.year}"
        if problem == "missing_date":
            return title
        if problem == "old_format":
            if len(plan.days) > 1:
                last = plan.days[-1]
                return f"{title} {mon} {day}-{last.day}"
            return f"{key_date.isoformat()} {title}"
        return canonical

    # ---------------------------------------------------------------- build

    def build(self) -> DemoAccount:
        rng = self.rng
        plans = self._plans()
        self._assign_sizes(plans)
        albums_data: list[dict[str, Any]] = []
        truths: list[DemoAlbum] = []
        enrichment: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        enriched_at = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
        url_names: Counter[tuple[str, str]] = Counter()
        problem_pool = [p for p, w in _NAME_PROBLEMS for _ in range(w)]
        rng.shuffle(problem_pool)
        home_images: dict[str, list[dict[str, Any]]] = {}
        collect_sources: list[str] = []

        # Which albums get photo-level problems.
        indexes = [i for i, p in enumerate(plans) if p.kind in ("game", "tournament", "event")]
        strays = set(rng.sample(indexes, 8))
        undated_some = set(rng.sample(indexes, 30))

        photo_serial = 1000
        pending_collect: list[tuple[int, dict[str, Any]]] = []
        for index, plan in enumerate(plans):
            album_key = self._key(6)
            camera = rng.choice(("IMG_", "DSC_", "_MG_", "DSC"))
            problems: list[str] = []
            times = self._capture_times(plan) if plan.kind != "highlights" else []
            if index in undated_some and times:
                for j in rng.sample(range(len(times)), max(1, len(times) // rng.choice((30, 50)))):
                    times[j] = None
                problems.append("missing_dto")
            if index in strays and times:
                # A second camera with an unset clock: a few photos dated 2000 or 1970.
                clock = rng.choice(
                    (datetime(2000, 1, 1, 0, 0, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))
                )
                for j in rng.sample(range(len(times)), min(rng.randint(1, 4), len(times) // 25)):
                    times[j] = clock + timedelta(seconds=rng.randrange(0, 3600))
                times.sort(key=lambda t: (t is None, t or clock))
                problems.append("stray_dates")
            if plan.kind == "undated_game":
                problems.append("no_dated_photos")
            images: list[dict[str, Any]] = []
            for t in times:
                photo_serial += rng.randint(1, 3)
                images.append(
                    {
                        "image_key": self._key(7),
                        "file_name": f"{camera}{photo_serial % 10000:04d}.JPG",
                        "date_time_original": format_time(t) if t else None,
                        "origin": "Album",
                        "serial": 0,
                    }
                )
            home_images[album_key] = images
            if plan.kind in ("game", "tournament") and len(collect_sources) < 12:
                collect_sources.append(album_key)

            # Evening games whose photos are mostly on the next UTC day.
            dated_times = [t for t in times if t is not None and t.year > 2000]
            if plan.kind in ("game", "collector_game") and dated_times:
                utc_days = Counter(t.date() for t in dated_times)
                if utc_days.most_common(1)[0][0] != plan.days[0]:
                    problems.append("evening_utc_next_day")

            album: dict[str, Any] = {"key": album_key, "images": images}
            albums_data.append(album)
            pending_collect.append((index, album))

            canonical = self._canonical(plan, times)
            key_date = plan.days[0] if plan.days else date(2024, 1, 1)
            if plan.kind in ("game", "tournament", "event", "sport", "collector_game"):
                problem = problem_pool.pop() if problem_pool else "correct"
                if problem == "swapped_teams" and len(plan.teams) != 2:
                    problem = "misspelled"
                if problem == "wrong_date" and "evening_utc_next_day" in problems:
                    # The classic mistake: the album named by the UTC date of an evening game.
                    wrong = Counter(t.date() for t in dated_times).most_common(1)[0][0]
                    title = (canonical or "").rsplit(" - ", 1)[0]
                    name = f"{title} - {MONTHS[wrong.month - 1]} {wrong.day}"
                else:
                    name = self._name_for(problem, plan, canonical or "", key_date)
                problems.insert(0, problem)
            elif plan.kind == "highlights":
                name = "Season Highlights"
                problems.insert(0, "collected_only")
            elif plan.kind == "undated_game":
                name = rng.choice(("Untitled", "New Album"))
                problems.insert(0, "default_name")
            else:
                name = rng.choice(_DEFAULT_NAMES)
                problems.insert(0, "default_name")
                problems.append(
                    "no_enrichment" if plan.kind == "unenriched" else "unusable_enrichment"
                )
            album["name"] = name
            folder = _folder_for(plan, key_date)
            base_url_name = url_name_for(name)
            url_names[(folder, base_url_name)] += 1
            n = url_names[(folder, base_url_name)]
            album["url_name"] = base_url_name if n == 1 else f"{base_url_name}-{n}"
            album["folder"] = folder
            last_time = max((t for t in times if t is not None and t.year > 2000), default=None)
            created = (last_time or datetime.combine(key_date, time(23, 0), UTC)) + timedelta(
                hours=rng.randint(2, 40)
            )
            album["date"] = format_time(created)
            for j, image in enumerate(images):
                image["uploaded"] = format_time(created + timedelta(seconds=2 * j + 1))
            truths.append(
                DemoAlbum(
                    album_key=album_key,
                    kind=plan.kind,
                    name=name,
                    canonical_name=canonical,
                    teams=plan.teams,
                    event_name=plan.event_name,
                    sport_type=plan.sport,
                    event_dates=tuple(plan.days),
                    photo_count=len(images),
                    problems=tuple(problems),
                    db_name=name,
                )
            )
            if plan.enriched:
                enrichment.append(self._enrichment_row(album_key, plan, enriched_at))

        self._add_collected(plans, albums_data, truths, home_images, collect_sources)
        truths = self._set_db_names(truths)
        rows, orphan_key, unknown = self._photo_rows(albums_data, truths, plans)
        data = {
            "nickname": NICKNAME,
            "name": "Demo Sports Photography",
            "timezone": TIMEZONE,
            "albums": albums_data,
        }
        return DemoAccount(
            seed=self.seed,
            timezone=TIMEZONE,
            data=data,
            albums=tuple(truths),
            enrichment_rows=tuple(enrichment),
            photo_rows=tuple(rows),
            orphan_album_key=orphan_key,
            unknown_image_keys=unknown,
        )

    def _canonical(self, plan: _Plan, times: list[datetime | None]) -> str | None:
        if not plan.enriched or plan.kind == "no_usable_enrichment":
            return None
        dated = [t for t in times if t is not None]
        return expected_canonical_name(plan.teams, plan.event_name, plan.sport, dated)

    def _enrichment_row(self, album_key: str, plan: _Plan, at: datetime) -> dict[str, Any]:
        rng = self.rng
        if plan.kind == "no_usable_enrichment":
            return {"album_key": album_key, "teams": [], "event_name": None, "sport_type": None,
                    "updated_at": at}  # fmt: skip
        teams = list(plan.teams)
        # The AI pipeline's text is not always tidy: stray spaces the naming must collapse.
        if teams and rng.random() < 0.1:
            teams[0] = f" {teams[0].replace(' ', '  ')} "
        return {
            "album_key": album_key,
            "teams": teams,
            "event_name": plan.event_name if plan.kind != "highlights" else "Season Highlights",
            "sport_type": plan.sport,
            "updated_at": at + timedelta(minutes=rng.randrange(0, 600)),
        }

    def _add_collected(
        self,
        plans: list[_Plan],
        albums_data: list[dict[str, Any]],
        truths: list[DemoAlbum],
        home_images: dict[str, list[dict[str, Any]]],
        sources: list[str],
    ) -> None:
        rng = self.rng
        for i, plan in enumerate(plans):
            album = albums_data[i]
            if plan.kind == "highlights":
                chosen_sources = rng.sample(sources, 5)
                picks = [img for s in chosen_sources for img in rng.sample(home_images[s], 6)]
            elif plan.kind == "collector_game":
                # A few images of another game shown here too: fewer than 5% of the album.
                source = rng.choice([s for s in sources if s != album["key"]])
                room = max(1, len(album["images"]) // 40)
                picks = rng.sample(home_images[source], min(room, 4))
            else:
                continue
            created = album.get("date") or format_time(datetime(2025, 6, 30, tzinfo=UTC))
            for image in picks:
                album["images"].append({**image, "origin": "Collected", "uploaded": created})
            truth = truths[i]
            times = [
                datetime.fromisoformat(img["date_time_original"])
                for img in album["images"]
                if img["date_time_original"]
            ]
            canonical = (
                expected_canonical_name(truth.teams, truth.event_name, truth.sport_type, times)
                if plan.kind == "highlights"
                else truth.canonical_name
            )
            truths[i] = _replace_truth(
                truth,
                photo_count=len(album["images"]),
                canonical_name=canonical,
                problems=(*truth.problems, "collected_images"),
            )

    def _set_db_names(self, truths: list[DemoAlbum]) -> list[DemoAlbum]:
        """Most albums' rows carry SmugMug's name; some a stale one; a few a mix of two."""
        rng = self.rng
        candidates = [i for i, t in enumerate(truths) if t.photo_count > 0]
        stale = set(rng.sample(candidates, 10))
        mixed = set(rng.sample([i for i in candidates if i not in stale], 3))
        out = []
        for i, truth in enumerate(truths):
            if i in stale:
                previous = rng.choice(("Untitled", "New Album", f"{truth.name} (old)", "Import"))
                out.append(
                    _replace_truth(
                        truth, db_name=previous, problems=(*truth.problems, "stale_db_name")
                    )
                )
            elif i in mixed:
                out.append(
                    _replace_truth(truth, problems=(*truth.problems, "inconsistent_db_names"))
                )
            else:
                out.append(truth)
        return out

    def _photo_rows(
        self, albums_data: list[dict[str, Any]], truths: list[DemoAlbum], plans: list[_Plan]
    ) -> tuple[list[dict[str, Any]], str, tuple[str, ...]]:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        loaded_at = datetime(2025, 7, 2, 3, 0)
        for album, truth, plan in zip(albums_data, truths, plans, strict=True):
            mixed = "inconsistent_db_names" in truth.problems
            for image in album["images"]:
                if image["origin"] == "Collected":
                    continue  # one row per image, in its home album
                key = image["image_key"]
                dto = image["date_time_original"]
                name = truth.db_name
                if mixed and rng.random() < 0.35:
                    name = "Untitled" if truth.name != "Untitled" else "New Album"
                rows.append(
                    {
                        "photo_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "image_key": key,
                        "album_key": album["key"],
                        "album_name": name,
                        "imageurl": PHOTO_URL.format(key=key, size="L"),
                        "thumbnailurl": PHOTO_URL.format(key=key, size="Th"),
                        "sport_type": plan.sport,
                        "photo_date": (
                            datetime.fromisoformat(dto).astimezone(UTC).replace(tzinfo=None)
                            if dto
                            else None
                        ),
                        "updated_at": loaded_at + timedelta(seconds=rng.randrange(0, 86_400)),
                    }
                )
        # About 2.5% of the rows lost their album key (the backfill's work).
        for i in rng.sample(range(len(rows)), round(len(rows) * 0.025)):
            rows[i]["album_key"] = None
        # Orphans: rows of an album deleted from SmugMug, and images SmugMug never had.
        orphan_key = self._key(6)
        for n in range(20):
            key = self._key(7)
            rows.append(
                {
                    "photo_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "image_key": key,
                    "album_key": orphan_key,
                    "album_name": "Deleted Scrimmage",
                    "imageurl": PHOTO_URL.format(key=key, size="L"),
                    "thumbnailurl": PHOTO_URL.format(key=key, size="Th"),
                    "sport_type": "soccer",
                    "photo_date": datetime(2023, 9, 9, 14, 0) + timedelta(minutes=n),
                    "updated_at": loaded_at,
                }
            )
        unknown = tuple(self._key(7) for _ in range(6))
        for key in unknown:
            rows.append(
                {
                    "photo_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "image_key": key,
                    "album_key": None,
                    "album_name": None,
                    "imageurl": PHOTO_URL.format(key=key, size="L"),
                    "thumbnailurl": PHOTO_URL.format(key=key, size="Th"),
                    "sport_type": None,
                    "photo_date": None,
                    "updated_at": loaded_at,
                }
            )
        return rows, orphan_key, unknown


def _replace_truth(truth: DemoAlbum, **changes: Any) -> DemoAlbum:
    values = {name: getattr(truth, name) for name in DemoAlbum.__slots__}
    values.update(changes)
    return DemoAlbum(**values)


def _folder_for(plan: _Plan, day: date) -> str:
    sport = (plan.sport or "Misc").title().replace(" ", "-")
    return f"Sports/{sport}/{day.year}"


def _misspell(title: str, rng: random.Random) -> str:
    words = title.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return title + "s"
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    swapped = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    if rng.random() < 0.5 and swapped != word:
        words[i] = swapped  # two letters swapped
    else:
        words[i] = word[:j] + word[j + 1 :]  # one letter dropped
    return " ".join(words)
