"""The album mutex as a lease row: exclusion, renewal, a dropped connection, a lost lease."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from albumsync_dagster.locks import AlbumBusy, AlbumLeaseLost, album_mutex
from albumsync_dagster.workflow import FAILED, rename_on_smugmug
from albumsync_dagster_tests.sports_account import sports_harness

PACKAGE = Path(__file__).resolve().parents[1] / "albumsync_dagster"
CANONICAL = "Eagles vs Lions - May 30"


def lease_rows(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text("SELECT album_key, owner FROM album_leases"))
        ]


def test_a_held_album_is_busy_for_others_and_free_after(engine):
    with album_mutex(engine, "GAME01", wait_seconds=1) as lease:
        assert lease_rows(engine) == [("GAME01", lease.owner)]
        started = time.monotonic()
        busy = r"album GAME01: another process is renaming it \(waited 0.5 s; held by "
        with pytest.raises(AlbumBusy, match=busy), album_mutex(engine, "GAME01", wait_seconds=0.5):
            pass
        assert time.monotonic() - started >= 0.5
        with album_mutex(engine, "CUP002", wait_seconds=0):  # other albums are free
            pass
    assert lease_rows(engine) == []
    with album_mutex(engine, "GAME01", wait_seconds=0):
        pass


def test_a_waiter_gets_the_album_when_the_holder_releases(engine):
    order: list[str] = []

    def hold() -> None:
        with album_mutex(engine, "GAME01"):
            order.append("first in")
            time.sleep(0.6)
            order.append("first out")

    holder = threading.Thread(target=hold)
    holder.start()
    while not lease_rows(engine):
        time.sleep(0.01)
    with album_mutex(engine, "GAME01", wait_seconds=10):
        order.append("second in")
    holder.join()
    assert order == ["first in", "first out", "second in"]


def test_the_lease_is_renewed_while_held_and_an_expired_one_is_taken(engine):
    with album_mutex(engine, "GAME01", lease_seconds=2) as lease:
        time.sleep(3)  # longer than the lease: the renewer keeps it
        with pytest.raises(AlbumBusy), album_mutex(engine, "GAME01", wait_seconds=0):
            pass
        lease.ensure_held()
    # A holder that died: its row stays until it expires, then it is taken over.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO album_leases (album_key, owner, expires_at)"
                " VALUES ('GAME01', 'dead', now() + interval '1 second')"
            )
        )
    with album_mutex(engine, "GAME01", wait_seconds=5) as lease:
        assert lease_rows(engine) == [("GAME01", lease.owner)]


def test_the_lease_survives_its_connections_being_terminated(engine):
    with album_mutex(engine, "GAME01", lease_seconds=2) as lease:
        with engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        time.sleep(1.5)  # a renewal runs on a new connection
        lease.ensure_held()
        with pytest.raises(AlbumBusy), album_mutex(engine, "GAME01", wait_seconds=0):
            pass
    assert lease_rows(engine) == []


def wait_until_lost(lease, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not lease.lost and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_lease_found_lost_by_its_renewal_stops_the_holder(engine):
    with album_mutex(engine, "GAME01", lease_seconds=2) as lease:
        lease.ensure_held()
        # As if it had expired and another process had taken it.
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE album_leases SET owner = 'another process'"))
        wait_until_lost(lease)  # the next renewal (every 2/3 s) finds it
        with pytest.raises(AlbumLeaseLost, match="album GAME01: .* taken over; not renamed"):
            lease.ensure_held()
    # Releasing a lease that is no longer ours leaves the new holder's row alone.
    assert lease_rows(engine) == [("GAME01", "another process")]


def test_a_rename_whose_lease_is_taken_during_the_re_read_sends_no_patch(engine, monkeypatch):
    monkeypatch.setenv("ALBUMSYNC_LEASE_SECONDS", "2")
    with sports_harness(engine) as h:
        h.emulator.faults.slow_album("GAME01", 2.0)

        def take_over() -> None:
            # While the renamer waits for SmugMug, its lease passes to another process.
            while not lease_rows(engine):
                time.sleep(0.01)
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE album_leases SET owner = 'another process'"))

        thief = threading.Thread(target=take_over)
        thief.start()
        outcome = rename_on_smugmug(
            engine,
            h.client,
            "GAME01",
            expected_current="eagles v lions",
            new_name=CANONICAL,
            changed_by="test",
            source="test",
        )
        thief.join()
        assert outcome.action == FAILED and "lease" in outcome.reason, outcome
        assert h.emulator.log.count("PATCH") == 0
        assert h.smugmug_name("GAME01") == "eagles v lions"
        with engine.connect() as conn:
            intents = conn.execute(sa.text("SELECT count(*) FROM album_name_changes")).scalar()
        assert intents == 0


def test_the_package_keeps_no_session_state(engine):
    """Transaction-pooler safety by construction: no session advisory lock, no session-level
    SET of a server setting, no engine made outside ``db.create_engine`` (which turns psycopg's
    prepared statements off)."""
    with engine.connect() as conn:
        settings = {r[0].lower() for r in conn.execute(sa.text("SELECT name FROM pg_settings"))}
    session_lock = re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(|pg_advisory_unlock_all")
    # UPDATE ... SET column = is fine; SET lock_timeout = ... (not SET LOCAL) is not.
    set_statement = re.compile(r"\b(?:SET\s+(?:SESSION\s+)?|RESET\s+)(\w+)", re.I)
    session_config = re.compile(r"set_config\([^)]*,\s*false\s*\)", re.I)
    engine_made = re.compile(r"\b(sa|sqlalchemy)\.create_engine\(|psycopg\.connect\(")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.parent.glob("sql/*.sql")):
        text = path.read_text()
        found = [m.group(0) for m in session_lock.finditer(text)]
        found += [m.group(0) for m in session_config.finditer(text)]
        found += [m.group(0) for m in set_statement.finditer(text) if m[1].lower() in settings]
        if path.name != "db.py":
            found += [m.group(0) for m in engine_made.finditer(text)]
        offenders += [f"{path.relative_to(PACKAGE.parent)}: {f}" for f in found]
    assert offenders == []
