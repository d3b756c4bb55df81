"""``album_sync_report`` and each album's decision metadata, over the emulator account through
real Dagster runs; and the report at 12,000 albums (bounded table, complete CSV)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from albumsync_dagster.album_report import (
    ATTENTION,
    DEFAULT_LIMIT,
    REPORT_COLUMNS,
    build_album_report,
)
from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
from albumsync_dagster.dagster_layer.report import REPORT_KEY
from albumsync_dagster.definitions import defs
from albumsync_dagster_tests.test_album_sync_job import ALL, by_album, harness

DESIGN_COLUMNS = [
    "album_key",
    "smugmug_name",
    "canonical_name",
    "drift_score",
    "action",
    "reason",
    "locked",
    "last_renamed_at",
]


def materialize_report(instance: dg.DagsterInstance) -> dict[str, object]:
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[REPORT_KEY]
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def records(metadata: dict[str, object]) -> list[dict[str, object]]:
    return [dict(r.data) for r in metadata["albums"].records]  # type: ignore[attr-defined]


def test_each_album_tells_its_whole_story_and_the_report_lists_every_album(
    engine, database_url, monkeypatch
):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        # Run 1, threshold 100: nothing renamed. A kept album proposes, it never "new_name"s.
        (first,) = execute_album_sync_batches(defs, instance, [ALL], threshold=100)
        game = by_album(first, "smugmug_album_name")["GAME01"]
        assert game["action"] == "kept" and "new_name" not in game
        assert game["proposed_name"] == "Eagles vs Lions - May 30"
        assert game["reason"] == f"drift {game['drift_score']} <= threshold 100"
        assert game["current_name"] == "eagles v lions"
        assert game["drift_parts"] and "title_drift" in game and "date_drift" in game

        # Run 2 renames; runs 3 and 4 keep the name, and CUP002 fails to be fetched in both.
        (second,) = execute_album_sync_batches(defs, instance, [ALL])
        renamed = by_album(second, "smugmug_album_name")["GAME01"]
        assert renamed["action"] == "renamed"
        assert f"drift {renamed['drift_score']} > threshold 20" in renamed["reason"]
        assert renamed["new_name"] == "Eagles vs Lions - May 30"
        assert "proposed_name" not in renamed
        h.emulator.faults.fail_album("CUP002", status=500, methods=["GET"])
        for _ in range(2):
            (later,) = execute_album_sync_batches(defs, instance, [ALL])
        kept = by_album(later, "smugmug_album_name")["GAME01"]
        assert kept["action"] == "kept" and kept["drift_score"] == 0
        assert kept["last_renamed_from"] == "eagles v lions"
        assert kept["last_renamed_to"] == "Eagles vs Lions - May 30"
        assert kept["last_renamed_at"]

        report = materialize_report(instance)
        rows = records(report)
        schema = [c.name for c in report["albums"].schema.columns]  # type: ignore[attr-defined]
        assert schema[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS
        assert {"rows", "rows_in_agreement"} <= set(schema)
        assert sorted(r["album_key"] for r in rows) == sorted(ALL)  # one row per album

        # What needs a person first: the failure, then the album no name can be made for.
        assert [r["album_key"] for r in rows[:2]] == ["CUP002", "NOENR4"]
        assert rows[0]["action"] == "failed" and rows[0]["needs_a_person"] == "failed"
        assert "500" in rows[0]["reason"]
        assert rows[1]["needs_a_person"] == "no canonical name"
        by_key = {r["album_key"]: r for r in rows}
        game_row = by_key["GAME01"]
        assert game_row["smugmug_name"] == "Eagles vs Lions - May 30"
        assert game_row["action"] == "kept" and game_row["last_renamed_at"]
        assert game_row["last_renamed_from"] == "eagles v lions"
        assert game_row["rows"] == game_row["rows_in_agreement"] == 30
        assert game_row["needs_a_person"] is None
        assert by_key["LAX003"]["last_renamed_from"] == "Untitled"

        assert "**4 albums on SmugMug**" in report["summary"]
        assert "Renamed in the last 24 h: **2**" in report["summary"]
        assert "budget left: **98** of 100" in report["summary"]
        assert "| 0 |" in report["drift_histogram"]
        frame = pd.read_csv(report["albums_csv"])
        assert list(frame.columns) == list(REPORT_COLUMNS)
        assert len(frame) == 4


def seed_many_albums(engine: sa.Engine, count: int) -> None:
    """``count`` albums straight in the tables: every 100th failed, every 50th renamed by a
    person and locked, every 10th renamed by us (newer renames for higher numbers)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO smugmug_albums (album_key, name, seen_at)"
                " SELECT 'A' || lpad(i::text, 6, '0'), 'Album ' || i, now()"
                " FROM generate_series(1, :n) i"
            ),
            {"n": count},
        )
        conn.execute(
            sa.text(
                "INSERT INTO album_decisions (album_key, action, reason, current_name,"
                " canonical_name, drift_score, threshold, decided_by, decided_at)"
                " SELECT 'A' || lpad(i::text, 6, '0'),"
                "  CASE WHEN i % 100 = 0 THEN 'failed' WHEN i % 50 = 0 THEN 'human_renamed'"
                "   WHEN i % 10 = 0 THEN 'renamed' ELSE 'kept' END,"
                "  'seeded', 'Album ' || i, 'Album ' || i, (i % 7) * 3, 20, 'test', now()"
                " FROM generate_series(1, :n) i"
            ),
            {"n": count},
        )
        conn.execute(
            sa.text(
                "INSERT INTO album_locks (album_key, reason, locked_by)"
                " SELECT 'A' || lpad(i::text, 6, '0'), 'renamed by a person', 'albumsync'"
                " FROM generate_series(50, :n, 50) i WHERE i % 100 <> 0"
            ),
            {"n": count},
        )
        conn.execute(
            sa.text(
                "INSERT INTO album_name_changes (album_key, old_name, new_name, changed_at,"
                " changed_by, source, status, smugmug_renamed)"
                " SELECT 'A' || lpad(i::text, 6, '0'), 'old ' || i, 'Album ' || i,"
                "  now() - make_interval(secs => :n - i), 'test', 'dagster', 'completed', 'yes'"
                " FROM generate_series(10, :n, 10) i"
            ),
            {"n": count},
        )


def test_at_12000_albums_the_table_is_bounded_and_the_csv_complete(
    engine, database_url, monkeypatch, tmp_path
):
    count = 12_000
    seed_many_albums(engine, count)
    monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", database_url)
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        report = materialize_report(instance)
    rows = records(report)
    assert len(rows) == DEFAULT_LIMIT == report["rows_shown"]
    assert report["album_count"] == count
    failed, person = count // 100, count // 50 - count // 100
    assert report["albums_needing_a_person"] == failed + person
    # Failures first, then the albums a person renamed, then the most recent renames.
    order = [r["needs_a_person"] for r in rows[: failed + person]]
    assert order == ["failed"] * failed + ["renamed by a person, locked"] * person
    recent = [r for r in rows[failed + person :] if r["last_renamed_at"]]
    assert recent[0]["album_key"] == "A011990"  # the newest rename not already listed
    assert "every album is in the CSV" in report["summary"]
    csv = Path(report["albums_csv"])
    assert csv.is_file() and csv.is_relative_to(tmp_path)
    frame = pd.read_csv(csv)
    assert len(frame) == count and frame["album_key"].is_unique
    assert ATTENTION[0] == "failed"


def test_the_report_sorts_what_needs_a_person_before_the_rest(engine):
    seed_many_albums(engine, 300)
    report = build_album_report(engine, threshold=20, max_renames_per_day=10, limit=50)
    assert report.albums == 300 and len(report.rows) == 50 and len(report.every_row) == 300
    ranks = [ATTENTION.index(r.attention) for r in report.rows if r.attention]
    assert ranks == sorted(ranks) and ranks[0] == 0
    assert report.renamed_last_24h == 30 and report.budget_left == 0
    assert report.actions == {"kept": 270, "renamed": 24, "human_renamed": 3, "failed": 3}


def test_the_report_is_requested_after_each_album_run(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch) as (_, instance):
        selection = dg.AssetSelection.assets(REPORT_KEY)

        def evaluate(cursor=None):
            return dg.evaluate_automation_conditions(
                defs=defs, instance=instance, asset_selection=selection, cursor=cursor
            )

        first = evaluate()
        materialize_report(instance)
        quiet = evaluate(first.cursor)
        assert quiet.get_num_requested(REPORT_KEY) == 0
        execute_album_sync_batches(defs, instance, [["GAME01", "LAX003"]])
        after_run = evaluate(quiet.cursor)
        assert after_run.get_num_requested(REPORT_KEY) == 1
        materialize_report(instance)
        assert evaluate(after_run.cursor).get_num_requested(REPORT_KEY) == 0
    sensor = defs.resolve_sensor_def("album_sync_report_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
