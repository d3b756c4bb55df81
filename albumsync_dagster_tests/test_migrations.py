"""Migrations on a real, empty PostgreSQL database, and on a table made elsewhere."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from albumsync_dagster.db import create_engine
from albumsync_dagster.migrations import MigrationError, migrate, sql_directory


def columns(engine, table):
    with engine.connect() as conn:
        return {
            r.column_name: r.data_type
            for r in conn.execute(
                sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = :t"
                ),
                {"t": table},
            )
        }


def indexes(engine, table):
    with engine.connect() as conn:
        return {
            r.indexname: r.indexdef
            for r in conn.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": table},
            )
        }


def test_creates_the_schema_and_is_idempotent(empty_database_url):
    engine = create_engine(empty_database_url)
    first = migrate(engine)
    assert first.applied == sorted(p.name for p in sql_directory().glob("*.sql"))
    second = migrate(engine)
    assert second.applied == [] and second.already_applied == first.applied
    assert columns(engine, "photo_metadata") == {
        "photo_id": "uuid",
        "image_key": "text",
        "album_key": "text",
        "album_name": "text",
        "imageurl": "text",
        "thumbnailurl": "text",
        "sport_type": "text",
        "photo_date": "timestamp without time zone",
        "updated_at": "timestamp without time zone",
    }
    idx = indexes(engine, "photo_metadata")
    assert "WHERE (album_key IS NOT NULL)" in idx["idx_photo_metadata_album_key"]
    assert "(album_key, album_name)" in idx["idx_photo_metadata_album_key_name"]
    enrichment = columns(engine, "album_enrichment")
    assert enrichment["teams"] == "ARRAY"
    assert enrichment["updated_at"] == "timestamp with time zone"
    audit = columns(engine, "album_name_changes")
    assert {"id", "album_key", "old_name", "new_name", "changed_at", "changed_by", "source"} <= set(
        audit
    )
    engine.dispose()


def test_works_with_a_photo_table_created_elsewhere(empty_database_url):
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        # The seed's DDL, as the enrichment pipeline created it on Supabase.
        conn.execute(
            sa.text(
                "CREATE TABLE photo_metadata (photo_id uuid PRIMARY KEY,"
                " image_key text UNIQUE NOT NULL, album_key text, album_name text,"
                " ImageUrl text, ThumbnailUrl text, sport_type text, photo_date timestamp,"
                " updated_at timestamp);"
                "INSERT INTO photo_metadata (photo_id, image_key, album_key, album_name)"
                " VALUES (gen_random_uuid(), 'img1', 'AAA', 'kept')"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT album_name FROM photo_metadata")).scalar() == "kept"
    assert "idx_photo_metadata_album_key_name" in indexes(engine, "photo_metadata")
    engine.dispose()


def test_refuses_a_table_missing_columns(empty_database_url):
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE photo_metadata (photo_id uuid, image_key text)"))
    with pytest.raises(MigrationError, match="photo_metadata"):
        migrate(engine)
    engine.dispose()


def test_an_edited_applied_migration_is_refused(empty_database_url, tmp_path):
    engine = create_engine(empty_database_url)
    copy = tmp_path / "sql"
    shutil.copytree(sql_directory(), copy)
    migrate(engine, copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match=f"{first.name} was edited"):
        migrate(engine, copy)
    engine.dispose()


def test_a_new_migration_is_applied_after_the_others(empty_database_url, tmp_path):
    engine = create_engine(empty_database_url)
    copy = tmp_path / "sql"
    shutil.copytree(sql_directory(), copy)
    migrate(engine, copy)
    (copy / "9999_extra.sql").write_text("CREATE TABLE extra_thing (id int);")
    assert migrate(engine, copy).applied == ["9999_extra.sql"]
    engine.dispose()


def test_concurrent_migrations_apply_once(empty_database_url):
    engines = [create_engine(empty_database_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(migrate, engines))
    assert sum(len(r.applied) for r in reports) == len(list(sql_directory().glob("*.sql")))
    for e in engines:
        e.dispose()


def test_statements_split_at_top_level_semicolons_only():
    from albumsync_dagster.migrations import split_statements

    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE a (t text DEFAULT 'x;y');\n"
        "/* block; comment */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
        'CREATE TABLE "b;c" (id int)\n'
        "-- only a comment at the end;\n"
    )
    assert split_statements(script) == [
        "-- a comment; with a semicolon\nCREATE TABLE a (t text DEFAULT 'x;y');",
        "/* block; comment */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;",
        'CREATE TABLE "b;c" (id int)\n-- only a comment at the end;',
    ]
