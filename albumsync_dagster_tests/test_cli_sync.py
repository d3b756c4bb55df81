"""``albumsync sync``, ``lock``, ``unlock``, ``rollback`` and ``repair`` run as commands."""

from __future__ import annotations

from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.sports_account import TZ, sports_harness


def env_for(h, database_url):
    return {
        **h.emulator.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "ALBUMSYNC_BATCH_SIZE": "3",
    }


def test_sync_needs_an_explicit_mode(engine, database_url):
    with sports_harness(engine) as h:
        result = run_cli("sync", "--all", env=env_for(h, database_url))
        assert result.code == 2
        assert "--dry-run" in result.stderr and "--apply" in result.stderr
        both = run_cli("sync", "--dry-run", "--apply", "--all", env=env_for(h, database_url))
        assert both.code == 2
        neither = run_cli("sync", "--apply", env=env_for(h, database_url))
        assert neither.code == 2 and "--album-key" in neither.stderr


def test_sync_all_dry_run_then_apply_then_nothing(engine, database_url):
    with sports_harness(engine) as h:
        env = env_for(h, database_url)
        dry = run_cli("sync", "--all", "--dry-run", env=env)
        assert dry.code == 0, dry.stderr
        # A photographer's summary: names, no album keys (issue 12); --verbose adds them.
        assert "'eagles v lions' → 'Eagles vs Lions - May 30'" in dry.stdout
        assert "2 would be renamed, 1 kept as they were, 1 need a person" in dry.stdout
        assert "GAME01" not in dry.stdout
        verbose = run_cli("sync", "--all", "--dry-run", "--verbose", env=env)
        assert "GAME01  'eagles v lions' -> 'Eagles vs Lions - May 30'" in verbose.stdout
        assert "would_rename" in verbose.stdout
        assert h.smugmug_name("GAME01") == "eagles v lions"

        applied = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert applied.code == 0, applied.stderr
        payload = applied.json()
        assert payload["summary"]["actions"] == {"renamed": 2, "kept": 1, "no_canonical": 1}
        assert payload["summary"]["albums"] == 4
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"
        assert names_of(engine, "GAME01") == {"Eagles vs Lions - May 30": 30}

        again = run_cli("sync", "--all", "--apply", "--json", env=env)
        summary = again.json()["summary"]
        assert summary["rows_updated"] == 0 and "renamed" not in summary["actions"]

        verify = run_cli("verify", env=env)
        assert verify.code == 0, verify.stdout


def test_sync_one_album_with_threshold(engine, database_url):
    with sports_harness(engine) as h:
        env = env_for(h, database_url)
        high = run_cli("sync", "--album-key", "GAME01", "--apply", "--threshold", "100", env=env)
        assert high.code == 0 and "kept" in high.stdout
        assert h.smugmug_name("GAME01") == "eagles v lions"


def test_lock_unlock_and_rollback_commands(engine, database_url):
    with sports_harness(engine) as h:
        env = env_for(h, database_url)
        assert run_cli("lock", "GAME01", "--reason", "client's choice", env=env).code == 0
        run_cli("sync", "--album-key", "GAME01", "--apply", env=env)
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert run_cli("unlock", "GAME01", env=env).code == 0
        run_cli("sync", "--album-key", "GAME01", "--apply", env=env)
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"

        preview = run_cli("rollback", "--since", "1h", "--dry-run", "--json", env=env)
        assert preview.code == 0
        assert [a["action"] for a in preview.json()["albums"]] == ["would_restore"]
        done = run_cli("rollback", "--since", "1h", "--apply", env=env)
        assert done.code == 0, done.stdout + done.stderr
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        bad = run_cli("rollback", "--since", "soon", "--apply", env=env)
        assert bad.code == 2 and "--since" in bad.stderr

        repair = run_cli("repair", "--json", env=env)
        assert repair.code == 0 and repair.json() == []
