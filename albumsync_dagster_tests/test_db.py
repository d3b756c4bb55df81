"""Connecting: clear errors, no password shown, the embedded server shared by processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from albumsync_dagster.db import DatabaseUnavailable, create_engine, describe_url, sqlalchemy_url


def test_plain_supabase_url_maps_to_psycopg():
    url = "postgresql://user:pw@db.abc.supabase.co:5432/postgres?sslmode=require"
    assert sqlalchemy_url(url).startswith("postgresql+psycopg://user:pw@db.abc.supabase.co")
    assert describe_url(url) == "host db.abc.supabase.co, port 5432, database postgres"


def test_unreachable_database_is_one_clear_line_without_password():
    with pytest.raises(DatabaseUnavailable) as info:
        create_engine("postgresql://bob:hunter2secret@127.0.0.1:1/photos")
    message = str(info.value)
    assert "host 127.0.0.1, port 1, database photos" in message
    assert "hunter2secret" not in message
    assert "\n" not in message


def test_unknown_database_named(server_url):
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url(server_url)).set(database="no_such_db_xyz")
    with pytest.raises(DatabaseUnavailable, match="no_such_db_xyz"):
        create_engine(url.render_as_string(hide_password=False))


def test_two_processes_start_the_embedded_server_at_once(tmp_path):
    """Both get a working URL to one server; the data directory is initialised once."""
    script = textwrap.dedent(
        f"""
        import sqlalchemy as sa
        from pathlib import Path
        from albumsync_dagster.db import create_engine, start_embedded_postgres
        url = start_embedded_postgres(Path({str(tmp_path)!r}) / "pgdata")
        e = create_engine(url, check=False)
        with e.connect() as c:
            print(c.execute(sa.text("SELECT inet_server_port() IS NULL, current_database()")).one())
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for (out, err), p in zip(outputs, procs, strict=True):
        assert p.returncode == 0, err
        assert "albumsync" in out
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()
