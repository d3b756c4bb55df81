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

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine

from albumsync_dagster.db import albumsync_home, create_engine, start_embedded_postgres
from albumsync_dagster.emulator import EmulatorStore
from albumsync_dagster.emulator.demo_account import DemoAccount, build_demo
from albumsync_dagster.migrations import migrate
from albumsync_dagster.name_changes import SmugMugRenamed, Status, changes_since
from albumsync_dagster.verify_report import VerifyReport

# Tables the pipeline writes: emptied when the demo starts from a fresh SmugMug account, so
# no audit row or lock from an earlier demo speaks about names this account never had.
PIPELINE_TABLES = (
    "album_name_changes",
    "canonical_name_history",
    "album_locks",
    "smugmug_albums",
    "smugmug_images",
)
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


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
    """Set environment variables for the block, restoring the previous values after."""
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
    """The code location's settings for the demo: the emulator, its database, its timezone."""
    return {
        **emulator_env,
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": demo.timezone,
        # The emulator is local: no reason to pace requests as for the real SmugMug.
        "SMUGMUG_REQUESTS_PER_SECOND": "0",
    }


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
            + ("(fresh)" if summary.fresh_account else f"(as left in {paths.smugmug_file})")
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
                _run_pipeline(paths, summary, console)
        finally:
            save_store(paths, store)
        _report(engine, since, summary, console, verbose=verbose)
    finally:
        engine.dispose()
    summary.seconds = time.monotonic() - started
    console.print(
        f"\n[bold]{'Done' if summary.ok else 'Finished with errors'}[/bold] in "
        f"{summary.seconds:.1f} s. Run `make ui` to see the runs, assets and checks at "
        "http://localhost:3000."
    )
    return summary


def _run_pipeline(paths: DemoPaths, summary: DemoSummary, console: Console) -> None:
    """Catalog, every album in batches, then sync health: all as Dagster runs."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
    from albumsync_dagster.dagster_layer.partitions import all_album_batches
    from albumsync_dagster.definitions import defs
    from albumsync_dagster.settings import Settings

    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(paths.dagster_home))) as instance:
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("smugmug_album_catalog")],
            run_config=QUIET_LOGS,
            raise_on_error=False,
        )
        if not catalog.success:
            summary.failed_runs.append(f"catalog ({catalog.run_id})")
            console.print("[red]  the SmugMug catalog run failed; see the run's logs[/red]")
            return
        added = _metadata(catalog, "smugmug_album_catalog", "partitions_added", 0)
        batch_size = Settings.from_env().batch_size
        batches = all_album_batches(instance, batch_size)
        summary.albums = sum(len(b) for b in batches)
        summary.batches = len(batches)
        console.print(
            f"\n[bold]Dagster[/bold] (instance in {paths.dagster_home})\n"
            f"  smugmug_album_catalog: {summary.albums} albums, {added} new partitions\n"
            f"  album_sync_job: {summary.albums} albums in {len(batches)} runs of up to "
            f"{batch_size} (ALBUMSYNC_BATCH_SIZE)"
        )
        for number, batch in enumerate(batches, start=1):
            (result,) = execute_album_sync_batches(defs, instance, [batch], log_level="WARNING")
            renamed = _albums_with(result, "smugmug_album_name", "action", "renamed")
            label = f"{batch[0]}..{batch[-1]}"
            if not result.success:
                summary.failed_runs.append(f"album_sync_job {label} ({result.run_id})")
            checks = _checks(result)
            check = checks.get("album_names_in_sync")
            summary.checks[f"album_names_in_sync {label}"] = check or CheckOutcome(
                False, "ERROR", "did not run"
            )
            console.print(
                f"  run {number:>3}/{len(batches)}  {label}  {renamed} renamed  check "
                + ("[green]passed[/green]" if check and check.passed else "[red]failed[/red]")
                + ("" if result.success else "  [red]run failed[/red]")
            )
        health = defs.resolve_job_def("sync_health_job").execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False
        )
        if not health.success:
            summary.failed_runs.append(f"sync_health_job ({health.run_id})")
        console.print("  sync_health_job:")
        for name, outcome in _checks(health).items():
            summary.checks[name] = outcome
            mark = (
                "[green]✓[/green]"
                if outcome.passed
                else ("[red]✗[/red]" if outcome.severity == "ERROR" else "[yellow]![/yellow]")
            )
            console.print(f"    {mark} {name}: {escape(outcome.description)}")
            if name == "photos_without_album_key_within_limit" and not outcome.passed:
                console.print("      (`albumsync backfill-album-keys` fills them from SmugMug)")


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


def _report(
    engine: Engine, since, summary: DemoSummary, console: Console, *, verbose: bool
) -> None:
    """The seed's verify report, then the renames and row writes of this demo run."""
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

    console.print()
    print_verify_report(console, summary.report, verbose=verbose)
    console.print()
    console.print("[bold]What changed[/bold]")
    if not summary.renames:
        console.print("  No album renamed on SmugMug: every name was already right.")
    for rename in summary.renames:
        console.print(
            f"  {escape(rename.album_key)}: {escape(repr(rename.old_name))} -> "
            f"{escape(repr(rename.new_name))}  ({rename.rows_updated:,} rows)"
        )
    console.print(
        f"  {len(summary.renames)} album(s) renamed on SmugMug; "
        f"{summary.rows_updated:,} photo row(s) brought to SmugMug's names."
    )
