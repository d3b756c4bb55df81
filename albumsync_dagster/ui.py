"""``albumsync ui``: ``dagster dev`` on the demo's local defaults, the SmugMug emulator beside it.

The same state as ``albumsync demo`` (``.albumsync/``): the embedded PostgreSQL with the demo
rows, the emulator serving the demo account as the demo left it, and the Dagster instance in
``.albumsync/dagster_home`` (so the demo's runs are there). The UI is at
http://localhost:3000. Like the demo it ignores ``ALBUMSYNC_DATABASE_URL``: for your own
database and SmugMug account run ``dagster dev -w workspace.yaml`` with the variables set.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from albumsync_dagster.db import albumsync_home, create_engine, start_embedded_postgres
from albumsync_dagster.demo import (
    DemoPaths,
    demo_store,
    install_instance_config,
    pipeline_env,
    prepare_database,
    save_store,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = """load_from:
  - python_module:
      module_name: albumsync_dagster.definitions
      attribute: defs
      location_name: albumsync
"""
SHUTDOWN_SECONDS = 30
# Start-up warnings of `dagster dev` that say nothing to a person using the UI: it prefers
# `dg dev` (a separate package). Matched at the start of the message by Python's -W filter.
QUIET_WARNINGS = "ignore:Function `dev_command` is superseded"


def instance_files(dagster_home: Path) -> Path:
    """Put the repository's ``dagster.yaml`` in DAGSTER_HOME; return the workspace file.

    ``dagster dev`` reads ``$DAGSTER_HOME/dagster.yaml``; outside a checkout (an installed
    package) the defaults apply and the workspace file is written here.
    """
    install_instance_config(dagster_home)
    workspace = REPO_ROOT / "workspace.yaml"
    if workspace.is_file():
        return workspace
    written = dagster_home / "workspace.yaml"
    written.write_text(WORKSPACE)
    return written


def port_taken(port: int) -> str | None:
    """Why the UI could not listen on ``port`` (None when it can).

    Checked first because ``dagster dev`` does not stop when its webserver cannot bind: it
    would keep its daemon running with no UI to open.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def dagster_dev_command(workspace: Path, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    program = [str(dagster)] if dagster.exists() else [sys.executable, "-m", "dagster"]
    return [*program, "dev", "-w", str(workspace), "-p", str(port), "--log-level", "info"]


def run_ui(
    *,
    port: int = 3000,
    home: Path | None = None,
    database_url: str | None = None,
    seed: int = 0,
) -> int:
    """Serve the Dagster UI until interrupted; returns ``dagster dev``'s exit code.

    ``database_url``: a database for the demo data (tests); default the embedded PostgreSQL.
    """
    from albumsync_dagster.emulator import run_emulator
    from albumsync_dagster.emulator.demo_account import build_demo

    console = Console(highlight=False)
    taken = port_taken(port)
    if taken:
        console.print(
            f"[red]Port {port} is not free for the Dagster UI ({taken}).[/red] "
            "Stop what uses it, or choose another port: albumsync ui --port N"
        )
        return 2
    paths = DemoPaths((home or albumsync_home()).resolve())
    url = database_url or start_embedded_postgres(paths.home / "pgdata")
    engine = create_engine(url)
    demo = build_demo(seed)
    store, fresh = demo_store(paths, demo, reset=False)
    try:
        prepare_database(engine, demo, fresh_account=fresh)
    finally:
        engine.dispose()
    workspace = instance_files(paths.dagster_home)
    try:
        with run_emulator(store, port=0) as emulator:
            env = {
                **os.environ,
                **pipeline_env(emulator.env(), url, demo),
                "DAGSTER_HOME": str(paths.dagster_home),
                "PYTHONWARNINGS": ",".join(
                    filter(None, [os.environ.get("PYTHONWARNINGS"), QUIET_WARNINGS])
                ),
            }
            console.print(
                f"SmugMug emulator at {emulator.base_url} (demo account, {len(store.albums)} "
                f"albums); Dagster home {paths.dagster_home}\n"
                f"Dagster UI: http://localhost:{port}  (Ctrl-C stops both)"
            )
            # In DAGSTER_HOME: dagster dev warns about a dagster.yaml in any other folder it
            # starts in (the repository's own, copied there above).
            return _serve(dagster_dev_command(workspace, port), env, cwd=paths.dagster_home)
    finally:
        save_store(paths, store)  # keep the names the UI's runs set, for the next demo


def _serve(command: list[str], env: dict[str, str], *, cwd: Path) -> int:
    """Run ``dagster dev`` until it exits; Ctrl-C or SIGTERM stop it cleanly (SIGINT)."""
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        # A shell may start us with SIGINT ignored (a background job); dagster dev must not
        # inherit that, or nothing could stop it cleanly.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def stop(signum: int, frame: object) -> None:
        process.send_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                # Ctrl-C at a terminal reached dagster dev as well: let it shut down its
                # webserver, daemon and code servers.
                try:
                    return process.wait(timeout=SHUTDOWN_SECONDS)
                except subprocess.TimeoutExpired:
                    process.terminate()
    finally:
        signal.signal(signal.SIGTERM, previous)
