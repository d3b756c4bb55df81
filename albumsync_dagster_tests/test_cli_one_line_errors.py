"""What a person gets wrong before anything runs is one line, exit code 2, no traceback:
a database not migrated, a URL with an unencoded password, SmugMug credentials refused."""

from __future__ import annotations

import pytest

from albumsync_dagster_tests.cli_runner import one_error_line, run_cli


@pytest.mark.parametrize(
    "command",
    [
        ("stats",),
        ("verify",),
        ("sync", "--all", "--dry-run"),
        ("rollback", "--since", "1h", "--dry-run"),
    ],
)
def test_commands_before_migrate_say_to_run_it(empty_database_url, smugmug_emulator, command):
    env = {"ALBUMSYNC_DATABASE_URL": empty_database_url, **smugmug_emulator.env()}
    line = one_error_line(run_cli(*command, env=env))
    assert line.startswith("error: the database is not migrated")
    assert line.endswith("run `albumsync migrate` first")
    assert smugmug_emulator.store.album_name("Un7Tq4") == "Untitled"


@pytest.mark.parametrize(
    ("password", "where"),
    [
        ("S3cr@tPw", "more than one '@' before the host"),
        ("S3cr/etPw", "a '/' comes before the '@'"),
        ("S3cr?etPw", "a '?' comes before the '@'"),
        ("S3cr#etPw", "a '#' appears in it"),
    ],
)
def test_an_unencoded_password_gets_the_percent_encoding_hint(password, where):
    url = f"postgresql://albumsync:{password}@db.example.invalid:5432/postgres"
    for command in (("stats",),) if "#" in password else (("stats",), ("migrate",)):
        result = run_cli(*command, env={"ALBUMSYNC_DATABASE_URL": url})
        line = one_error_line(result)
        assert "the database URL cannot be parsed" in line and where in line
        assert "special characters in the password must be percent-encoded" in line
        for piece in (password, password[:4], password[5:]):
            assert piece not in result.stdout + result.stderr


def test_an_encoded_password_is_accepted_as_far_as_the_connection():
    url = "postgresql://albumsync:S3cr%40t%2FPw@127.0.0.1:1/postgres"
    line = one_error_line(run_cli("stats", env={"ALBUMSYNC_DATABASE_URL": url}))
    assert "cannot reach PostgreSQL at host 127.0.0.1, port 1, database postgres" in line
    assert "S3cr" not in line


@pytest.mark.parametrize(
    "command", [("repair",), ("rollback", "--since", "1h", "--apply"), ("backfill-album-keys",)]
)
def test_refused_smugmug_credentials_fail_even_with_nothing_to_do(
    engine, database_url, smugmug_emulator, command
):
    env = {
        "ALBUMSYNC_DATABASE_URL": database_url,
        **smugmug_emulator.env(),
        "SMUGMUG_ACCESS_TOKEN_SECRET": "not-the-secret",
    }
    line = one_error_line(run_cli(*command, env=env))
    assert "!authuser" in line and "401" in line
    assert "not-the-secret" not in line
    good = run_cli(*command, env={**env, **smugmug_emulator.env()})
    assert good.code == 0, good.stderr
