"""Applies ``sql/NNNN_*.sql`` in order, once each, recording versions and checksums.

An already-applied file whose text changed is refused: a migration that ran must never be
edited, only followed by a new one. Concurrent runs serialise on an advisory lock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.db import database_error_reason
from albumsync_dagster.schema import photo_metadata

# An arbitrary constant identifying "albumsync migrations" among advisory locks.
_MIGRATION_LOCK_ID = 7_281_446_019
_FILE_PATTERN = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# The columns the project needs in photo_metadata, created here or elsewhere.
REQUIRED_PHOTO_COLUMNS = frozenset(column.name for column in photo_metadata.columns)


class MigrationError(RuntimeError):
    """A migration could not be applied, or an applied one was edited."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    already_applied: list[str]


def sql_directory() -> Path:
    """The ``sql/`` folder: beside the package in a checkout, inside it in a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "sql", package / "_sql"):
        if candidate.is_dir():
            return candidate
    raise MigrationError(f"no sql/ directory found next to {package}")


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """The migrations in ``directory``, ordered by version; a malformed name is an error."""
    directory = directory or sql_directory()
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        migrations.append(Migration(match.group(1), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version in {directory}")
    return migrations


def migrate(engine: Engine, directory: Path | None = None) -> MigrationReport:
    """Apply every pending migration in one transaction (all or none); idempotent."""
    migrations = load_migrations(directory)
    applied: list[str] = []
    already: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        conn.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        )
        recorded = {
            row.version: row
            for row in conn.execute(
                sa.text("SELECT version, name, checksum FROM schema_migrations")
            )
        }
        for migration in migrations:
            row = recorded.get(migration.version)
            if row is not None:
                if row.checksum != migration.checksum:
                    raise MigrationError(
                        f"{migration.name} was edited after it was applied (checksum differs "
                        f"from the one recorded for {row.name}); add a new migration instead"
                    )
                already.append(migration.name)
                continue
            _apply(conn, migration)
            applied.append(migration.name)
        _check_photo_metadata_shape(conn)
    return MigrationReport(applied=applied, already_applied=already)


def _apply(conn: Connection, migration: Migration) -> None:
    with conn.begin_nested():
        try:
            conn.exec_driver_sql(migration.sql)
        except sa.exc.DBAPIError as exc:
            reason = database_error_reason(exc)
            raise MigrationError(f"{migration.name} failed: {reason}") from None
        conn.execute(
            sa.text("INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"),
            {"v": migration.version, "n": migration.name, "c": migration.checksum},
        )


def _check_photo_metadata_shape(conn: Connection) -> None:
    columns = set(
        conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = 'photo_metadata'"
            )
        ).scalars()
    )
    missing = REQUIRED_PHOTO_COLUMNS - columns
    if missing:
        raise MigrationError(
            "photo_metadata exists but lacks column(s) " + ", ".join(sorted(missing))
        )
