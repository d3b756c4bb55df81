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
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from albumsync_dagster import album_sync
from albumsync_dagster.db import DatabaseUnavailable, create_engine
from albumsync_dagster.migrations import MigrationError, migrate

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


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the errors a person can act on into one line on stderr and exit code 2."""
    try:
        yield
    except (DatabaseUnavailable, MigrationError, CommandFailed, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except Exception as exc:  # any other typed domain error still gets one clear line
        name = type(exc).__name__
        if name.startswith("SmugMug"):
            err_console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        raise


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``func`` as a command whose known errors end with a clear line."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with clear_errors():
            return func(*args, **kwargs)

    return app.command(name=func.__name__.replace("_cmd", "").replace("_", "-"))(wrapper)


@command
def migrate_cmd(as_json: JsonOption = False) -> None:
    """Create or update the schema (idempotent)."""
    engine = create_engine()
    report = migrate(engine)
    if as_json:
        emit_json(report)
        return
    for name in report.applied:
        console.print(f"applied  {name}")
    console.print(
        f"{len(report.applied)} migration(s) applied, {len(report.already_applied)} already in place"
    )


@command
def stats_cmd(as_json: JsonOption = False) -> None:
    """Counts over photo_metadata."""
    stats = album_sync.get_sync_stats(create_engine())
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

    report = build_verify_report(create_engine(), album_key=album_key)
    if as_json:
        emit_json(report.as_dict())
    else:
        print_verify_report(console, report, verbose=verbose)
    if not report.all_synced:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console script entry
    app()
