"""``albumsync demo``: the whole pipeline once through Dagster, on local defaults.

An embedded PostgreSQL, the SmugMug emulator serving the generated demo account, the demo's
photo and enrichment rows; then, through Dagster: the catalog, ``album_sync_job`` over every
album in batches, ``sync_health_job``; then the verify report and what changed.

State persists under ``.albumsync/`` (``ALBUMSYNC_HOME``): the emulator's account in
``demo/smugmug.json`` (so SmugMug keeps the names the demo set) and the Dagster instance in
``dagster_home`` (``make ui`` shows the demo's runs). A second run therefore renames nothing.
The demo never touches ``ALBUMSYNC_DATABASE_URL``: it always works on its own database.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine

from albumsync_dagster.album_report import PhotoRowCounts, build_album_report, photo_row_counts
from albumsync_dagster.db import albumsync_home, create_engine, start_embedded_postgres
from albumsync_dagster.emulator import EmulatorStore
from albumsync_dagster.emulator.demo_account import DemoAccount, build_demo
from albumsync_dagster.migrations import migrate
from albumsync_dagster.name_changes import SmugMugRenamed, Status, changes_since
from albumsync_dagster.settings import Settings
from albumsync_dagster.sync_summary import (
    SummaryPrinter,
    SummaryTally,
    SyncedAlbum,
    print_sync_summary,
)
from albumsync_dagster.verify_report import VerifyReport

if TYPE_CHECKING:
    import dagster as dg

    from albumsync_dagster.dagster_layer.local_runs import CodeLocationRuns

# Tables the pipeline writes: emptied when the demo starts from a fresh SmugMug account, so
# no audit row or lock from an earlier demo speaks about names this account never had.
PIPELINE_TABLES = (
    "album_name_changes",
    "canonical_name_history",
    "album_locks",
    "smugmug_albums",
    "smugmug_images",
    "album_leases",
    "album_decisions",
)
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DemoPaths:
    """Where the local demo keeps its state."""

    home: Path

    @property
    def smugmug_file(self) -> Path:
        return self.home / "demo" / "smugmug.json"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"


@dataclass(frozen=True)
class Rename:
    album_key: str
    old_name: str | None
    new_name: str | None
    rows_updated: int


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    severity: str  # ERROR or WARN
    description: str


@dataclass
class DemoSummary:
    """What the demo did and found.

    ``ok``: every run succeeded, no ERROR check failed and every album is in sync. WARN
    checks may fail: the demo data has rows without album key and an orphan on purpose.
    """

    albums: int = 0
    batches: int = 0
    failed_runs: list[str] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    rows_updated: int = 0
    checks: dict[str, CheckOutcome] = field(default_factory=dict)
    report: VerifyReport | None = None
    rows: PhotoRowCounts | None = None
    groups: dict[str, int] = field(default_factory=dict)  # renamed, kept, failed, ... -> albums
    fresh_account: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.failed_runs
            and all(c.passed for c in self.checks.values() if c.severity == "ERROR")
            and self.report is not None
            and self.report.all_synced
        )


def demo_store(paths: DemoPaths, demo: DemoAccount, *, reset: bool) -> tuple[EmulatorStore, bool]:
    """The account as the last demo left it, or fresh from the generator: (store, fresh)."""
    if paths.smugmug_file.exists() and not reset:
        return EmulatorStore.from_file(paths.smugmug_file), False
    return demo.store(), True


def save_store(paths: DemoPaths, store: EmulatorStore) -> None:
    paths.smugmug_file.parent.mkdir(parents=True, exist_ok=True)
    partial = paths.smugmug_file.with_suffix(".json.partial")
    store.to_file(partial)
    partial.replace(paths.smugmug_file)  # never leave a half-written account behind


def prepare_database(engine: Engine, demo: DemoAccount, *, fresh_account: bool) -> bool:
    """Migrate; load the demo rows for a fresh account or an empty table. True if loaded."""
    from albumsync_dagster.demo_rows import load_demo_rows

    migrate(engine)
    with engine.connect() as conn:
        has_rows = conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM photo_metadata)")).scalar()
    if not fresh_account and has_rows:
        return False
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(PIPELINE_TABLES)} RESTART IDENTITY"))
    load_demo_rows(engine, demo)
    return True


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, restoring the previous values after.

    Also what ``bench/pipeline.py`` runs its paths in.
    """
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pipeline_env(emulator_env: Mapping[str, str], database_url: str, demo: DemoAccount) -> dict:
    """The code location's settings for the demo, as variables (``albumsync ui``'s process):
    the emulator, its database, its timezone."""
    return {
        **emulator_env,
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": demo.timezone,
        # The emulator is local: no reason to pace requests as for the real SmugMug.
        "SMUGMUG_REQUESTS_PER_SECOND": "0",
        # The demo's database has no copies of the names but the photo rows.
        "ALBUMSYNC_NAME_COPIES": "",
        "ALBUMSYNC_REFRESH_VIEWS": "",
    }


def install_instance_config(dagster_home: Path) -> None:
    """Put the repository's ``dagster.yaml`` (telemetry off, run limits) in DAGSTER_HOME.

    Outside a checkout (an installed package) Dagster's defaults apply.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = REPO_ROOT / "dagster.yaml"
    if config.is_file():
        shutil.copyfile(config, dagster_home / "dagster.yaml")


class _InfoAndAbove(io.TextIOBase):
    """Dagster's console output as a log file, without its DEBUG lines (one per event)."""

    def __init__(self, target: IO[str]) -> None:
        self.target = target
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if " - DEBUG - " not in line:
                self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


@contextmanager
def dagster_output_to(log_file: Path) -> Iterator[None]:
    """Dagster's console logs and warnings go to ``log_file`` (INFO and above), not the
    terminal: the demo prints its own report, and the UI shows every run's logs."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as out:
        stream = _InfoAndAbove(out)
        with redirect_stderr(stream):  # start-up warnings (Beta, platformdirs) too
            try:
                yield
            finally:
                stream.write("\n")


def run_demo(
    *,
    home: Path | None = None,
    database_url: str | None = None,
    seed: int = 0,
    reset: bool = False,
    console: Console | None = None,
    verbose: bool = False,
) -> DemoSummary:
    """Run the demo; returns what happened (``summary.ok`` for the exit status).

    ``database_url``: a database for the demo (tests); default the embedded PostgreSQL.
    ``reset``: start again from the generated account, forgetting earlier demo runs.
    ``verbose``: album keys, each run, each check's details.
    """
    from albumsync_dagster.emulator import run_emulator

    console = console or Console(highlight=False)
    started = time.monotonic()
    paths = DemoPaths((home or albumsync_home()).resolve())
    summary = DemoSummary()

    console.print("[bold]albumsync demo[/bold]")
    if os.environ.get("ALBUMSYNC_DATABASE_URL"):
        console.print("  (ALBUMSYNC_DATABASE_URL is ignored: the demo uses a database of its own)")
    url = database_url or start_embedded_postgres(paths.home / "pgdata")
    engine = create_engine(url)
    try:
        demo = build_demo(seed)
        store, summary.fresh_account = demo_store(paths, demo, reset=reset)
        if summary.fresh_account and paths.dagster_home.exists():
            shutil.rmtree(paths.dagster_home)  # runs of an account that no longer exists
        loaded = prepare_database(engine, demo, fresh_account=summary.fresh_account)
        console.print(
            f"  SmugMug emulator: demo account {demo.data['nickname']!r}, "
            f"{len(store.albums)} albums "
            + ("(fresh)" if summary.fresh_account else "(as the last demo left it)")
        )
        console.print(
            "  Photo rows: "
            + (f"{len(demo.photo_rows):,} demo rows loaded" if loaded else "kept from last run")
        )
        with engine.connect() as conn:
            since = conn.execute(sa.text("SELECT now()")).scalar_one()
        try:
            with (
                run_emulator(store, port=0) as emulator,
                environment(pipeline_env(emulator.env(), url, demo)),
            ):
                _run_pipeline(paths, summary, console, verbose=verbose)
        finally:
            save_store(paths, store)
        _report(engine, since, summary, console, verbose=verbose)
    finally:
        engine.dispose()
    summary.seconds = time.monotonic() - started
    console.print(
        f"\n[bold]{'Done' if summary.ok else 'Finished with errors'}[/bold] in "
        f"{summary.seconds:.1f} s. Run `make ui` to see the runs, assets and checks at "
        "http://localhost:3000 (album_sync_report lists every album).",
        soft_wrap=True,
    )
    return summary


def _run_pipeline(
    paths: DemoPaths, summary: DemoSummary, console: Console, *, verbose: bool
) -> None:
    """Catalog, every album in batches, then sync health and the report: all as ordinary runs
    of the code location (the UI lists and re-executes them like its own)."""
    install_instance_config(paths.dagster_home)
    log_file = paths.home / "demo" / "dagster.log"
    with dagster_output_to(log_file):
        import dagster as dg
        from dagster._core.instance.ref import InstanceRef

        from albumsync_dagster.dagster_layer.local_runs import code_location_runs

        with (
            dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(paths.dagster_home))) as instance,
            code_location_runs(instance) as runs,
        ):
            _runs(runs, instance, paths, summary, console, log_file, verbose=verbose)


def _runs(
    runs: CodeLocationRuns,
    instance: dg.DagsterInstance,
    paths: DemoPaths,
    summary: DemoSummary,
    console: Console,
    log_file: Path,
    *,
    verbose: bool,
) -> None:
    """The demo's runs, reported as they finish (keys and ranges only when ``verbose``)."""
    import dagster as dg
    from rich.progress import Progress

    from albumsync_dagster.dagster_layer.jobs import album_sync_run
    from albumsync_dagster.dagster_layer.local_runs import ASSET_JOB
    from albumsync_dagster.dagster_layer.partitions import ALBUMS, all_album_batches

    catalog = runs.run(ASSET_JOB, asset_selection=[dg.AssetKey("smugmug_album_catalog")])
    if not catalog.success:
        summary.failed_runs.append(f"catalog ({catalog.run_id})")
        console.print(f"[red]  the SmugMug catalog run failed; see {log_file}[/red]")
        return
    added = _metadata(catalog, "smugmug_album_catalog", "partitions_added", 0)
    batch_size = Settings.from_env().batch_size
    batches = all_album_batches(instance, batch_size)
    partition_keys = list(instance.get_dynamic_partitions(ALBUMS))
    summary.albums = sum(len(b) for b in batches)
    summary.batches = len(batches)
    console.print(
        f"\n[bold]Dagster[/bold] (instance in {paths.dagster_home}; its logs in {log_file})\n"
        f"  smugmug_album_catalog: {summary.albums} albums, {added} new",
        soft_wrap=True,
    )
    checks_failed = 0
    with Progress(console=console, transient=True, disable=verbose) as progress:
        task = progress.add_task("album_sync_job", total=len(batches))
        for number, batch in enumerate(batches, start=1):
            run_config, tags = album_sync_run(partition_keys, batch)
            result = runs.run("album_sync_job", run_config=run_config, tags=tags)
            progress.advance(task)
            label = f"{batch[0]}..{batch[-1]}"
            if not result.success:
                summary.failed_runs.append(f"album_sync_job {label} ({result.run_id})")
            check = _checks(result).get("album_names_in_sync")
            summary.checks[f"album_names_in_sync {label}"] = check or CheckOutcome(
                False, "ERROR", "did not run"
            )
            checks_failed += not (check and check.passed)
            if verbose:
                renamed = _albums_with(result, "smugmug_album_name", "action", "renamed")
                console.print(
                    f"  run {number:>3}/{len(batches)}  {label}  {renamed} renamed  check "
                    + ("passed" if check and check.passed else "[red]failed[/red]")
                    + ("" if result.success else "  [red]run failed[/red]")
                )
    failed_runs = sum(1 for f in summary.failed_runs if f.startswith("album_sync_job"))
    console.print(
        f"  album_sync_job: {summary.albums} albums in {len(batches)} runs of up to "
        f"{batch_size}: "
        + ("every run succeeded" if not failed_runs else f"[red]{failed_runs} run(s) failed[/red]")
        + (
            ", every album's rows checked in sync"
            if not checks_failed
            else f", [red]the rows check failed in {checks_failed} run(s)[/red]"
        ),
        soft_wrap=True,
    )
    health = runs.run("sync_health_job")
    if not health.success:
        summary.failed_runs.append(f"sync_health_job ({health.run_id})")
    outcomes = _checks(health)
    passed = sum(o.passed for o in outcomes.values())
    console.print(f"  sync_health_job: {passed} of {len(outcomes)} checks passed")
    for name, outcome in outcomes.items():
        summary.checks[name] = outcome
        if outcome.passed and not verbose:
            continue
        mark = (
            "[green]✓[/green]"
            if outcome.passed
            else ("[red]✗[/red]" if outcome.severity == "ERROR" else "[yellow]![/yellow]")
        )
        said = outcome.description if verbose else _without_keys(outcome.description)
        console.print(f"    {mark} {name}: {escape(said)}", soft_wrap=True)
        if name == "photos_without_album_key_within_limit" and not outcome.passed:
            console.print("      (`albumsync backfill-album-keys` fills them from SmugMug)")
    needing = _metadata(health, "album_sync_report", "albums_needing_a_person", -1)
    if needing >= 0:
        console.print(
            f"  album_sync_report: every album in one table, {needing} needing a person "
            "first (in the UI: Assets, album_sync_report)",
            soft_wrap=True,
        )


_KEY_LIST = re.compile(r": [\w-]+(?:, [\w-]+)*(?: … and \d+ more)?$")


def _without_keys(description: str) -> str:
    """A check's description without the album keys it lists (``--verbose`` keeps them)."""
    return _KEY_LIST.sub("", description)


def _metadata_values(result, asset: str, key: str) -> list[object]:
    """The ``key`` metadata of every materialization of ``asset`` in the run, in order."""
    return [
        getattr(event.materialization.metadata.get(key), "value", None)
        for event in result.get_asset_materialization_events()
        if event.asset_key.to_user_string() == asset
    ]


def _metadata(result, asset: str, key: str, default: int) -> int:
    values = _metadata_values(result, asset, key)
    return int(values[0]) if values and isinstance(values[0], int) else default


def _albums_with(result, asset: str, key: str, value: object) -> int:
    """How many albums of the run materialized ``asset`` with ``key`` set to ``value``."""
    return _metadata_values(result, asset, key).count(value)


def _checks(result) -> dict[str, CheckOutcome]:
    return {
        e.check_name: CheckOutcome(e.passed, e.severity.value, e.description or "")
        for e in result.get_asset_check_evaluations()
    }


def synced_albums(engine: Engine, since: datetime) -> list[SyncedAlbum]:
    """Every album of the account as this demo left it: its latest decision when a run of
    the demo made it, else a failure (no run of this demo got to it)."""
    settings = Settings.from_env()
    report = build_album_report(
        engine, threshold=settings.drift_threshold, max_renames_per_day=settings.max_renames_per_day
    )
    albums = []
    for row in report.every_row:
        decided = row.decided_at is not None and row.decided_at >= since
        renamed_now = row.last_renamed_at is not None and row.last_renamed_at >= since
        albums.append(
            SyncedAlbum(
                album_key=row.album_key,
                action=row.action if decided else "failed",
                reason=row.reason if decided else "no run of this demo got to it",
                name_before=row.last_renamed_from if renamed_now else row.smugmug_name,
                name_now=row.smugmug_name,
                canonical_name=row.canonical_name,
                drift_score=row.drift_score,
                failed=row.attention == "failed",
            )
        )
    return albums


def _report(
    engine: Engine, since: datetime, summary: DemoSummary, console: Console, *, verbose: bool
) -> None:
    """What happened to the albums (renamed, kept and why, what needs a person), then how the
    photo rows stand; counts that add up."""
    from albumsync_dagster.verify_report import build_verify_report, print_verify_report

    changes = sorted(
        changes_since(engine, since, statuses=[Status.COMPLETED]),
        key=lambda c: (c.album_key, c.id),
    )
    summary.renames = [
        Rename(c.album_key, c.old_name, c.new_name, c.rows_updated or 0)
        for c in changes
        if c.smugmug_renamed == SmugMugRenamed.YES
    ]
    summary.rows_updated = sum(c.rows_updated or 0 for c in changes)
    summary.report = build_verify_report(engine)
    summary.rows = photo_row_counts(engine)
    if verbose:
        console.print()
        print_verify_report(console, summary.report, verbose=True)
    threshold = Settings.from_env().drift_threshold
    summary.groups = print_sync_summary(
        console, SummaryTally.of(synced_albums(engine, since), verbose=verbose), threshold=threshold
    )
    print_photo_rows(console, summary.rows, rows_updated=summary.rows_updated)


def print_photo_rows(console: Console, rows: PhotoRowCounts, *, rows_updated: int) -> None:
    """The photo rows against SmugMug: parts that add up to the table's rows."""
    out = SummaryPrinter(console)
    out.heading(f"Photo rows ({rows.total:,} in photo_metadata)")
    out.line(
        f"  {rows.of_albums_on_smugmug:,} belong to {rows.albums_with_rows} of the "
        f"{rows.albums_on_smugmug} albums on SmugMug"
    )
    if rows.of_other_album_keys:
        out.line(
            f"  {rows.of_other_album_keys:,} carry {rows.other_album_keys} album key(s) SmugMug"
            " does not have (no_orphan_album_keys)"
        )
    if rows.without_album_key:
        out.line(
            f"  {rows.without_album_key:,} have no album key (`albumsync backfill-album-keys`"
            " fills them from SmugMug)"
        )
    out.line(f"  {rows_updated:,} brought to SmugMug's names by this run")
    if rows.disagreeing:
        out.line(
            f"  {rows.disagreeing:,} rows of albums on SmugMug do not carry SmugMug's name"
            " (`albumsync verify` lists them)"
        )
    else:
        out.line(
            f"  all {rows.of_albums_on_smugmug:,} rows of albums on SmugMug carry SmugMug's name"
        )
