"""``schema.py`` declares exactly what ``sql/`` creates.

The tables are declared twice: the migrations create them, ``schema.metadata`` builds the
statements. A fresh database is migrated, a second one gets ``metadata.create_all``, and both
are reflected, so PostgreSQL itself writes each type and check the same way before they are
compared: every table, its columns, types, nullability, primary key, unique columns and checks.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from albumsync_dagster import schema
from albumsync_dagster.db import create_engine
from albumsync_dagster.migrations import migrate


def shape(url: str) -> dict[str, dict[str, Any]]:
    """Each table's columns (type, nullable), primary key, unique column sets and checks."""
    engine = create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {}
        for table in inspector.get_table_names():
            tables[table] = {
                "columns": {
                    c["name"]: (str(c["type"].compile(dialect=engine.dialect)), c["nullable"])
                    for c in inspector.get_columns(table)
                },
                "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
                "unique": sorted(
                    tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
                ),
                "checks": sorted(c["sqltext"] for c in inspector.get_check_constraints(table)),
            }
        return tables
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def migrated_and_declared(database_factory) -> tuple[dict[str, Any], dict[str, Any]]:
    migrated = database_factory()
    engine = create_engine(migrated)
    migrate(engine)
    engine.dispose()
    declared = database_factory()
    engine = create_engine(declared)
    schema.metadata.create_all(engine)
    engine.dispose()
    return shape(migrated), shape(declared)


def test_every_table_the_migrations_create_is_declared(migrated_and_declared):
    migrated, declared = migrated_and_declared
    assert sorted(migrated) == sorted(declared)


@pytest.mark.parametrize("table", sorted(schema.metadata.tables))
def test_each_table_matches_its_migrations(migrated_and_declared, table):
    migrated, declared = migrated_and_declared
    assert table in migrated, f"schema.py declares {table}, which no migration creates"
    for aspect in ("columns", "primary key", "unique", "checks"):
        assert declared[table][aspect] == migrated[table][aspect], (
            f"{table}: {aspect} of schema.py differ from what sql/ creates"
        )
