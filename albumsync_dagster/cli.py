"""``albumsync``: the same operations as the Dagster code location, at a terminal.

Every command takes ``--json`` and exits non-zero on failure (``verify``: when anything is
out of sync). Exit codes: 0 fine, 1 out of sync or some albums failed, 2 could not run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import psycopg.errors
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync
from albumsync_dagster.connection_loss import database_failure
from albumsync_dagster.db import DatabaseUnavailable, create_engine
from albumsync_dagster.migrations import MigrationError, check_migrated, migrate
from albumsync_dagster.privileges import (
    PrivilegeMissing,
    check_privileges,
    explain_privilege_error,
    is_privilege_error,
)
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug.errors import SmugMugError

app = typer.Typer(
    help="Keep SmugMug album names and the photo_metadata table in agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class CommandFailed(Exception):
    """Ends a command with a one-line message and exit code 2."""


def emit_json(payload: Any) -> None:
    """Print ``payload`` (dataclasses included) as JSON on stdout."""

    def default(obj: Any) -> Any:
        if is_dataclass(obj) and not isinstance(obj, type):
            return asdict(obj)
        return str(obj)

    sys.stdout.write(json.dumps(payload, default=default, indent=2, ensure_ascii=False) + "\n")


# The command's database, kept so a refusal met deep inside can be explained on it.
_databases: list[Engine] = []


def open_database(url: str | None = None, *, writes: bool = True, ready: bool = True) -> Engine:
    """The command's engine, once the database is migrated and the role has every privilege
    the command needs (``writes=False``: reading only); otherwise one line, exit code 2.
    ``ready=False`` (migrate) skips both checks."""
    engine = create_engine(url)
    _databases.append(engine)
    if ready:
        with engine.connect() as conn:
            check_migrated(conn)
            check_privileges(conn, writes=writes)
    return engine


def _explained(exc: sa.exc.DBAPIError) -> str | None:
    """One line for a database refusal a person fixes outside the project, or None."""
    if is_privilege_error(exc):
        if not _databases:
            return str(explain_privilege_error(exc, None))
        try:
            with _databases[-1].connect() as conn:
                return str(explain_privilege_error(exc, conn))
        except sa.exc.DBAPIError:
            return str(explain_privilege_error(exc, None))
    if isinstance(exc.orig, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        reason = str(exc.orig).strip().splitlines()[0]
        return f"the database lacks what this command needs ({reason}): run `albumsync migrate`"
    return None


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the errors a person can act on into one line on stderr and exit code 2."""
    try:
        yield
    except (
        DatabaseUnavailable,
        MigrationError,
        PrivilegeMissing,
        CommandFailed,
        SmugMugError,
        ValueError,
    ) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except sa.exc.SQLAlchemyError as exc:
        # Never str(exc): SQLAlchemy's text carries the statement and every parameter.
        # A refusal a person fixes outside the project (a grant, a migration) says how.
        line = _explained(exc) if isinstance(exc, sa.exc.DBAPIError) else None
        err_console.print(f"[red]error:[/red] {escape(line or database_failure(exc))}")
        raise typer.Exit(2) from None


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``func`` as a command whose known errors end with a clear line."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with clear_errors():
            return func(*args, **kwargs)

    return app.command(name=func.__name__.replace("_cmd", "").replace("_", "-"))(wrapper)


def photo_database(settings: Settings | None = None, *, writes: bool = True) -> Engine:
    """The engine of a command that writes or checks names: migrated and privileged (as
    ``open_database``), the name copies and views (ALBUMSYNC_NAME_COPIES,
    ALBUMSYNC_REFRESH_VIEWS) checked and attached."""
    from albumsync_dagster.name_copies import attach, resolve_name_copies

    settings = settings or Settings.from_env()
    engine = open_database(settings.database_url, writes=writes)
    return attach(engine, resolve_name_copies(engine, settings.name_copies, settings.refresh_views))


def smugmug_client(engine: Any) -> Any:
    """A command's SmugMug client (from ``SMUGMUG_*``), its requests taken from the account's
    budget that every process shares in PostgreSQL."""
    from albumsync_dagster.shared_rate_limit import share_rate_limit
    from albumsync_dagster.smugmug import SmugMugClient

    return share_rate_limit(SmugMugClient.from_env(), engine)


@command
def migrate_cmd(as_json: JsonOption = False) -> None:
    """Create or update the schema (idempotent)."""
    report = migrate(open_database(ready=False))
    if as_json:
        emit_json(report)
        return
    for name in report.applied:
        console.print(f"applied  {name}")
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(
        f"{len(report.applied)} migration(s) applied,"
        f" {len(report.already_applied)} already in place"
    )


@command
def stats_cmd(as_json: JsonOption = False) -> None:
    """Counts over photo_metadata."""
    stats = album_sync.get_sync_stats(open_database(writes=False))
    if as_json:
        emit_json(stats)
        return
    console.print("[bold]Sync statistics[/bold]")
    console.print(f"  Albums:                   {stats.total_albums:,}")
    console.print(f"  Photos:                   {stats.total_photos:,}")
    console.print(f"  Photos with album key:    {stats.photos_with_album_key:,}")
    console.print(f"  Photos without album key: {stats.photos_without_album_key:,}")
    console.print(f"  Updated in last 24 h:     {stats.recently_updated:,}")


@command
def verify_cmd(
    album_key: Annotated[
        str | None, typer.Option("--album-key", help="Verify this album only.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every album and name.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Report albums whose photo rows disagree (more than one name, or not SmugMug's)."""
    from albumsync_dagster.verify_report import build_verify_report, print_verify_report

    report = build_verify_report(photo_database(writes=False), album_key=album_key)
    if as_json:
        emit_json(report.as_dict())
    else:
        print_verify_report(console, report, verbose=verbose)
    if not report.all_synced:
        raise typer.Exit(1)


ACTION_STYLE = {
    "renamed": "green",
    "would_rename": "yellow",
    "kept": "dim",
    "no_canonical": "magenta",
    "locked": "cyan",
    "human_renamed": "cyan",
    "changed_since_planned": "yellow",
    "deferred": "blue",
    "unconfirmed": "yellow",
    "failed": "red",
    "gone": "magenta",
}


def _mode(dry_run: bool, apply: bool) -> bool:
    """True for a dry run; exactly one of the two flags is demanded."""
    if dry_run == apply:
        raise CommandFailed("say --dry-run to see what would change, or --apply to change it")
    return dry_run


def _album_line(outcome: Any) -> str:
    style = ACTION_STYLE.get(outcome.action, "white")
    drift = "-" if outcome.drift_score is None else str(outcome.drift_score)
    current = escape(repr(outcome.current_name)) if outcome.current_name is not None else "?"
    canonical = escape(repr(outcome.canonical_name)) if outcome.canonical_name else "(none)"
    line = (
        f"{escape(outcome.album_key)}  {current} -> {canonical}  drift {drift}  "
        f"[{style}]{outcome.action}[/{style}]: {escape(outcome.reason)}"
    )
    if outcome.photo_rows:
        verb = "would change" if outcome.synced is None else "updated"
        line += f"  ({outcome.rows_updated:,} of {outcome.photo_rows:,} rows {verb})"
    elif outcome.rows_updated:
        line += f"  ({outcome.rows_updated:,} rows)"
    else:
        line += "  (no photo rows)"
    if outcome.synced is False and outcome.photo_rows:
        line += "  [red]✗ rows not in sync[/red]"
    return line


@command
def sync_cmd(
    album_key: Annotated[str | None, typer.Option("--album-key", help="One album.")] = None,
    all_albums: Annotated[
        bool, typer.Option("--all", help="Every album where something changed since its last sync.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="With --all: every album, images read again.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Rename and write.")] = False,
    threshold: Annotated[
        int | None, typer.Option("--threshold", min=0, max=100, help="Rename when drift > N.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Every album's line, with album keys.")
    ] = False,
    max_renames_per_day: Annotated[
        int | None,
        typer.Option(
            "--max-renames-per-day",
            min=0,
            help="Renames on SmugMug in any 24 h, all processes together (this run's cap; "
            "default ALBUMSYNC_MAX_RENAMES_PER_DAY). Albums over it are deferred.",
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the rename proposals (key, current and proposed name, drift, parts "
            "that differ, deferred by the budget) to this CSV file for a person to review.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch, name, rename on SmugMug over the threshold, rows follow, verify."""
    from albumsync_dagster.account_sync import AccountSync, sync_account
    from albumsync_dagster.hidden_rows import albums_without_visible_rows
    from albumsync_dagster.proposals import proposals, write_csv
    from albumsync_dagster.rename_budget import PlannedBudget, rename_budget
    from albumsync_dagster.workflow import sync_albums

    is_dry = _mode(dry_run, apply)
    if bool(album_key) == all_albums:
        raise CommandFailed("say --album-key K for one album, or --all")
    if full and not all_albums:
        raise CommandFailed("--full goes with --all")
    settings = Settings.from_env()
    engine = photo_database(settings)
    limit = settings.max_renames_per_day if max_renames_per_day is None else max_renames_per_day
    budget = rename_budget(engine, limit)
    # A dry run hands out what the budget allows now across all its batches.
    planned = PlannedBudget(budget) if is_dry else None
    # What the end of the run reports, taken album by album: every outcome is kept only for
    # --json and --csv, which write them all; otherwise a run holds counts and examples.
    kept_outcomes: list[Any] = []
    tally = RunTally(verbose=verbose)
    listed = chosen = 0
    listing = None
    with (
        smugmug_client(engine) as client,
        SyncProgress(client, enabled=all_albums and not as_json) as progress,
    ):

        def plan_ready(plan: AccountSync) -> None:
            progress.start(len(plan.work))

        def report(outcome: Any) -> None:
            tally.add(outcome)
            if as_json or csv_file is not None:
                kept_outcomes.append(outcome)
            progress.album_done(outcome)
            if not as_json and (verbose or not all_albums):
                console.print(_album_line(outcome))

        common: dict[str, Any] = {
            "settings": settings,
            "dry_run": is_dry,
            "threshold": threshold,
            "source": "cli",
            "changed_by": "albumsync-cli",
            "on_album": report,
            "max_renames_per_day": limit,
            "planned_budget": planned,
        }
        if all_albums:
            run = sync_account(
                engine, client, full=full, on_planned=plan_ready, keep_outcomes=False, **common
            )
            listed, chosen, listing = run.listed, len(run.work), run.listing
        else:
            sync_albums(engine, client, [album_key or ""], **common)
        requests = client.request_count
    # RLS may hide an album's rows, which would pass for "nothing to update".
    hidden = albums_without_visible_rows(engine, tally.without_rows)
    if csv_file is not None:
        written = write_csv(csv_file, proposals(kept_outcomes))
        err_console.print(f"{written} rename proposal(s) written to {escape(str(csv_file))}")
    if as_json:
        emit_json(
            {
                "dry_run": is_dry,
                "albums": kept_outcomes,
                "summary": {
                    "albums": tally.albums,
                    "listing": listing,
                    "listed": listed,
                    "chosen": chosen,
                    "actions": tally.actions,
                    "rows_updated": tally.rows_updated,
                    "photo_rows": tally.photo_rows,
                    "failed": tally.failed,
                    "warnings": [h.warning for h in hidden],
                    "smugmug_requests": requests,
                },
                "rename_budget": {
                    "max_renames_per_day": budget.limit,
                    "used_in_last_24h": budget.used,
                    "allowed_now": budget.left,
                },
            }
        )
    else:
        for h in hidden:
            err_console.print(f"[yellow]warning:[/yellow] {escape(h.warning)}")
        from albumsync_dagster.sync_summary import print_sync_summary

        print_sync_summary(
            console,
            tally.summary,
            threshold=settings.drift_threshold if threshold is None else threshold,
            dry_run=is_dry,
        )
        verb = "would be brought" if is_dry else "brought"
        scope = f"{listing} listing, {listed:,} album(s) listed; " if all_albums else ""
        console.print(
            f"\n{tally.rows_updated:,} of {tally.photo_rows:,} photo row(s) {verb}"
            f" to SmugMug's names; {tally.failed} album(s) failed ({scope}{requests:,} SmugMug"
            " request(s))",
        )
        if is_dry:
            console.print(f"{budget.describe()}")
    if tally.failed:
        raise typer.Exit(1)


class RunTally:
    """What ``sync`` reports at its end, added up album by album as outcomes arrive."""

    def __init__(self, *, verbose: bool) -> None:
        from albumsync_dagster.sync_summary import SummaryTally

        self.summary = SummaryTally(verbose=verbose)
        self.actions: dict[str, int] = {}
        self.failed = 0
        self.rows_updated = 0
        self.photo_rows = 0
        self.without_rows: list[str] = []  # albums no visible row was found for

    @property
    def albums(self) -> int:
        return self.summary.albums

    def add(self, outcome: Any) -> None:
        from albumsync_dagster.sync_summary import SyncedAlbum

        self.actions[outcome.action] = self.actions.get(outcome.action, 0) + 1
        self.failed += bool(outcome.failed)
        self.rows_updated += outcome.rows_updated
        self.photo_rows += outcome.photo_rows
        if not outcome.photo_rows and outcome.error is None:
            self.without_rows.append(outcome.album_key)
        self.summary.add(
            SyncedAlbum(
                album_key=outcome.album_key,
                action=outcome.action,
                reason=outcome.reason,
                name_before=outcome.current_name,
                name_now=outcome.smugmug_name,
                canonical_name=outcome.canonical_name,
                drift_score=outcome.drift_score,
                failed=outcome.failed,
            )
        )


class SyncProgress:
    """The progress bar of ``sync --all``: albums checked, changed and renamed, and the
    SmugMug requests left in the budget (SmugMug's ``X-RateLimit-Remaining``)."""

    def __init__(self, client: Any, *, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._client = client
        self._progress = Progress(
            TextColumn("checked"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn(
                "{task.fields[changed]} changed, {task.fields[renamed]} renamed, "
                "{task.fields[budget]} requests left"
            ),
            console=err_console,
            disable=not enabled,
            transient=True,
        )
        self._task = self._progress.add_task(
            "sync", total=None, changed=0, renamed=0, budget=self._budget()
        )
        self.changed = 0
        self.renamed = 0

    def start(self, total: int) -> None:
        """The albums to check are known (after the listing)."""
        self._progress.update(self._task, total=total, budget=self._budget())

    def _budget(self) -> str:
        left = self._client.rate_limit_remaining
        return "?" if left is None else f"{left:,}"

    def album_done(self, outcome: Any) -> None:
        if outcome.action == "renamed":
            self.renamed += 1
        if outcome.action in ("renamed", "human_renamed", "gone") or outcome.rows_updated:
            self.changed += 1
        self._progress.update(
            self._task,
            advance=0 if outcome.action == "gone" else 1,
            changed=self.changed,
            renamed=self.renamed,
            budget=self._budget(),
        )

    def __enter__(self) -> SyncProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)


@command
def repair_cmd(
    album_key: Annotated[str | None, typer.Option("--album-key")] = None,
    as_json: JsonOption = False,
) -> None:
    """Complete or close renames left pending by a crash or a database failure."""
    from albumsync_dagster.renames import repair_pending

    engine = photo_database()
    with smugmug_client(engine) as client:
        client.get_authuser()  # refused credentials are said even when nothing is pending
        results = repair_pending(engine, client, [album_key] if album_key else None)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            console.print(
                f"change {r.change_id} album {escape(r.album_key)}: {r.status} ({escape(r.detail)})"
            )
        console.print(f"{len(results)} open change(s) handled")
    if any(r.status == "skipped" for r in results):
        raise typer.Exit(1)


@command
def lock_cmd(
    album_key: Annotated[str, typer.Argument(help="The album key.")],
    reason: Annotated[str, typer.Option("--reason")] = "locked by hand",
    as_json: JsonOption = False,
) -> None:
    """Never let the pipeline rename this album."""
    from albumsync_dagster.locks import lock_album

    created = lock_album(open_database(), album_key, reason, "albumsync-cli")
    if as_json:
        emit_json({"album_key": album_key, "locked": True, "was_locked": not created})
    else:
        console.print(
            f"album {escape(album_key)} " + ("locked" if created else "was already locked")
        )


@command
def unlock_cmd(
    album_key: Annotated[str, typer.Argument(help="The album key.")],
    as_json: JsonOption = False,
) -> None:
    """Let the pipeline rename this album again."""
    from albumsync_dagster.locks import unlock_album

    removed = unlock_album(open_database(), album_key)
    if as_json:
        emit_json({"album_key": album_key, "locked": False, "was_locked": removed})
    else:
        console.print(f"album {escape(album_key)} " + ("unlocked" if removed else "was not locked"))


@command
def rollback_cmd(
    since: Annotated[str, typer.Option("--since", help="Window: 30m, 2h, 1d, 1w.")],
    album_key: Annotated[str | None, typer.Option("--album-key")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    apply: Annotated[bool, typer.Option("--apply")] = False,
    as_json: JsonOption = False,
) -> None:
    """Restore SmugMug's names from before the window; the rows follow."""
    from albumsync_dagster.rollback import REFUSED, parse_duration, rollback

    is_dry = _mode(dry_run, apply)
    window = parse_duration(since)
    settings = Settings.from_env()
    engine = photo_database(settings)
    with smugmug_client(engine) as client:
        client.get_authuser()  # refused credentials are said even when nothing is in the window
        items = rollback(
            engine,
            client,
            window,
            album_key=album_key,
            dry_run=is_dry,
            changed_by="albumsync-cli",
            recheck_for=settings.rename_recheck,
        )
    if as_json:
        emit_json({"dry_run": is_dry, "albums": items})
    else:
        for item in items:
            console.print(
                f"{escape(item.album_key)}  {escape(repr(item.smugmug_name))} -> "
                f"{escape(repr(item.restore_to))}  {item.action}: {escape(item.reason)}"
            )
        console.print(f"{len(items)} album(s) in the window")
    if any(item.action in (REFUSED, "failed") for item in items):
        raise typer.Exit(1)


@app.command("backfill-album-keys")
def backfill_album_keys_cmd(as_json: JsonOption = False) -> None:
    """Fill photo_metadata.album_key from SmugMug, by image key."""
    with clear_errors():
        from albumsync_dagster.backfill import backfill_album_keys

        engine = open_database()
        with smugmug_client(engine) as client:
            client.get_authuser()  # refused credentials are said even when no row lacks a key
            result = backfill_album_keys(engine, client)
        if as_json:
            emit_json(result)
            return
        console.print(
            f"filled album_key on {result.filled:,} row(s) from {result.albums_scanned:,} album(s);"
            f" {len(result.unknown_image_keys):,} image key(s) SmugMug does not know"
        )
        for key in result.unknown_image_keys[:20]:
            console.print(f"  unknown: {escape(key)}")


@command
def emulator_cmd(
    port: Annotated[int, typer.Option("--port")] = 8900,
    data: Annotated[str | None, typer.Option("--data", help="Account data file (JSON).")] = None,
) -> None:
    """Serve the local SmugMug emulator (the demo account unless --data is given)."""
    from albumsync_dagster.emulator import serve

    serve(port=port, data_file=data)


@command
def demo_cmd(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Album keys, each run's albums, every album's line."),
    ] = False,
) -> None:
    """What `make demo` runs: the whole pipeline once through Dagster, on local defaults."""
    from albumsync_dagster.demo import run_demo

    summary = run_demo(verbose=verbose)
    if not summary.ok:
        raise typer.Exit(1)


@command
def ui_cmd(
    port: Annotated[int, typer.Option("--port", "-p", help="Port of the Dagster UI.")] = 3000,
) -> None:
    """`dagster dev` on the local defaults, the SmugMug emulator beside it (port 3000)."""
    from albumsync_dagster.ui import run_ui

    raise typer.Exit(run_ui(port=port))


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # python -m albumsync_dagster.cli
    main()
