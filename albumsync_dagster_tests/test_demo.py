"""``albumsync demo`` end to end (twice: the second run renames nothing) and ``albumsync ui``
serving the code location."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import time
import urllib.request
from io import StringIO

import pytest
import sqlalchemy as sa
from rich.console import Console

from albumsync_dagster.db import create_engine
from albumsync_dagster.demo import DemoPaths, run_demo
from albumsync_dagster.emulator import EmulatorStore
from albumsync_dagster.emulator.demo_account import build_demo
from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.processes import logged_process


def demo_run(tmp_path, url):
    out = StringIO()
    summary = run_demo(home=tmp_path, database_url=url, console=Console(file=out, width=200))
    return summary, out.getvalue()


def test_the_demo_syncs_every_album_through_dagster_then_renames_nothing(
    tmp_path, database_factory
):
    url = database_factory()
    demo = build_demo(0)

    first, text = demo_run(tmp_path, url)
    assert first.ok, text
    assert first.fresh_account and not first.failed_runs
    assert first.albums == len(demo.albums) and first.batches == -(-first.albums // 10)
    assert first.report is not None and first.report.all_synced
    # Every rename is the name the naming rules give, now on SmugMug and on every row.
    assert len(first.renames) > 10
    store = EmulatorStore.from_file(DemoPaths(tmp_path).smugmug_file)
    engine = create_engine(url)
    try:
        for rename in first.renames:
            assert rename.new_name == demo.album(rename.album_key).canonical_name
            assert store.album_name(rename.album_key) == rename.new_name
        with engine.connect() as conn:
            stale = conn.execute(
                sa.text(
                    "SELECT count(*) FROM photo_metadata p JOIN smugmug_albums s"
                    " USING (album_key) WHERE p.album_name IS DISTINCT FROM s.name"
                )
            ).scalar()
        assert stale == 0
    finally:
        engine.dispose()
    assert first.rows_updated > 1000
    assert "Renamed (" in text and " → " in text
    assert "Dagster's" not in text and "telemetry" not in text.lower()
    assert_the_report_agrees(text, first, url)
    # ERROR checks pass; the demo's rows without album key and its orphan are WARNs.
    assert first.checks["smugmug_names_match_rows"].passed
    assert first.checks["no_inconsistent_album_names"].passed
    assert not first.checks["no_orphan_album_keys"].passed
    assert first.checks["no_orphan_album_keys"].severity == "WARN"

    second, text = demo_run(tmp_path, url)
    assert second.ok, text
    assert not second.fresh_account
    assert second.renames == [] and second.rows_updated == 0
    assert "No album renamed on SmugMug" in text
    assert second.report.all_synced
    assert_the_report_agrees(text, second, url)


def assert_the_report_agrees(text: str, summary, url: str) -> None:
    """The report's groups add up to the albums, and match the database and the emulator."""
    groups = summary.groups
    assert sum(groups.values()) == summary.albums
    assert groups.get("renamed", 0) == len(summary.renames)
    assert (
        f"{groups.get('renamed', 0)} renamed on SmugMug, {groups.get('kept', 0)} kept as they "
        f"were, {summary.albums - groups.get('renamed', 0) - groups.get('kept', 0)} need a person"
    ) in text
    rows = summary.rows
    assert (
        rows.of_albums_on_smugmug + rows.of_other_album_keys + rows.without_album_key == rows.total
    )
    assert rows.disagreeing == 0 and rows.albums_on_smugmug == summary.albums
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(sa.text("SELECT count(*) FROM photo_metadata")).scalar()
            decided = dict(
                conn.execute(
                    sa.text("SELECT action, count(*) FROM album_decisions GROUP BY action")
                ).all()
            )
    finally:
        engine.dispose()
    assert rows.total == total
    assert decided.get("renamed", 0) == groups.get("renamed", 0)
    assert decided.get("kept", 0) == groups.get("kept", 0)
    assert f"Photo rows ({total:,} in photo_metadata)" in text
    # No album key, no run range without --verbose.
    assert all(r.album_key not in text for r in summary.renames)


def test_the_demo_report_never_breaks_a_name_at_80_columns(tmp_path, database_factory):
    out = StringIO()
    summary = run_demo(
        home=tmp_path, database_url=database_factory(), console=Console(file=out, width=80)
    )
    assert summary.ok
    text = out.getvalue()
    lines = text.splitlines()
    store = EmulatorStore.from_file(DemoPaths(tmp_path).smugmug_file)
    names = {a.name for a in store.albums} | {r.old_name for r in summary.renames if r.old_name}
    joined = " ".join(line.strip() for line in lines)
    shown = 0
    for name in names:
        quoted = repr(name)
        whole = sum(line.count(quoted) for line in lines)
        # A name broken over two lines would be found in the joined text only.
        assert joined.count(quoted) == whole, f"{quoted} is broken over two lines"
        shown += whole > 0
    assert shown > 20


def test_albumsync_demo_names_album_keys_and_runs_only_with_verbose(tmp_path):
    # The command as a person runs it: its own embedded PostgreSQL under ALBUMSYNC_HOME.
    env = {"ALBUMSYNC_HOME": str(tmp_path)}
    plain = run_cli("demo", env=env, timeout=900)
    assert plain.code == 0, plain.stdout + plain.stderr
    verbose = run_cli("demo", "--verbose", env=env, timeout=900)
    assert verbose.code == 0, verbose.stdout + verbose.stderr
    keys = [a.album_key for a in EmulatorStore.from_file(DemoPaths(tmp_path).smugmug_file).albums]
    assert len(keys) == len(build_demo(0).albums)

    def shown(text: str) -> set[str]:
        return {k for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)}

    assert "Renamed (" in plain.stdout and " → " in plain.stdout  # the report is there
    assert shown(plain.stdout) == set(), "album keys in the report without --verbose"
    assert not re.search(r"\brun +\d+/\d+\b", plain.stdout)
    assert shown(verbose.stdout) == set(keys)  # every album's line names its key
    first_run = re.search(r"\brun +1/\d+ +(\S+)\.\.(\S+) ", verbose.stdout)
    assert first_run and {first_run[1], first_run[2]} <= set(keys), verbose.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UI = """
import sys
from pathlib import Path
from albumsync_dagster.ui import run_ui
sys.exit(run_ui(port=int(sys.argv[1]), home=Path(sys.argv[2]), database_url=sys.argv[3]))
"""
# dagster dev answers in under 10 s here; the margin is for a loaded CI machine.
UI_WAIT_SECONDS = 240
LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on RepositoryLocation { repositories {
    jobs { name } schedules { name } sensors { name } } } } } } } }"""


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def test_ui_serves_the_code_location_and_stops_on_sigterm(tmp_path, database_factory):
    port = free_port()
    command = [sys.executable, "-c", UI, str(port), str(tmp_path), database_factory()]
    env = {**os.environ, "DAGSTER_HOME": ""}
    with logged_process(command, tmp_path / "ui.log", env=env) as ui:
        deadline = time.monotonic() + UI_WAIT_SECONDS
        entries = None
        while time.monotonic() < deadline and ui.process.poll() is None:
            try:
                entries = graphql(port, LOCATION)["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["loadStatus"] == "LOADED":
                    break
            except OSError:
                pass
            time.sleep(1)
        assert entries, ui.report(f"the Dagster UI did not answer within {UI_WAIT_SECONDS} s")
        (location,) = entries
        assert location["name"] == "albumsync"
        assert location["loadStatus"] == "LOADED", ui.report(f"location: {location}")
        (repository,) = location["locationOrLoadError"]["repositories"]
        assert {"album_sync_job", "sync_health_job"} <= {j["name"] for j in repository["jobs"]}
        assert [s["name"] for s in repository["schedules"]] == ["daily_sync_health_schedule"]
        assert {s["name"] for s in repository["sensors"]} == {
            "enrichment_sensor",
            "smugmug_change_sensor",
            "album_sync_report_automation",
        }
        assert (tmp_path / "dagster_home" / "dagster.yaml").is_file()

        # SIGTERM to albumsync ui alone (not its group): it must stop dagster dev cleanly.
        ui.process.send_signal(signal.SIGTERM)
        assert ui.process.wait(timeout=60) == 0, ui.report("albumsync ui did not stop cleanly")
        assert DemoPaths(tmp_path).smugmug_file.is_file()  # the account saved for the demo
    with pytest.raises(OSError):
        graphql(port, "{ version }")


def test_ui_on_a_taken_port_says_so_and_starts_nothing(tmp_path):
    # dagster dev would keep its daemon running without a webserver; albumsync ui refuses.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("ui", "--port", str(port), env={"ALBUMSYNC_HOME": str(tmp_path)})
    assert result.code == 2, result.stdout + result.stderr
    assert f"Port {port} is not free" in result.stdout
    assert "--port" in result.stdout
    assert not (tmp_path / "dagster_home").exists()
