"""The demo seen in the Dagster UI: its runs are ordinary runs of the code location (listed
with it, re-executed from the same job version), and ``album_sync_report`` shows a renamed
album's name and drift in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from albumsync_dagster.album_report import build_album_report
from albumsync_dagster.db import create_engine
from albumsync_dagster.demo import run_demo
from albumsync_dagster_tests.processes import logged_process
from albumsync_dagster_tests.test_demo import UI, UI_WAIT_SECONDS, free_port, graphql

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RUNS = """{ runsOrError { ... on Runs { results { runId pipelineName status pipelineSnapshotId
  parentPipelineSnapshotId repositoryOrigin { repositoryLocationName repositoryName } } } } }"""
JOBS = """{ repositoryOrError(repositorySelector: {repositoryLocationName: "albumsync",
  repositoryName: "__repository__"}) { ... on Repository { jobs { name pipelineSnapshotId } } } }"""


def browser():
    """Playwright's sync API, or a skip saying what is missing (never a browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file():
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium)")
    return sync_playwright


def wait_for_location(port: int, ui) -> None:
    deadline = time.monotonic() + UI_WAIT_SECONDS
    while time.monotonic() < deadline and ui.process.poll() is None:
        try:
            entries = graphql(
                port, "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
            )["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED":
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(ui.report(f"the Dagster UI did not load within {UI_WAIT_SECONDS} s"))


def test_the_demo_in_the_ui_ordinary_runs_and_the_album_report(tmp_path, database_factory):
    sync_playwright = browser()
    url = database_factory()
    summary = run_demo(home=tmp_path, database_url=url, console=Console(file=StringIO()))
    assert summary.ok
    engine = create_engine(url)
    try:
        report = build_album_report(engine, threshold=20, max_renames_per_day=100)
    finally:
        engine.dispose()
    renamed = next(r for r in report.rows if r.action == "renamed")

    port = free_port()
    command = [sys.executable, "-c", UI, str(port), str(tmp_path), url]
    with logged_process(command, tmp_path / "ui.log", env={**os.environ, "DAGSTER_HOME": ""}) as ui:
        wait_for_location(port, ui)

        # Every demo run belongs to the code location and to the job version it loads: the
        # Overview timeline lists them, re-execution has no "different version" warning.
        runs = graphql(port, RUNS)["runsOrError"]["results"]
        assert len(runs) == summary.batches + 2  # the catalog, the batches, sync health
        jobs = {
            j["name"]: j["pipelineSnapshotId"]
            for j in graphql(port, JOBS)["repositoryOrError"]["jobs"]
        }
        for run in runs:
            assert run["status"] == "SUCCESS"
            assert run["repositoryOrigin"] == {
                "repositoryLocationName": "albumsync",
                "repositoryName": "__repository__",
            }
            snapshot = run["parentPipelineSnapshotId"] or run["pipelineSnapshotId"]
            assert snapshot == jobs[run["pipelineName"]], run

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                page = chromium.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/assets/album_sync_report")
                row = page.get_by_role("row").filter(has_text=renamed.album_key)
                row.first.wait_for(timeout=120_000)
                text = row.first.inner_text()
                assert renamed.smugmug_name in text
                assert str(renamed.drift_score) in text.split()
                assert "renamed" in text
                page.screenshot(path=str(tmp_path / "album_sync_report.png"))
            finally:
                chromium.close()
        assert (tmp_path / "album_sync_report.png").stat().st_size > 10_000
