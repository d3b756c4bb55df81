"""Benchmark: large accounts, `albumsync sync --all --apply` run four times (the first run;
with nothing changed: right after it, the next day's daily run, a run after that), at 1,000 /
10,000 / 100,000 albums of ~100 photos (see ``RUNS``).

Per size and SmugMug profile it builds a fresh database (every photo's row, every album's
enrichment; 40% of the albums carry a drifted name, the rest their canonical one) and a
fresh emulator account (generated images: no object per photo), runs the CLI as a
subprocess and records, per run:

- wall time, exit status and the CLI's summary line;
- SmugMug requests as the emulator logged them, by kind (album list pages, album!search
  pages, album GETs, image list pages, PATCH renames) and the 429s among them, and the
  floor that many requests put on the time at 5 requests/s;
- rows inserted / updated / deleted in the scratch database (pg_stat_user_tables);
- the CLI process's peak RSS (its own: see ``_LAUNCHER``).

Profiles: ``0ms`` (the emulator answers at once, the client unthrottled), ``150ms``
(every answer 150 ms late, the emulator refusing more than 5 requests a second with 429,
the client limited to SMUGMUG_REQUESTS_PER_SECOND=5) and ``150ms-daily`` (the first run as
``0ms``, the daily runs after it as ``150ms``: what a day costs at SmugMug's pace, at sizes
whose first run at that pace would take hours). A 150 ms run of n albums needs at
least requests / 5 seconds, so ``--slow-max-albums`` (default 1,000) bounds the sizes it is
run for; the others show that floor only.

Writes bench/scale_results.json (every figure) and bench/scale.png (requests and time
against albums, log-log; needs matplotlib: ``pip install -e '.[bench]'``).

Run: .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--photos-per-album 100]
         [--profiles 0ms,150ms,150ms-daily] [--slow-max-albums 1000]
         [--out bench/scale_results.json] [--plot bench/scale.png]
Uses TEST_DATABASE_URL's server when set, otherwise ALBUMSYNC_DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsync_dagster.emulator import EmulatorStore, RunningEmulator, run_emulator  # noqa: E402
from albumsync_dagster.emulator import account_builder as ab  # noqa: E402
from albumsync_dagster.emulator.generated_images import generated_image_key  # noqa: E402
from albumsync_dagster.migrations import migrate  # noqa: E402
from albumsync_dagster.naming import Enrichment, canonical_name  # noqa: E402
from albumsync_dagster.schema import album_enrichment  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402

TEAMS = ("Eagles", "Lions", "Hawks", "Wildcats", "Panthers", "Bulldogs", "Tigers", "Falcons")
TZ = "UTC"
FIRST_DAY = datetime(2024, 1, 1, 17, tzinfo=UTC)
STEP_SECONDS = 30
DAYS = 700
SLOW_LATENCY_MS = 150.0
SLOW_RATE = 5
CLI_TIMEOUT_SECONDS = 6 * 3600
_KINDS = (
    ("list", re.compile(r"^/api/v2/user/[^/]+!albums$")),
    ("search", re.compile(r"^/api/v2/album!search$")),
    ("images", re.compile(r"^/api/v2/album/[^/]+!images$")),
    ("album", re.compile(r"^/api/v2/album/[^/!]+$")),
)


def album_key(i: int) -> str:
    return f"Sc{i:06d}"


def teams_of(i: int) -> tuple[str, str]:
    return TEAMS[i % len(TEAMS)], TEAMS[(i + 3) % len(TEAMS)]


def first_photo(i: int) -> datetime:
    return FIRST_DAY + timedelta(days=i % DAYS)


@cache
def truth(teams: tuple[str, str], first: datetime, photos: int) -> str:
    # Depends on the teams and the day only: 5,600 distinct names for any account size.
    name = canonical_name(
        Enrichment(teams=teams, sport_type="soccer"),
        [first + timedelta(seconds=STEP_SECONDS * n) for n in range(photos)],
        tz=TZ,
    )
    return name or "Untitled"


def current_name(i: int, photos: int) -> str:
    return "Untitled" if i % 5 < 2 else truth(teams_of(i), first_photo(i), photos)


def build_store(albums: int, photos: int) -> EmulatorStore:
    """The SmugMug side: ``albums`` albums of ``photos`` generated images each."""
    data = ab.account(
        [
            ab.album(
                album_key(i),
                current_name(i, photos),
                generated_images=ab.generated(
                    photos, series=i + 1, first=first_photo(i), step_seconds=STEP_SECONDS
                ),
                date=first_photo(i) + timedelta(hours=3),
            )
            for i in range(albums)
        ],
        nickname="scale",
        timezone=TZ,
    )
    return EmulatorStore.from_dict(data)


def load_database(engine: sa.Engine, albums: int, photos: int) -> None:
    """Migrations, every album's enrichment and every photo's row (COPY, streamed)."""
    migrate(engine)
    with engine.begin() as conn:
        for lo in range(0, albums, 5000):
            conn.execute(
                sa.insert(album_enrichment),
                [
                    {
                        "album_key": album_key(i),
                        "teams": list(teams_of(i)),
                        "event_name": None,
                        "sport_type": "soccer",
                    }
                    for i in range(lo, min(albums, lo + 5000))
                ],
            )
    stamp = datetime(2024, 1, 1)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(  # type: ignore[attr-defined]
            "COPY photo_metadata (photo_id, image_key, album_key, album_name, sport_type, "
            "updated_at) FROM STDIN"
        ) as copy:
            for i in range(albums):
                key, name = album_key(i), current_name(i, photos)
                for n in range(photos):
                    copy.write_row(
                        (uuid.uuid4(), generated_image_key(i + 1, n), key, name, "soccer", stamp)
                    )
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def row_counters(engine: sa.Engine) -> dict[str, tuple[int, int, int]]:
    """(inserted, updated, deleted) per table of the scratch database, as PostgreSQL counts."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(
            sa.text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables")
        ).all()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


@dataclass
class Run:
    size: int
    photos_per_album: int
    profile: str
    which: str  # a key of RUNS
    exit_code: int = 0
    seconds: float = 0.0
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    rate_limited_429: int = 0
    floor_seconds_at_5_rps: float = 0.0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    rows_by_table: dict[str, list[int]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    summary: str = ""

    @property
    def rows_written(self) -> int:
        return self.rows_inserted + self.rows_updated + self.rows_deleted


def classify(emu: RunningEmulator) -> tuple[Counter[str], int]:
    kinds: Counter[str] = Counter()
    limited = 0
    for r in emu.requests:
        if r.status == 429:
            limited += 1
        if r.method == "PATCH":
            kinds["patch"] += 1
            continue
        kinds[next((name for name, rx in _KINDS if rx.match(r.path)), "other")] += 1
    return kinds, limited


# Linux keeps a process's peak RSS across exec, so a child forked from this bench (which
# holds the emulator's whole account: ~270 MB at 100,000 albums) reports the bench's size as
# its own peak. The CLI is therefore started by a small Python process, and the peak
# reported is that of the launcher's child: the CLI alone.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
try:
    _, status, usage = os.wait4(proc.pid, 0)
except BaseException:
    proc.kill()
    raise
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_cli(env: dict[str, str], log_path: Path) -> tuple[int, float, float, str]:
    """``albumsync sync --all --apply``: (exit code, seconds, peak RSS MB, last lines)."""
    command = [str(ROOT / ".venv" / "bin" / "albumsync"), "sync", "--all", "--apply"]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "albumsync_dagster.cli", "sync", "--all", "--apply"]
    result = log_path.with_suffix(".peak")
    started = time.perf_counter()
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(result), *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            proc.wait()
        except BaseException:
            proc.kill()
            raise
    seconds = time.perf_counter() - started
    code, peak_kb = (int(x) for x in result.read_text().split())
    text = log_path.read_text(errors="replace").strip().splitlines()
    tail = " | ".join(line.strip() for line in text[-2:])[:400]
    return code, seconds, peak_kb / 1024, tail


# The runs, in order: the first; the next with nothing changed, right after it (the sorted
# listing, which reads again what changed within the hour before the first run's listing
# began: its own renames); the next day's daily run with nothing changed (a full listing of
# the account, as the schedule takes once a day; the emulator's clock moved a day on); and a
# run after that one (the sorted listing: what each change-sensor tick and any run within the
# day cost).
RUNS: dict[str, dict[str, str]] = {
    "first": {},
    "no-change": {},
    "no-change-full": {"ALBUMSYNC_FULL_LISTING_HOURS": "0"},
    "next-day": {},
}
A_DAY_LATER = "no-change-full"  # the emulator's clock is a day ahead from this run on


def measure(server_url: str, size: int, photos: int, profile: str, workdir: Path) -> list[Run]:
    started = time.perf_counter()
    store = build_store(size, photos)
    built = time.perf_counter() - started
    with scratch_database(server_url, "albumsync_scale") as (scratch_url, engine):
        # The CLI is given the plain postgresql:// form (the one Supabase shows).
        url = sa.engine.make_url(scratch_url).set(drivername="postgresql")
        url = url.render_as_string(hide_password=False)
        load_database(engine, size, photos)
        loaded = time.perf_counter() - started - built
        print(
            f"  {size:,} albums: account built in {built:.1f} s, "
            f"{size * photos:,} rows loaded in {loaded:.1f} s",
            flush=True,
        )
        with run_emulator(store) as emu:
            env = {
                **os.environ,
                **emu.env(),
                "ALBUMSYNC_DATABASE_URL": url,
                "ALBUMSYNC_TIMEZONE": TZ,
                "ALBUMSYNC_HOME": str(workdir / "home"),
                "SMUGMUG_REQUESTS_PER_SECOND": "0",
                "ALBUMSYNC_MAX_RENAMES_PER_DAY": str(size),  # every rename, none deferred
                "COLUMNS": "200",
            }
            runs = []
            for which in RUNS:
                # 150ms: every run slow. 150ms-daily: the first run at once (at 5/s it would
                # take hours at 100,000 albums), the daily runs after it slow.
                if profile == "150ms" or (profile == "150ms-daily" and which != "first"):
                    emu.faults.set_latency(SLOW_LATENCY_MS)
                    emu.faults.set_rate_limit(SLOW_RATE, per_seconds=1.0, aligned=True)
                    env["SMUGMUG_REQUESTS_PER_SECOND"] = str(SLOW_RATE)
                if which == A_DAY_LATER:
                    emu.store.clock = lambda: (
                        datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
                    )
                emu.log.clear()
                before = row_counters(engine)
                run_env = {**env, **RUNS[which]}
                code, seconds, rss, tail = run_cli(
                    run_env, workdir / f"{size}-{profile}-{which}.log"
                )
                after = row_counters(engine)
                kinds, limited = classify(emu)
                if which == "first" and not kinds and code == 0:
                    code, tail = 1, f"the first run made no SmugMug request: {tail}"
                deltas = {
                    t: [after[t][k] - before.get(t, (0, 0, 0))[k] for k in range(3)] for t in after
                }
                deltas = {t: d for t, d in deltas.items() if any(d)}
                run = Run(
                    size=size,
                    photos_per_album=photos,
                    profile=profile,
                    which=which,
                    exit_code=code,
                    seconds=round(seconds, 2),
                    requests=sum(kinds.values()),
                    by_kind=dict(kinds),
                    rate_limited_429=limited,
                    floor_seconds_at_5_rps=round(sum(kinds.values()) / SLOW_RATE, 1),
                    rows_inserted=sum(d[0] for d in deltas.values()),
                    rows_updated=sum(d[1] for d in deltas.values()),
                    rows_deleted=sum(d[2] for d in deltas.values()),
                    rows_by_table=deltas,
                    peak_rss_mb=round(rss, 1),
                    summary=tail,
                )
                print(
                    f"    {profile:>5} {which:<9} exit {code}  {seconds:8.1f} s  "
                    f"{run.requests:7,} requests {dict(kinds)}  429s {limited}  "
                    f"rows +{run.rows_inserted:,} ~{run.rows_updated:,} -{run.rows_deleted:,}  "
                    f"peak {rss:,.0f} MB",
                    flush=True,
                )
                runs.append(run)
                if code != 0:
                    print(f"      failed: {tail}", flush=True)
                    break
    return runs


def plot(runs: list[Run], path: Path) -> bool:
    """Requests and wall time against albums (log-log) and the CLI's peak RSS (log-linear),
    one line per profile and run."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot written")
        return False
    fig, (left, right, memory) = plt.subplots(1, 3, figsize=(15, 4.4))
    series: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        if run.exit_code == 0:
            # A 150ms-daily first run ran at once: it belongs with the 0ms first runs.
            pace = run.profile.removesuffix("-daily")
            if run.profile == "150ms-daily" and run.which == "first":
                pace = "0ms"
            series.setdefault((pace, run.which), []).append(run)
    for (profile, which), points in sorted(series.items()):
        points.sort(key=lambda r: r.size)
        style = "-o" if which == "first" else "--s"
        label = f"{which} run, {profile}"
        sizes = [r.size for r in points]
        left.plot(sizes, [max(r.requests, 1) for r in points], style, label=label)
        right.plot(sizes, [r.seconds for r in points], style, label=label)
        memory.plot(sizes, [r.peak_rss_mb for r in points], style, label=label)
    floors = sorted(
        {(r.size, r.floor_seconds_at_5_rps) for r in runs if r.which == "first" and not r.exit_code}
    )
    if floors:
        right.plot(
            [s for s, _ in floors],
            [f for _, f in floors],
            ":",
            color="grey",
            label="first run's requests at 5/s",
        )
    for ax, title in ((left, "SmugMug requests"), (right, "wall time (s)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"albums ({runs[0].photos_per_album} photos each)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="center left", framealpha=0.8)
    memory.set_xscale("log")
    memory.set_ylim(bottom=0)
    memory.set_xlabel(f"albums ({runs[0].photos_per_album} photos each)")
    memory.set_title("the CLI's peak RSS (MB)")
    memory.grid(True, which="both", alpha=0.3)
    memory.legend(fontsize=7, loc="lower right", framealpha=0.8)
    fig.suptitle("albumsync sync --all --apply: first run and no-change daily run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="album counts (a,b,c)")
    parser.add_argument("--photos-per-album", type=int, default=100)
    parser.add_argument("--profiles", default="0ms,150ms", help="0ms, 150ms, 150ms-daily")
    parser.add_argument("--slow-max-albums", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "scale_results.json"))
    parser.add_argument("--plot", default=str(ROOT / "bench" / "scale.png"))
    parser.add_argument("--merge", action="store_true", help="add to --out's runs, not replace")
    args = parser.parse_args()
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("ALBUMSYNC_DATABASE_URL")
    if not server:
        print("set TEST_DATABASE_URL (or ALBUMSYNC_DATABASE_URL) to a PostgreSQL server")
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    out = Path(args.out)
    runs: list[Run] = []
    if args.merge and out.exists():
        runs = [Run(**r) for r in json.loads(out.read_text())["runs"]]
    print(
        f"sizes {sizes}, {args.photos_per_album} photos per album, profiles {profiles}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="albumsync-scale-") as tmp:
        for size in sizes:
            for profile in profiles:
                if profile == "150ms" and size > args.slow_max_albums:
                    print(f"  {size:,} albums at {profile}: skipped (--slow-max-albums)")
                    continue
                new = measure(server, size, args.photos_per_album, profile, Path(tmp))
                runs = [r for r in runs if (r.size, r.profile) != (size, profile)] + new
                out.write_text(
                    json.dumps(
                        {
                            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                            "cpus": os.cpu_count(),
                            "runs": [asdict(r) for r in runs],
                        },
                        indent=1,
                    )
                    + "\n"
                )
    if plot(runs, Path(args.plot)):
        print(f"plot: {args.plot}")
    print(f"figures: {out}")
    return 0 if all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
