"""``album_sync_job`` for real: the code location's job over a range of album partitions,
against the SmugMug emulator (HTTP) and PostgreSQL, with the check results asserted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest
import sqlalchemy as sa

from albumsync_dagster.dagster_layer.assets import album_sync_run_config
from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
from albumsync_dagster.dagster_layer.partitions import (
    ALBUMS,
    ALBUMS_TAG,
    RANGE_START_TAG,
    range_tags,
)
from albumsync_dagster.definitions import defs
from albumsync_dagster_tests.photo_rows import audit_rows, names_of
from albumsync_dagster_tests.sports_account import TZ, Harness, sports_harness

CHECK = dg.AssetCheckKey(dg.AssetKey("photo_metadata_album_name"), "album_names_in_sync")
ALL = ["CUP002", "GAME01", "LAX003", "NOENR4"]  # partition order: same album date, then key


@contextmanager
def harness(
    engine: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, **load: object
) -> Iterator[tuple[Harness, dg.DagsterInstance]]:
    """The sports account on the emulator, the code location's env pointing at it, and an
    instance whose ``albums`` partitions the catalog asset registered."""
    with sports_harness(engine, **load) as h, dg.DagsterInstance.ephemeral() as instance:
        for name, value in h.emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", database_url)
        monkeypatch.setenv("ALBUMSYNC_TIMEZONE", TZ)
        monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("smugmug_album_catalog")]
        )
        assert catalog.success
        assert list(instance.get_dynamic_partitions(ALBUMS)) == ALL
        yield h, instance


def check_result(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.asset_check_key == CHECK]
    return evaluation


def by_album(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict[str, object]]:
    """Each album's materialization metadata of ``asset`` in the run: ``{album: {name: value}}``."""
    return {
        e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(asset)
    }


def actions(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    return dict(Counter(m["action"] for m in by_album(result, "smugmug_album_name").values()))


def test_a_range_run_renames_on_smugmug_syncs_rows_and_checks_them(
    engine, database_url, monkeypatch
):
    with harness(engine, database_url, monkeypatch, stale={"CUP002": "spring cup"}) as (
        h,
        instance,
    ):
        (result,) = execute_album_sync_batches(defs, instance, [ALL])
        assert result.success
        assert range_tags(ALL).items() <= result.dagster_run.tags.items()
        materialized = {
            (e.asset_key.to_user_string(), e.partition)
            for e in result.get_asset_materialization_events()
        }
        assert materialized == {
            (asset, key)
            for asset in (
                "album_enrichment",
                "smugmug_album",
                "canonical_album_name",
                "smugmug_album_name",
                "photo_metadata_album_name",
            )
            for key in ALL
        }

        # SmugMug renamed where the drift was over the threshold; every row follows SmugMug.
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"
        assert h.smugmug_name("LAX003") == "Lacrosse - Apr 2"
        assert h.smugmug_name("CUP002") == "Spring Cup - Jun 2024"
        assert names_of(engine, "GAME01") == {"Eagles vs Lions - May 30": 30}
        assert names_of(engine, "LAX003") == {"Lacrosse - Apr 2": 12}
        assert names_of(engine, "CUP002") == {"Spring Cup - Jun 2024": 24}
        renames = [r for r in audit_rows(engine) if r.smugmug_renamed == "yes"]
        assert sorted(r.album_key for r in renames) == ["GAME01", "LAX003"]
        assert {r.changed_by for r in renames} == {f"dagster:{result.run_id}"}

        # What a person reads in the UI: each album's own materialization.
        names = by_album(result, "canonical_album_name")["GAME01"]
        assert names["canonical_name"] == "Eagles vs Lions - May 30"
        assert names["current_name"] == "eagles v lions"
        assert isinstance(names["drift_score"], int) and names["drift_score"] > 20
        assert actions(result) == {"kept": 1, "no_canonical": 1, "renamed": 2}
        game = by_album(result, "smugmug_album_name")["GAME01"]
        assert game["action"] == "renamed" and game["new_name"] == "Eagles vs Lions - May 30"
        assert game["old_name"] == "eagles v lions" and game["reason"]
        rows = by_album(result, "photo_metadata_album_name")
        assert sum(m["rows_updated"] for m in rows.values()) == 24
        assert rows["CUP002"]["rows_updated"] == 24
        assert all(m["in_sync"] for m in rows.values())
        assert by_album(result, "smugmug_album")["LAX003"]["images"] == 12
        assert by_album(result, "album_enrichment")["NOENR4"]["enriched"] is False

        check = check_result(result)
        assert check.passed
        assert check.metadata["albums_checked"].value == 4
        assert check.metadata["out_of_sync_album_keys"].value == []

        # Second run: nothing to rename, nothing to write, still in sync.
        patches = h.emulator.log.count("PATCH")
        (again,) = execute_album_sync_batches(defs, instance, [ALL])
        assert again.success and check_result(again).passed
        assert h.emulator.log.count("PATCH") == patches
        assert "renamed" not in actions(again)
        assert {
            m["rows_updated"] for m in by_album(again, "photo_metadata_album_name").values()
        } == {0}


def test_credentials_never_reach_the_run_record_or_its_logs(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        h.emulator.faults.fail_album("GAME01", status=500, methods=["GET"])  # errors logged too
        (result,) = execute_album_sync_batches(defs, instance, [["GAME01", "LAX003"]])
        secrets = [v for k, v in h.emulator.env().items() if "SECRET" in k or "TOKEN" in k]
        secrets.append(database_url.split("@")[0])  # user (and password, if any) of the URL
        recorded = repr(result.dagster_run) + "".join(
            repr(entry) for entry in instance.all_logs(result.run_id)
        )
        for secret in secrets:
            assert secret not in recorded


def test_the_check_fails_on_a_tampered_row(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch) as (_, instance):
        (first,) = execute_album_sync_batches(defs, instance, [["GAME01", "LAX003"]])
        assert check_result(first).passed
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE photo_metadata SET album_name = 'tampered' WHERE image_key = 'gA0003'"
                )
            )
        job = defs.resolve_job_def("album_sync_job")
        only_check = job.get_subset(asset_selection=set(), asset_check_selection={CHECK})
        only_check = only_check.execute_in_process(
            instance=instance,
            tags=range_tags(["GAME01", "LAX003"]),
            raise_on_error=False,
        )
        check = check_result(only_check)
        assert not check.passed
        assert check.severity == dg.AssetCheckSeverity.ERROR
        assert check.metadata["out_of_sync_album_keys"].value == ["GAME01"]
        assert "'tampered'" in check.metadata["albums"].value
        assert "1 of 2 album(s) out of sync: GAME01" in (check.description or "")


def test_an_album_smugmug_fails_to_serve_fails_the_check_and_spares_the_batch(
    engine, database_url, monkeypatch
):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        h.emulator.faults.fail_album("GAME01", status=500, methods=["GET"])
        (result,) = execute_album_sync_batches(defs, instance, [["GAME01", "LAX003"]])
        assert result.success  # the batch carried on
        assert h.smugmug_name("LAX003") == "Lacrosse - Apr 2"
        assert names_of(engine, "LAX003") == {"Lacrosse - Apr 2": 12}
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        # GAME01 failed its fetch: no materialization from there on; the check says why.
        assert set(by_album(result, "smugmug_album")) == {"LAX003"}
        assert set(by_album(result, "photo_metadata_album_name")) == {"LAX003"}
        check = check_result(result)
        assert not check.passed
        assert check.metadata["out_of_sync_album_keys"].value == ["GAME01"]
        assert "| GAME01 |" in check.metadata["albums"].value
        assert "500" in check.metadata["albums"].value


def test_dry_run_changes_nothing_and_the_check_says_so(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch, stale={"CUP002": "spring cup"}) as (
        h,
        instance,
    ):
        (result,) = execute_album_sync_batches(defs, instance, [ALL], dry_run=True)
        assert result.success
        assert h.emulator.log.count("PATCH") == 0
        assert names_of(engine, "CUP002") == {"spring cup": 24}
        assert actions(result)["would_rename"] == 2
        assert all(m["dry_run"] for m in by_album(result, "smugmug_album_name").values())
        rows = by_album(result, "photo_metadata_album_name")
        assert sum(m["rows_to_update"] for m in rows.values()) == 24
        check = check_result(result)
        assert not check.passed
        assert check.metadata["out_of_sync_album_keys"].value == ["CUP002"]


def test_albums_that_are_not_neighbours_run_as_album_keys_not_as_a_range(
    engine, database_url, monkeypatch
):
    with harness(engine, database_url, monkeypatch, stale={"CUP002": "spring cup"}) as (
        h,
        instance,
    ):
        (result,) = execute_album_sync_batches(defs, instance, [["CUP002", "LAX003"]])
        assert result.success
        tags = result.dagster_run.tags
        assert RANGE_START_TAG not in tags and tags[ALBUMS_TAG] == "CUP002,LAX003"
        materialized = {
            (e.asset_key.to_user_string(), e.partition)
            for e in result.get_asset_materialization_events()
        }
        # Exactly the two albums, every asset; GAME01 between them untouched.
        assert {p for _, p in materialized} == {"CUP002", "LAX003"}
        assert len(materialized) == 10
        assert h.smugmug_name("LAX003") == "Lacrosse - Apr 2"
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "CUP002") == {"Spring Cup - Jun 2024": 24}
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        check = check_result(result)
        assert check.passed and check.metadata["albums_checked"].value == 2
        assert instance.get_materialized_partitions(dg.AssetKey("smugmug_album_name")) == {
            "CUP002",
            "LAX003",
        }


def test_album_keys_that_are_not_partitions_or_come_with_a_range_are_refused(
    engine, database_url, monkeypatch
):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        job = defs.resolve_job_def("album_sync_job")
        unknown = job.execute_in_process(
            instance=instance,
            run_config=album_sync_run_config(album_keys=["GAME01", "NOPE99"]),
            raise_on_error=False,
        )
        assert not unknown.success
        failure = unknown.get_step_failure_events()[0].step_failure_data.error
        assert "NOPE99" in failure.message and "smugmug_album_catalog" in failure.message
        both = job.execute_in_process(
            instance=instance,
            run_config=album_sync_run_config(album_keys=["GAME01"]),
            tags=range_tags(["GAME01", "LAX003"]),
            raise_on_error=False,
        )
        assert not both.success
        failure = both.get_step_failure_events()[0].step_failure_data.error
        assert "not both" in failure.message
        # Nothing was touched by either run.
        assert h.emulator.log.count("PATCH") == 0
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
