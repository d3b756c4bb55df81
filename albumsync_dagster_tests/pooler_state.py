"""What a client can leave behind on a pooled server connection: prepared statements, changed
settings, advisory locks. Read through the pooler itself (on every server connection it has
for the database) and, for locks, directly."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import psycopg

from albumsync_dagster_tests.pgbouncer import POOL_SIZE, libpq_url

# Parameters PgBouncer itself sets on a server connection to match each client's startup
# packet; any other setting changed with SET was left there by a client.
POOLER_TRACKED = (
    "client_encoding",
    "DateStyle",
    "TimeZone",
    "standard_conforming_strings",
    "application_name",
)


@dataclass(frozen=True)
class ServerConnectionState:
    backend_pid: int
    prepared_statements: list[str]
    session_settings: list[str]  # name=value of every setting changed by a plain SET


def pooled_server_states(pooled_url: str) -> list[ServerConnectionState]:
    """The state of each server connection the pooler has for the database.

    ``POOL_SIZE`` clients each hold a transaction open at once, so each is given a server
    connection of its own: together they see every one the pool has.
    """
    states = []
    with ExitStack() as stack:
        conns = [
            stack.enter_context(psycopg.connect(pooled_url, prepare_threshold=None))
            for _ in range(POOL_SIZE)
        ]
        for conn in conns:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()
            prepared = conn.execute("SELECT name FROM pg_prepared_statements").fetchall()
            settings = conn.execute(
                "SELECT name || '=' || setting FROM pg_settings WHERE source = 'session'"
                " AND name <> ALL(%s)",
                [list(POOLER_TRACKED)],
            ).fetchall()
            assert pid is not None
            states.append(
                ServerConnectionState(
                    int(pid[0]), [r[0] for r in prepared], [r[0] for r in settings]
                )
            )
        for conn in conns:
            conn.rollback()
    return states


def advisory_locks(direct_url: str) -> list[str]:
    """Advisory locks held in the database (any session), as ``pid:objid``."""
    with psycopg.connect(libpq_url(direct_url), prepare_threshold=None) as conn:
        rows = conn.execute(
            "SELECT l.pid || ':' || l.objid FROM pg_locks l JOIN pg_database d"
            " ON d.oid = l.database WHERE l.locktype = 'advisory'"
            " AND d.datname = current_database()"
        ).fetchall()
    return [r[0] for r in rows]
