"""``albumsync migrate``, ``stats`` and ``verify`` run as commands against a real database."""

from __future__ import annotations

from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.photo_rows import insert_photos


def env_for(url: str) -> dict[str, str]:
    return {"ALBUMSYNC_DATABASE_URL": url}


def test_migrate_twice(empty_database_url):
    first = run_cli("migrate", "--json", env=env_for(empty_database_url))
    assert first.code == 0, first.stderr
    assert len(first.json()["applied"]) >= 4
    second = run_cli("migrate", env=env_for(empty_database_url))
    assert second.code == 0
    assert "0 migration(s) applied" in second.stdout


def test_stats_json(engine, database_url):
    insert_photos(engine, "AAA", "a", 3)
    insert_photos(engine, None, None, 2)
    result = run_cli("stats", "--json", env=env_for(database_url))
    assert result.code == 0, result.stderr
    assert result.json() == {
        "total_albums": 1,
        "total_photos": 5,
        "photos_with_album_key": 3,
        "photos_without_album_key": 2,
        "recently_updated": 0,
    }


def test_verify_passes_when_every_album_has_one_name(engine, database_url):
    insert_photos(engine, "AAA", "Eagles vs Lions - May 30", 3)
    insert_photos(engine, "BBB", "Cup - Jun 2024", 2)
    result = run_cli("verify", env=env_for(database_url))
    assert result.code == 0, result.stdout + result.stderr
    assert "✓ AAA  'Eagles vs Lions - May 30'  (3 photos)" in result.stdout
    assert "2 album(s) in sync, 0 out of sync" in result.stdout


def test_verify_fails_and_names_the_album_out_of_sync(engine, database_url):
    insert_photos(engine, "AAA", "right", 3)
    insert_photos(engine, "BBB", "one", 2)
    insert_photos(engine, "BBB", "two", 1)
    result = run_cli("verify", "--verbose", env=env_for(database_url))
    assert result.code == 1
    assert "✗ BBB" in result.stdout
    assert "1 album(s) in sync, 1 out of sync" in result.stdout
    data = run_cli("verify", "--json", env=env_for(database_url))
    assert data.code == 1
    payload = data.json()
    assert payload["albums_out_of_sync"] == 1
    bad = next(a for a in payload["albums"] if a["album_key"] == "BBB")
    assert bad["names"] == [{"name": "one", "photos": 2}, {"name": "two", "photos": 1}]


def test_verify_one_album(engine, database_url):
    insert_photos(engine, "AAA", "right", 3)
    ok = run_cli("verify", "--album-key", "AAA", "--json", env=env_for(database_url))
    assert ok.code == 0 and ok.json()["albums_checked"] == 1
    missing = run_cli("verify", "--album-key", "ZZZ", env=env_for(database_url))
    assert missing.code == 1
    assert "no photo rows" in missing.stdout


def test_unreachable_database_exits_2_with_one_line():
    result = run_cli(
        "stats", env={"ALBUMSYNC_DATABASE_URL": "postgresql://u:s3cr3tpw@127.0.0.1:1/photos"}
    )
    assert result.code == 2
    assert "cannot reach PostgreSQL at host 127.0.0.1, port 1, database photos" in result.stderr
    assert "s3cr3tpw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
