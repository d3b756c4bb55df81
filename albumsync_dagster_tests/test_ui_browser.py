"""``album_sync_report`` in a real browser: ``albumsync ui`` over the state a demo left, the
asset's page in headless Chromium (Playwright driving Debian's ``chromium``; never a browser
download), a renamed album's name and drift on it, and a screenshot.

``--album-report-screenshot PNG`` also saves the screenshot there: that is how
``docs/album_sync_report.png`` is made.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from albumsync_dagster.album_report import AlbumReportRow, build_album_report
from albumsync_dagster.db import create_engine
from albumsync_dagster.demo import run_demo
from albumsync_dagster_tests.processes import Logged, logged_process
from albumsync_dagster_tests.test_demo import UI, UI_WAIT_SECONDS, free_port, graphql

CHROMIUM = Path("/usr/bin/chromium")
LOADED = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
RUNS = """{ runsOrError { ... on Runs { results { jobName
  repositoryOrigin { repositoryLocationName repositoryName } } } } }"""
# Wide enough that every column of the album table shows; tall enough (the page scrolls an
# inner panel, not the document) for the summary, the histogram and the first albums.
VIEWPORT = {"width": 3000, "height": 2600}
SCREENSHOT_HEIGHT = 2000


def playwright_or_skip() -> Any:
    """Playwright's ``sync_playwright``, or a skip saying what this machine lacks."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no {CHROMIUM} on this machine (Debian's chromium; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    return sync_playwright


def group_members(group: int) -> list[str]:
    """The live (not zombie) processes of a process group, as ``pid command`` lines."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        state, _parent, pgrp = text.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(text.split(" ", 1)[0] + " " + text.split("(", 1)[1].split(")")[0])
    return members


@contextmanager
def albumsync_ui(port: int, home: Path, database_url: str, log: Path) -> Iterator[Logged]:
    """``albumsync ui`` (``run_ui``, as the command runs it) on ``port``; stopped as Ctrl-C
    stops it, then anything left of its process group is killed, whatever happened."""
    command = [sys.executable, "-c", UI, str(port), str(home), database_url]
    with logged_process(command, log, env={**os.environ, "DAGSTER_HOME": ""}) as ui:
        try:
            yield ui
        finally:
            if ui.process.poll() is None:
                ui.process.send_signal(signal.SIGTERM)  # it stops dagster dev with SIGINT
                with suppress(subprocess.TimeoutExpired):  # then killed below, with its group
                    ui.process.wait(timeout=60)
            with suppress(ProcessLookupError):  # nothing left
                os.killpg(ui.process.pid, signal.SIGKILL)  # stragglers of dagster dev


def wait_for_location(port: int, ui: Logged) -> None:
    deadline = time.monotonic() + UI_WAIT_SECONDS
    while time.monotonic() < deadline and ui.process.poll() is None:
        try:
            entries = graphql(port, LOADED)["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED":
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    raise AssertionError(ui.report(f"the Dagster UI did not load within {UI_WAIT_SECONDS} s"))


def album_cells(page: Any, album_key: str) -> dict[str, str]:
    """The album's row of the report table on the page, as column name -> text shown.

    Waits for the row (the page loads the latest materialization's metadata after the page).
    """
    key_cell = page.get_by_role("cell", name=album_key, exact=True).first
    key_cell.wait_for(timeout=UI_WAIT_SECONDS * 1000)
    row = key_cell.locator("xpath=ancestor::tr[1]")
    headers = row.locator("xpath=ancestor::table[1]//th").all_inner_texts()
    cells = row.locator("xpath=./td").all_inner_texts()
    assert len(headers) == len(cells), (headers, cells)
    return {h.strip(): c.strip() for h, c in zip(headers, cells, strict=True)}


def screenshot_report(page: Any, path: Path) -> None:
    """The Metadata section (summary, drift histogram, the album table's first rows)."""
    heading = page.get_by_text("Metadata", exact=True).first.bounding_box()
    assert heading is not None
    page.screenshot(
        path=str(path),
        clip={
            "x": heading["x"] - 30,
            "y": heading["y"] - 12,
            "width": heading["width"] + 60,
            "height": SCREENSHOT_HEIGHT,
        },
    )


def first_renamed(database_url: str) -> AlbumReportRow:
    engine = create_engine(database_url)
    try:
        report = build_album_report(engine, threshold=20, max_renames_per_day=100)
    finally:
        engine.dispose()
    return next(r for r in report.rows if r.action == "renamed" and r.last_renamed_from)


def test_the_report_page_shows_a_renamed_album_and_its_drift(tmp_path, database_factory, request):
    sync_playwright = playwright_or_skip()
    url = database_factory()
    summary = run_demo(home=tmp_path, database_url=url, console=Console(file=StringIO()))
    assert summary.ok
    renamed = first_renamed(url)
    assert renamed.drift_score is not None and renamed.drift_score > 20

    port = free_port()
    started = time.monotonic()
    with albumsync_ui(port, tmp_path, url, tmp_path / "ui.log") as ui:
        wait_for_location(port, ui)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                page = chromium.new_page(viewport=VIEWPORT)
                page.goto(f"http://127.0.0.1:{port}/assets/album_sync_report")
                cells = album_cells(page, renamed.album_key)
                usable = time.monotonic() - started
                print(
                    f"\nalbumsync ui to a usable album_sync_report page: {usable:.1f} s "
                    f"(load average {os.getloadavg()[0]:.2f})"
                )
                assert cells["smugmug_name"] == renamed.smugmug_name, cells
                assert cells["drift_score"] == str(renamed.drift_score), cells
                assert cells["action"] == "renamed", cells
                assert cells["last_renamed_from"] == renamed.last_renamed_from, cells
                assert f"drift {renamed.drift_score} > threshold 20" in cells["reason"], cells
                screenshot = tmp_path / "album_sync_report.png"
                screenshot_report(page, screenshot)
                # The demo's runs are ordinary runs of the code location: the Overview
                # timeline shows them under their job (runs without a location it leaves off).
                runs = graphql(port, RUNS)["runsOrError"]["results"]
                assert runs and all(
                    r["repositoryOrigin"]["repositoryLocationName"] == "albumsync" for r in runs
                ), runs
                page.goto(f"http://127.0.0.1:{port}/overview/activity/timeline")
                page.get_by_text("album_sync_job").first.wait_for(timeout=UI_WAIT_SECONDS * 1000)
                # The location's row counts its runs in the window: every run of the demo.
                badge = page.get_by_text(str(len(runs)), exact=True).first
                badge.wait_for(timeout=UI_WAIT_SECONDS * 1000)
            finally:
                chromium.close()
        # Stopped as a terminal's Ctrl-C or a service manager would: all of it stops.
        ui.process.send_signal(signal.SIGTERM)
        assert ui.process.wait(timeout=60) == 0, ui.report("albumsync ui did not stop cleanly")
        deadline = time.monotonic() + 10
        while group_members(ui.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert group_members(ui.process.pid) == [], ui.report("albumsync ui left processes")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a page, not a blank
    copy_to = request.config.getoption("--album-report-screenshot")
    if copy_to:
        shutil.copyfile(screenshot, copy_to)
