"""album_sync against a real PostgreSQL: the outcome is read back from the table."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from albumsync_dagster.album_sync import (
    batch_sync_albums,
    count_photos_without_album_key,
    find_inconsistent_albums,
    get_all_album_keys,
    get_photos_without_album_key,
    get_sync_stats,
    sync_album_name,
    verify_album_sync,
)
from albumsync_dagster_tests.photo_rows import audit_rows, insert_photos, names_of, updated_at_of

OLD_STAMP = datetime(2024, 1, 1)


def test_sync_renames_every_row_and_audits(engine):
    insert_photos(engine, "AAA", "old name", 40)
    insert_photos(engine, "AAA", "older name", 10)
    result = sync_album_name(engine, "AAA", "Eagles vs Lions - May 30", changed_by="tester")
    assert result.updated == 50
    assert result.errors == []
    assert names_of(engine, "AAA") == {"Eagles vs Lions - May 30": 50}
    (audit,) = audit_rows(engine, "AAA")
    assert audit.old_name == "old name"  # the name most rows carried
    assert audit.new_name == "Eagles vs Lions - May 30"
    assert audit.changed_by == "tester"
    assert audit.source == "manual"
    assert audit.status == "completed"
    assert audit.rows_updated == 50


def test_second_sync_writes_nothing(engine):
    keys = insert_photos(engine, "AAA", "old", 20)
    assert sync_album_name(engine, "AAA", "new").updated == 20
    stamps = updated_at_of(engine, keys)
    again = sync_album_name(engine, "AAA", "new")
    assert again.updated == 0 and again.errors == []
    assert updated_at_of(engine, keys) == stamps
    assert len(audit_rows(engine, "AAA")) == 1  # no audit row for a no-op


def test_only_differing_rows_are_written_and_stamped(engine):
    same = insert_photos(engine, "AAA", "right", 5, updated_at=OLD_STAMP)
    wrong = insert_photos(engine, "AAA", "wrong", 3, updated_at=OLD_STAMP)
    assert sync_album_name(engine, "AAA", "right").updated == 3
    stamps = updated_at_of(engine, same + wrong)
    assert all(stamps[k] == OLD_STAMP for k in same)
    assert all(stamps[k] > OLD_STAMP for k in wrong)


def test_rows_of_other_albums_are_untouched(engine):
    other = insert_photos(engine, "BBB", "other album", 7, updated_at=OLD_STAMP)
    insert_photos(engine, "AAA", "x", 3)
    sync_album_name(engine, "AAA", "y")
    assert names_of(engine, "BBB") == {"other album": 7}
    assert set(updated_at_of(engine, other).values()) == {OLD_STAMP}


def test_null_names_are_filled(engine):
    insert_photos(engine, "AAA", None, 4)
    insert_photos(engine, "AAA", "named", 2)
    assert sync_album_name(engine, "AAA", "named").updated == 4
    assert names_of(engine, "AAA") == {"named": 6}


@pytest.mark.parametrize(
    "name",
    [
        "O'Brien's \"Cup\" - May 30",
        "100% Effort - Jun 2024",
        r"Back\slash \\ and \n not a newline",
        "⚽ Águilas vs Leões 🦁 - May 30",
        "عربي vs עברית - May 30",
        "x" * 255,
    ],
)
def test_awkward_names_round_trip(engine, name):
    insert_photos(engine, "AAA", "old", 3)
    result = sync_album_name(engine, "AAA", name)
    assert result.errors == [] and result.updated == 3
    assert names_of(engine, "AAA") == {name: 3}
    assert verify_album_sync(engine, "AAA", name).synced


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("x" * 256, "more than 255"),
        ("bad\x00name", "control"),
        ("tab\there", "control"),
        ("  ", "empty"),
    ],
)
def test_invalid_names_are_refused_and_nothing_written(engine, name, reason):
    insert_photos(engine, "AAA", "old", 3)
    result = sync_album_name(engine, "AAA", name)
    assert result.updated == 0
    assert len(result.errors) == 1 and reason in result.errors[0] and "AAA" in result.errors[0]
    assert names_of(engine, "AAA") == {"old": 3}


def test_album_without_rows_is_an_error_not_an_exception(engine):
    result = sync_album_name(engine, "NOPE", "anything")
    assert result.updated == 0
    assert result.errors == ["album NOPE: no photo rows carry this album key; not synced"]
    verification = verify_album_sync(engine, "NOPE", "anything")
    assert not verification.synced and verification.photo_count == 0
    assert "no photo rows" in verification.issues[0]


def test_batch_with_duplicate_key_fails_that_key_only(engine):
    insert_photos(engine, "AAA", "a", 2)
    insert_photos(engine, "BBB", "b", 3)
    result = batch_sync_albums(engine, [("AAA", "one"), ("BBB", "bee"), ("AAA", "two")])
    assert result.success == 1 and result.failed == 1
    assert any("AAA" in e and "2 times" in e for e in result.errors)
    assert names_of(engine, "AAA") == {"a": 2}  # neither name was picked at random
    assert names_of(engine, "BBB") == {"bee": 3}


def test_batch_where_one_album_fails_and_the_others_commit(engine):
    insert_photos(engine, "AAA", "a", 2)
    insert_photos(engine, "CCC", "c", 2)
    result = batch_sync_albums(engine, [("AAA", "A!"), ("MISSING", "m"), ("CCC", "C!")])
    assert (result.success, result.failed) == (2, 1)
    assert result.failed_keys == ["MISSING"]
    assert result.updated_by_album == {"AAA": 2, "CCC": 2}
    assert names_of(engine, "AAA") == {"A!": 2} and names_of(engine, "CCC") == {"C!": 2}
    assert [r.album_key for r in audit_rows(engine)] == ["AAA", "CCC"]


def test_batch_isolates_an_album_the_database_refuses(engine):
    """A trigger refusing one album's rows fails that album; the batch's others commit."""
    insert_photos(engine, "AAA", "a", 2)
    insert_photos(engine, "BAD", "b", 2)
    insert_photos(engine, "CCC", "c", 2)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN IF NEW.album_key = 'BAD' THEN"
                " RAISE EXCEPTION 'album BAD is frozen'; END IF;"
                " RETURN NEW; END $$;"
                "CREATE TRIGGER refuse_bad BEFORE UPDATE ON photo_metadata"
                " FOR EACH ROW EXECUTE FUNCTION refuse_bad()"
            )
        )
    try:
        result = batch_sync_albums(engine, [("AAA", "A2"), ("BAD", "B2"), ("CCC", "C2")])
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER refuse_bad ON photo_metadata"))
            conn.execute(sa.text("DROP FUNCTION refuse_bad()"))
    assert result.failed_keys == ["BAD"]
    assert any("frozen" in e for e in result.errors)
    assert names_of(engine, "BAD") == {"b": 2}
    assert names_of(engine, "AAA") == {"A2": 2} and names_of(engine, "CCC") == {"C2": 2}


def test_batch_is_one_statement_for_many_albums(engine):
    for i in range(30):
        insert_photos(engine, f"K{i:03d}", "old", 5)
    statements: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if "UPDATE photo_metadata" in statement:
            statements.append(statement)

    result = batch_sync_albums(engine, [(f"K{i:03d}", f"new {i}") for i in range(30)])
    assert result.success == 30 and result.updated == 150
    assert len(statements) == 1


def test_verify_reports_the_other_names(engine):
    insert_photos(engine, "AAA", "right", 8)
    insert_photos(engine, "AAA", "wrong", 2)
    v = verify_album_sync(engine, "AAA", "right")
    assert not v.synced and v.photo_count == 10
    assert v.issues == ["album AAA: 2 of 10 rows carry 'wrong' instead of 'right'"]


def test_inconsistent_albums_and_keys(engine):
    insert_photos(engine, "AAA", "one", 3)
    insert_photos(engine, "BBB", "one", 3)
    insert_photos(engine, "BBB", "two", 1)
    insert_photos(engine, "CCC", None, 2)
    insert_photos(engine, "CCC", "named", 2)
    insert_photos(engine, "DDD", None, 2)  # no name at all: one (empty) name, not two
    insert_photos(engine, None, "lost", 4)
    assert find_inconsistent_albums(engine) == ["BBB", "CCC"]
    infos = {i.album_key: i for i in get_all_album_keys(engine)}
    assert set(infos) == {"AAA", "BBB", "CCC", "DDD"}
    assert infos["BBB"].photo_count == 4 and infos["BBB"].album_name == "one"
    assert count_photos_without_album_key(engine) == 4
    assert [p.album_name for p in get_photos_without_album_key(engine)] == ["lost"] * 4


def test_stats(engine):
    insert_photos(engine, "AAA", "a", 3, updated_at=datetime.now())
    insert_photos(engine, "BBB", "b", 2)
    insert_photos(engine, None, None, 5)
    stats = get_sync_stats(engine)
    assert stats.total_albums == 2
    assert stats.total_photos == 10
    assert stats.photos_with_album_key == 5
    assert stats.photos_without_album_key == 5
    assert stats.recently_updated == 3


def test_stats_on_an_empty_table(engine):
    stats = get_sync_stats(engine)
    assert (stats.total_albums, stats.total_photos, stats.recently_updated) == (0, 0, 0)
    assert find_inconsistent_albums(engine) == []
    assert get_all_album_keys(engine) == []
