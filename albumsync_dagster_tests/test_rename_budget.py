"""The daily rename budget: renames on SmugMug in any 24 h never exceed it, across processes."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
from albumsync_dagster.definitions import defs
from albumsync_dagster.rename_budget import rename_budget
from albumsync_dagster.schema import album_enrichment, photo_metadata
from albumsync_dagster.settings import Settings
from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.photo_rows import audit_rows, names_of, photo_row
from albumsync_dagster_tests.sports_account import sports_harness
from albumsync_dagster_tests.test_album_sync_job import ALL, by_album, check_result, harness
from albumsync_dagster_tests.test_cli_sync import env_for

REASON = "daily rename budget of 1 reached; renamed on a later run"


def renamed_on_smugmug(engine: sa.Engine) -> list[str]:
    return sorted(r.album_key for r in audit_rows(engine) if r.smugmug_renamed == "yes")


def test_over_the_budget_an_album_is_deferred_not_failed(engine, database_url):
    with sports_harness(engine) as h:
        env = env_for(h, database_url)
        dry = run_cli("sync", "--all", "--dry-run", "--max-renames-per-day", "1", env=env)
        assert dry.code == 0, dry.stderr
        assert "the daily rename budget allows 1 more now (0 of 1 used in the last 24 h)" in (
            dry.stdout
        )
        assert dry.stdout.count(" would_rename: ") == 1 and dry.stdout.count(" deferred: ") == 1

        applied = run_cli(
            "sync", "--all", "--apply", "--max-renames-per-day", "1", "--json", env=env
        )
        assert applied.code == 0, applied.stderr  # deferred is not a failure
        albums = {a["album_key"]: a for a in applied.json()["albums"]}
        assert applied.json()["summary"]["actions"] == {
            "renamed": 1,
            "deferred": 1,
            "kept": 1,
            "no_canonical": 1,
        }
        (deferred,) = [a for a in albums.values() if a["action"] == "deferred"]
        assert deferred["reason"] == REASON
        # Its rows still follow SmugMug (which kept its name).
        assert deferred["synced"] is True
        assert names_of(engine, deferred["album_key"]) == {
            h.smugmug_name(deferred["album_key"]): deferred["photo_rows"]
        }
        assert len(renamed_on_smugmug(engine)) == 1

        # Within the same 24 h the budget stays spent; a larger one lets the album through.
        again = run_cli("sync", "--all", "--apply", "--max-renames-per-day", "1", "--json", env=env)
        assert again.json()["summary"]["actions"].get("deferred") == 1
        env["ALBUMSYNC_MAX_RENAMES_PER_DAY"] = "2"
        larger = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert larger.code == 0 and larger.json()["summary"]["actions"].get("renamed") == 1
        assert len(renamed_on_smugmug(engine)) == 2


def test_renames_older_than_24_hours_leave_the_budget(engine):
    with sports_harness(engine):
        assert rename_budget(engine, 3).left == 3
        with engine.begin() as conn:
            for hours in (1, 23, 25):
                conn.execute(
                    sa.text(
                        "INSERT INTO album_name_changes (album_key, old_name, new_name, changed_at,"
                        " changed_by, source, status, smugmug_renamed) VALUES ('GAME01', 'a', 'b',"
                        " now() - make_interval(hours => :h), 'test', 'cli', 'completed', 'yes')"
                    ),
                    {"h": hours},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO album_name_changes (album_key, old_name, new_name, changed_by,"
                    " source, status, smugmug_renamed) VALUES ('GAME01', 'a', 'b', 'test', 'cli',"
                    " 'failed', 'no')"
                )
            )
        budget = rename_budget(engine, 3)
        assert (budget.used, budget.left) == (2, 1)


def test_the_setting_and_its_bounds():
    assert Settings.from_env({}).max_renames_per_day == 100
    assert Settings.from_env({"ALBUMSYNC_MAX_RENAMES_PER_DAY": "5"}).max_renames_per_day == 5
    with pytest.raises(ValueError, match="ALBUMSYNC_MAX_RENAMES_PER_DAY"):
        Settings.from_env({"ALBUMSYNC_MAX_RENAMES_PER_DAY": "lots"})


def test_a_dagster_run_defers_over_its_run_config_budget(engine, database_url, monkeypatch):
    with harness(engine, database_url, monkeypatch) as (h, instance):
        (result,) = execute_album_sync_batches(defs, instance, [ALL], max_renames_per_day=1)
        assert result.success and check_result(result).passed
        actions = {k: m["action"] for k, m in by_album(result, "smugmug_album_name").items()}
        assert sorted(actions.values()) == ["deferred", "kept", "no_canonical", "renamed"]
        deferred = [k for k, a in actions.items() if a == "deferred"]
        assert by_album(result, "smugmug_album_name")[deferred[0]]["reason"] == REASON
        assert len(renamed_on_smugmug(engine)) == 1
        proposals = check_result(result).metadata["rename_proposals"].value
        assert "deferred" in str(proposals)


def test_proposals_as_csv_for_a_person_to_review(engine, database_url, tmp_path):
    with sports_harness(engine) as h:
        env = env_for(h, database_url)
        out = tmp_path / "proposals.csv"
        dry = run_cli(
            "sync", "--all", "--dry-run", "--max-renames-per-day", "1", "--csv", str(out), env=env
        )
        assert dry.code == 0, dry.stderr
        with out.open(newline="", encoding="utf-8") as f:
            rows = {r["album_key"]: r for r in csv.DictReader(f)}
        assert set(rows) == set(ALL)
        game = rows["GAME01"]
        assert game["current_name"] == "eagles v lions"
        assert game["proposed_name"] == "Eagles vs Lions - May 30"
        assert int(game["drift_score"]) > 20 and game["parts_that_differ"]
        assert {rows["GAME01"]["deferred_by_budget"], rows["LAX003"]["deferred_by_budget"]} == {
            "yes",
            "no",
        }
        assert rows["CUP002"]["deferred_by_budget"] == "no" and rows["CUP002"]["action"] == "kept"
        assert h.smugmug_name("GAME01") == "eagles v lions"  # a dry run changes nothing


# --- two processes at once ----------------------------------------------------------------

MANY = 8
BUDGET = 5


@contextmanager
def many_untitled(engine: sa.Engine) -> Iterator[object]:
    """``MANY`` albums called "Untitled", each with an event: every one wants a rename."""
    from albumsync_dagster.emulator import EmulatorStore, run_emulator

    start = datetime(2024, 5, 4, 15, tzinfo=UTC)
    albums = []
    for n in range(MANY):
        images = [
            {
                "image_key": f"m{n}i{i}",
                "file_name": f"IMG_{i}.JPG",
                "date_time_original": (start + timedelta(days=n, minutes=i)).isoformat(),
                "origin": "Album",
            }
            for i in range(3)
        ]
        albums.append({"key": f"MANY{n:02d}", "name": "Untitled", "images": images})
    store = EmulatorStore.from_dict({"nickname": "many", "timezone": "UTC", "albums": albums})
    with engine.begin() as conn:
        conn.execute(
            sa.insert(album_enrichment),
            [{"album_key": f"MANY{n:02d}", "event_name": f"Cup {n}"} for n in range(MANY)],
        )
        conn.execute(
            sa.insert(photo_metadata),
            [
                photo_row(f"m{n}i{i}", f"MANY{n:02d}", "Untitled", photo_date=None)
                for n in range(MANY)
                for i in range(3)
            ],
        )
    with run_emulator(store, port=0) as emulator:
        yield emulator


SYNC_SCRIPT = textwrap.dedent(
    """
    import sys
    from albumsync_dagster.db import create_engine
    from albumsync_dagster.settings import Settings
    from albumsync_dagster.smugmug import SmugMugClient
    from albumsync_dagster.workflow import sync_albums

    keys = sys.argv[1].split(",")
    engine = create_engine()
    with SmugMugClient.from_env() as client:
        outcomes = sync_albums(engine, client, keys, settings=Settings.from_env(), dry_run=False)
    print(",".join(o.action for o in outcomes))
    """
)


def test_two_processes_at_once_never_exceed_the_budget(engine, database_url):
    with many_untitled(engine) as emulator:
        keys = [f"MANY{n:02d}" for n in range(MANY)]
        env = {
            **emulator.env(),  # type: ignore[attr-defined]
            "ALBUMSYNC_DATABASE_URL": database_url,
            "ALBUMSYNC_MAX_RENAMES_PER_DAY": str(BUDGET),
            "SMUGMUG_REQUESTS_PER_SECOND": "0",
        }
        import os

        # One process walks the albums forwards, the other backwards: both want the last slots.
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", SYNC_SCRIPT, ",".join(order)],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for order in (keys, keys[::-1])
        ]
        results = [p.communicate(timeout=300) for p in processes]
        for process, (_out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err
        renamed = renamed_on_smugmug(engine)
        assert len(renamed) == BUDGET, results
        on_smugmug = [k for k in keys if emulator.store.album_name(k) != "Untitled"]  # type: ignore[attr-defined]
        assert sorted(on_smugmug) == renamed
        actions = ",".join(out for out, _ in results)
        assert actions.count("deferred") >= MANY - BUDGET
