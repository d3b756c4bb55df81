"""Database faults injected in PostgreSQL itself: a connection terminated mid-statement, and
every connection of the test database terminated while something is in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@contextmanager
def connection_dies_writing(
    engine: Engine, table: str, album_key: str, *, times: int = 1
) -> Iterator[None]:
    """While inside, the first ``times`` writes (insert or update) of ``album_key``'s rows in
    ``table`` terminate their own connection (``pg_terminate_backend(pg_backend_pid())``): the
    connection is lost in the middle of the statement, its transaction rolled back. The count
    is a sequence, which a rollback does not undo."""
    quoted = album_key.replace("'", "''")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SEQUENCE IF NOT EXISTS injected_fault_shots"))
        conn.execute(sa.text("SELECT setval('injected_fault_shots', 1, false)"))
        conn.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION injected_connection_loss() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.album_key = '{quoted}'"
                f" AND nextval('injected_fault_shots') <= {int(times)} THEN"
                " PERFORM pg_terminate_backend(pg_backend_pid()); END IF;"
                " RETURN NEW; END $$"
            )
        )
        conn.execute(
            sa.text(
                f"CREATE TRIGGER injected_connection_loss BEFORE INSERT OR UPDATE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION injected_connection_loss()"
            )
        )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS injected_connection_loss ON {table}"))
            conn.execute(sa.text("DROP FUNCTION IF EXISTS injected_connection_loss()"))
            conn.execute(sa.text("DROP SEQUENCE IF EXISTS injected_fault_shots"))


def terminate_other_connections(engine: Engine) -> int:
    """Terminate every other connection to the test database; how many there were."""
    with engine.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        conn.rollback()
    return int(killed)


@contextmanager
def terminate_connections_when(
    url_engine: Engine, condition: Callable[[], bool], *, timeout: float = 30.0
) -> Iterator[list[int]]:
    """In a thread: as soon as ``condition()`` holds, terminate every other connection to the
    database (once). Yields a list that receives how many were terminated."""
    killed: list[int] = []
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while not done.is_set() and time.monotonic() < deadline:
            if condition():
                killed.append(terminate_other_connections(url_engine))
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield killed
    finally:
        done.set()
        thread.join(timeout=5)
