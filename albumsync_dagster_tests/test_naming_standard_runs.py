"""The ``level-event-date`` standard end to end: through ``albumsync sync`` and a Dagster run,
with level and division read from ``album_enrichment`` (migration 0008)."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
from albumsync_dagster.definitions import defs
from albumsync_dagster.enrichment import read_enrichments
from albumsync_dagster.schema import album_enrichment
from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.sports_account import sports_harness
from albumsync_dagster_tests.test_album_sync_job import ALL, by_album, check_result, harness
from albumsync_dagster_tests.test_cli_sync import env_for

# GAME01 is "eagles v lions" on SmugMug: its middle is kept as typed, the facts add the rest.
GAME = "HS Boys Soccer - eagles v lions - 05-30-2024"
CUP = "Club - Spring Cup - 06-07-2024 to 06-10-2024"


def add_levels(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(album_enrichment)
            .where(album_enrichment.c.album_key == "GAME01")
            .values(level="high_school", division="boys")
        )
        conn.execute(
            sa.update(album_enrichment)
            .where(album_enrichment.c.album_key == "CUP002")
            .values(level="club", sport_type=None)
        )


def test_level_and_division_are_read_with_the_enrichment(engine):
    with sports_harness(engine):
        add_levels(engine)
        enrichment = read_enrichments(engine, ["GAME01", "NOENR4"])
        assert set(enrichment) == {"GAME01"}
        assert (enrichment["GAME01"].level, enrichment["GAME01"].division) == (
            "high_school",
            "boys",
        )


def test_level_event_date_through_the_cli(engine, database_url):
    with sports_harness(engine) as h:
        add_levels(engine)
        env = {**env_for(h, database_url), "ALBUMSYNC_NAMING_STANDARD": "level-event-date"}
        dry = run_cli("sync", "--all", "--dry-run", "--json", env=env)
        assert dry.code == 0, dry.stderr
        planned = {a["album_key"]: a for a in dry.json()["albums"]}
        assert planned["GAME01"]["canonical_name"] == GAME
        assert "prefix missing \u2192 HS Boys Soccer" in planned["GAME01"]["reason"]
        assert "date missing \u2192 05-30-2024" in planned["GAME01"]["reason"]
        # "Untitled" and only a sport: no middle typed or from the enrichment, no name.
        assert planned["LAX003"]["action"] == "no_canonical"

        applied = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert applied.code == 0, applied.stderr
        assert h.smugmug_name("GAME01") == GAME
        assert h.smugmug_name("CUP002") == CUP
        assert h.smugmug_name("LAX003") == "Untitled"
        assert names_of(engine, "GAME01") == {GAME: 30}

        # Named by the standard, named again: nothing changes (no stacked suffixes).
        again = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert again.code == 0, again.stderr
        assert "renamed" not in again.json()["summary"]["actions"]
        assert h.smugmug_name("GAME01") == GAME


def test_level_event_date_through_a_dagster_run(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        add_levels(engine)
        monkeypatch.setenv("ALBUMSYNC_NAMING_STANDARD", "level-event-date")
        (result,) = execute_album_sync_batches(defs, instance, [ALL])
        assert result.success and check_result(result).passed
        assert h.smugmug_name("GAME01") == GAME
        assert h.smugmug_name("CUP002") == CUP
        names = by_album(result, "canonical_album_name")["GAME01"]
        assert names["canonical_name"] == GAME
        assert names["naming_standard"] == "level-event-date"
        assert "prefix" in str(names["differing_parts"])
        renamed = by_album(result, "smugmug_album_name")["GAME01"]
        assert renamed["action"] == "renamed" and "date missing" in str(renamed["reason"])
        enrichment = by_album(result, "album_enrichment")["GAME01"]
        assert (enrichment["level"], enrichment["division"]) == ("high_school", "boys")

        (again,) = execute_album_sync_batches(defs, instance, [ALL])
        assert again.success
        assert {m["action"] for m in by_album(again, "smugmug_album_name").values()} <= {
            "kept",
            "no_canonical",
        }
        assert dg.AssetKey("canonical_album_name") in {
            e.asset_key for e in again.get_asset_materialization_events()
        }
