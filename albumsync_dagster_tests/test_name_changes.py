"""The rename ledger against a real PostgreSQL: its states are the database's, its transitions
move only open changes, and the one album-name rule is shared by the rows and the client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from albumsync_dagster import name_changes
from albumsync_dagster.album_sync import name_problem
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.schema import album_name_changes
from albumsync_dagster.smugmug import SmugMugInvalidName, validate_album_name


def _checked_values(engine, constraint: str) -> set[str]:
    with engine.connect() as conn:
        definition = conn.execute(
            sa.text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n"),
            {"n": constraint},
        ).scalar_one()
    return set(re.findall(r"'([a-z]+)'", definition))


def test_the_database_checks_exactly_the_enum_values(engine):
    assert _checked_values(engine, "album_name_changes_status_check") == set(Status)
    assert _checked_values(engine, "album_name_changes_smugmug_renamed_check") == set(
        SmugMugRenamed
    )
    declared = {c.name: str(c.sqltext) for c in album_name_changes.constraints if c.name}
    assert set(re.findall(r"'([a-z]+)'", declared["album_name_changes_status_check"])) == set(
        Status
    )


@pytest.mark.parametrize("column", ["status", "smugmug_renamed"])
def test_a_state_outside_the_enum_is_refused(engine, column):
    change_id = name_changes.write_intent(engine, "AAA", "old", "new", changed_by="t", source="t")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.update(album_name_changes)
            .where(album_name_changes.c.id == change_id)
            .values({column: "done"})
        )


def test_complete_moves_an_open_change_once(engine):
    change_id = name_changes.write_intent(engine, "AAA", "old", "new", changed_by="t", source="t")
    with engine.begin() as conn:
        assert name_changes.complete(conn, change_id, 3) is True
    with engine.begin() as conn:
        assert name_changes.complete(conn, change_id, 4) is False
    assert name_changes.fail(engine, change_id, "late") is False
    change = name_changes.get_change(engine, change_id)
    assert change is not None
    assert (change.status, change.smugmug_renamed, change.rows_updated, change.error) == (
        Status.COMPLETED,
        SmugMugRenamed.YES,
        3,
        None,
    )
    assert name_changes.names_we_set(engine, ["AAA"]) == {"AAA": "new"}


def test_an_unknown_change_stays_open_until_settled(engine):
    change_id = name_changes.write_intent(engine, "AAA", "old", "new", changed_by="t", source="t")
    day = timedelta(hours=24)
    until = name_changes.mark_unknown(engine, change_id, "time-out", recheck_for=day)
    assert until is not None
    assert name_changes.mark_unknown(engine, change_id, "again", recheck_for=timedelta()) is None
    (open_change,) = name_changes.open_changes(engine, ["AAA"])
    assert (open_change.status, open_change.smugmug_renamed) == (
        Status.UNKNOWN,
        SmugMugRenamed.UNKNOWN,
    )
    assert open_change.recheck_until == until
    assert name_changes.names_we_set(engine, ["AAA"]) == {}  # not ours until SmugMug says so
    assert name_changes.fail(engine, change_id, "never reached SmugMug") is True
    assert name_changes.open_changes(engine) == []
    failed = name_changes.get_change(engine, change_id)
    assert failed is not None and failed.recheck_until is None


def test_changes_since_returns_typed_rows_newest_first(engine):
    first = name_changes.write_intent(engine, "AAA", "a", "b", changed_by="t", source="t")
    second = name_changes.write_intent(engine, "BBB", "c", "d", changed_by="t", source="t")
    name_changes.fail(engine, first, "refused")
    rows = name_changes.changes_since(engine, datetime(2000, 1, 1).astimezone())
    assert [r.id for r in rows] == [second, first]
    assert all(isinstance(r, name_changes.NameChange) for r in rows)
    assert rows[1].status is Status.FAILED and rows[1].smugmug_renamed is SmugMugRenamed.NO
    pending = name_changes.changes_since(
        engine, datetime(2000, 1, 1).astimezone(), statuses=[Status.PENDING]
    )
    assert [r.album_key for r in pending] == ["BBB"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("x" * 256, "more than 255"),
        ("tab\there", "control character"),
        ("\x85next", "control character"),
        ("half \ud800 pair", "surrogate"),
        (None, "must be text"),
    ],
)
def test_one_name_rule_for_rows_and_client(name, reason):
    problem = name_problem(name)
    assert problem is not None and reason in problem
    with pytest.raises(SmugMugInvalidName) as raised:
        validate_album_name(name, album_key="AAA")
    assert reason in str(raised.value) and "AAA" in str(raised.value)


def test_blank_names_are_smugmugs_to_hold_and_never_ours_to_set():
    assert validate_album_name("") == ""  # SmugMug allows 0 characters
    assert name_problem("  ") == "name is empty"
    assert name_problem("  ", blank_allowed=True) is None
