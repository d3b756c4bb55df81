"""A scratch database for a benchmark: made on a PostgreSQL server, dropped with its
connections when the benchmark is done."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from albumsync_dagster.db import create_engine, sqlalchemy_url


@contextlib.contextmanager
def scratch_database(
    server_url: str, prefix: str = "albumsync_bench"
) -> Iterator[tuple[str, sa.Engine]]:
    """A new empty database on ``server_url``'s server: (its URL for psycopg 3, an engine)."""
    admin = create_engine(server_url, check=False, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(sqlalchemy_url(server_url)).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    engine = create_engine(rendered)
    try:
        yield rendered, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
