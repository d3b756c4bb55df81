"""``sync_health`` and its checks on a real PostgreSQL: each check fails on its condition
and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from albumsync_dagster.definitions import defs
from albumsync_dagster.health import reconcile_names
from albumsync_dagster_tests.photo_rows import insert_photos

CHECKS = {
    "no_inconsistent_album_names",
    "photos_without_album_key_within_limit",
    "no_orphan_album_keys",
    "recent_sync_activity",
    "smugmug_names_match_rows",
}


def snapshot(engine, album_key, name, *, gone=False):
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO smugmug_albums (album_key, name, seen_at, gone_at)"
                " VALUES (:k, :n, now(), CASE WHEN :gone THEN now() END)"
            ),
            {"k": album_key, "n": name, "gone": gone},
        )


def sync_activity(engine, hours_ago):
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO canonical_name_history (album_key, current_name, canonical_name,"
                " drift_score, computed_at) VALUES ('ALB001', 'Eagles vs Lions - May 30',"
                " 'Eagles vs Lions - May 30', 0, :at)"
            ),
            {"at": datetime.now(UTC) - timedelta(hours=hours_ago)},
        )


@pytest.fixture
def healthy(engine):
    """Two albums whose rows carry SmugMug's names, and a sync an hour ago."""
    snapshot(engine, "ALB001", "Eagles vs Lions - May 30")
    snapshot(engine, "ALB002", "Spring Cup - Jun 2024")
    insert_photos(engine, "ALB001", "Eagles vs Lions - May 30", 30)
    insert_photos(engine, "ALB002", "Spring Cup - Jun 2024", 20)
    insert_photos(engine, None, "loose photo", 3)
    sync_activity(engine, hours_ago=1)
    return engine


def run_health(database_url, monkeypatch, run_config=None):
    monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", database_url)
    job = defs.resolve_job_def("sync_health_job").get_subset(
        asset_selection={dg.AssetKey("sync_health")}
    )
    result = job.execute_in_process(run_config=run_config or {}, raise_on_error=False)
    assert result.success
    return {e.check_name: e for e in result.get_asset_check_evaluations()}, result


def failing(evaluations):
    return {name for name, e in evaluations.items() if not e.passed}


def test_a_healthy_table_passes_every_check(healthy, database_url, monkeypatch):
    evaluations, result = run_health(database_url, monkeypatch)
    assert set(evaluations) == CHECKS
    assert failing(evaluations) == set()
    (materialization,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in materialization.materialization.metadata.items()}
    assert metadata["total_photos"] == 53 and metadata["photos_without_album_key"] == 3
    assert metadata["albums_not_matching_smugmug"] == 0 and metadata["orphan_album_keys"] == 0


def test_rows_with_two_names_fail_consistency_and_reconciliation(
    healthy, database_url, monkeypatch
):
    insert_photos(healthy, "ALB001", "eagles v lions", 2)
    evaluations, _ = run_health(database_url, monkeypatch)
    assert failing(evaluations) == {"no_inconsistent_album_names", "smugmug_names_match_rows"}
    bad = evaluations["no_inconsistent_album_names"]
    assert bad.severity == dg.AssetCheckSeverity.ERROR
    assert bad.metadata["album_keys"].value == ["ALB001"]
    mismatch = evaluations["smugmug_names_match_rows"]
    assert mismatch.metadata["albums_not_matching"].value == 1
    assert "eagles v lions" in mismatch.metadata["sample"].value


def test_smugmug_renamed_but_rows_not_fails_only_reconciliation(healthy, database_url, monkeypatch):
    with healthy.begin() as conn:
        conn.execute(
            sa.text("UPDATE smugmug_albums SET name = 'Spring Cup' WHERE album_key = 'ALB002'")
        )
    evaluations, _ = run_health(database_url, monkeypatch)
    assert failing(evaluations) == {"smugmug_names_match_rows"}
    result = reconcile_names(healthy)
    assert (result.albums_compared, result.mismatched) == (2, 1)
    (only,) = result.sample
    assert (only.album_key, only.smugmug_name, only.photos, only.differing) == (
        "ALB002",
        "Spring Cup",
        20,
        20,
    )
    assert only.row_names == ["Spring Cup - Jun 2024"]


def test_too_many_photos_without_album_key(healthy, database_url, monkeypatch):
    insert_photos(healthy, None, None, 98)  # 101 in all, the default limit is 100
    evaluations, _ = run_health(database_url, monkeypatch)
    assert failing(evaluations) == {"photos_without_album_key_within_limit"}
    check = evaluations["photos_without_album_key_within_limit"]
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert (check.metadata["photos_without_album_key"].value, check.metadata["limit"].value) == (
        101,
        100,
    )
    # The limit is configurable: run config first, then the environment.
    config = {
        "ops": {"sync_health_photos_without_album_key_within_limit": {"config": {"limit": 150}}}
    }
    evaluations, _ = run_health(database_url, monkeypatch, config)
    assert failing(evaluations) == set()
    monkeypatch.setenv("ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY", "500")
    evaluations, _ = run_health(database_url, monkeypatch)
    assert evaluations["photos_without_album_key_within_limit"].metadata["limit"].value == 500
    assert failing(evaluations) == set()


@pytest.mark.parametrize("how", ["never_listed", "gone_from_smugmug"])
def test_orphan_album_keys(healthy, database_url, monkeypatch, how):
    if how == "gone_from_smugmug":
        snapshot(healthy, "ALB003", "Deleted Album", gone=True)
    insert_photos(healthy, "ALB003", "Deleted Album", 4)
    evaluations, _ = run_health(database_url, monkeypatch)
    assert failing(evaluations) == {"no_orphan_album_keys"}
    check = evaluations["no_orphan_album_keys"]
    assert check.metadata["orphan_album_keys"].value == 1
    assert "| ALB003 | 4 |" in check.metadata["sample"].value


@pytest.mark.parametrize("hours_ago", [None, 25])
def test_no_recent_sync_activity(engine, database_url, monkeypatch, hours_ago):
    snapshot(engine, "ALB001", "Eagles vs Lions - May 30")
    insert_photos(engine, "ALB001", "Eagles vs Lions - May 30", 5)
    if hours_ago is not None:
        sync_activity(engine, hours_ago=hours_ago)
    evaluations, _ = run_health(database_url, monkeypatch)
    assert failing(evaluations) == {"recent_sync_activity"}
    check = evaluations["recent_sync_activity"]
    if hours_ago is None:
        assert check.description == "the sync has never run"
    else:
        assert 24.9 < check.metadata["hours_since"].value < 25.1


def test_a_recent_rename_counts_as_activity(engine, database_url, monkeypatch):
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO album_name_changes (album_key, old_name, new_name, changed_by,"
                " source, status) VALUES ('ALB009', 'a', 'b', 'test', 'test', 'completed')"
            )
        )
    evaluations, _ = run_health(database_url, monkeypatch)
    assert evaluations["recent_sync_activity"].passed


def test_reconciling_an_empty_table_compares_nothing(engine):
    result = reconcile_names(engine)
    assert (result.albums_compared, result.mismatched, result.sample) == (0, 0, [])
