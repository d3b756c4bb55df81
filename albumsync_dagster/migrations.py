"""Applies ``sql/NNNN_*.sql`` in order, once each, recording versions and checksums.

An already-applied file whose text changed is refused: a migration that ran must never be
edited, only followed by a new one. Concurrent runs serialise on an advisory lock.

Least privilege: the pipeline's role may have only ``CREATE, USAGE`` on the schema and
``SELECT, UPDATE`` on a ``photo_metadata`` another role owns. So each file runs statement by
statement (still in the one transaction), and what exists is looked up first: a
``CREATE TABLE IF NOT EXISTS`` of an existing table or ``CREATE INDEX IF NOT EXISTS`` of an
existing index is skipped (PostgreSQL would still demand the right to create it, and, for an
index, ownership of the table). An index that is missing on a table the role does not own is
left to the owner: :attr:`MigrationReport.warnings` names the statement to run, and every
later ``migrate`` repeats it until the index exists.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.db import database_error_reason
from albumsync_dagster.privileges import (
    PrivilegeMissing,
    explain_privilege_error,
    is_privilege_error,
    missing_photo_privileges,
    missing_schema_privileges,
    one_line_statement,
)
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

    @property
    def statements(self) -> list[str]:
        return split_statements(self.sql)


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    already_applied: list[str]
    # One line per index missing on a table the role does not own: the statement to run.
    warnings: list[str] = field(default_factory=list)


def split_statements(sql: str) -> list[str]:
    """The statements of a SQL script, split at top-level semicolons.

    Quotes ('...', "..."), dollar quotes ($$...$$, $tag$...$tag$) and comments are skipped
    over, so a semicolon inside them does not split. Statements that are only comments
    are dropped.
    """
    statements: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in ("'", '"'):
            i += 1
            while i < n:
                if sql[i] == ch:
                    if i + 1 < n and sql[i + 1] == ch:  # doubled quote: still inside
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif ch == "$" and (tag := _DOLLAR_TAG.match(sql, i)):
            end = sql.find(tag.group(0), tag.end())
            i = n if end < 0 else end + len(tag.group(0))
        elif ch == ";":
            statements.append(sql[start : i + 1])
            start = i = i + 1
        else:
            i += 1
    statements.append(sql[start:])
    return [s.strip() for s in statements if _code_of(s)]


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_CREATE_TABLE = re.compile(
    r"^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(?P<table>[a-z_][a-z0-9_]*)\b", re.IGNORECASE
)
_CREATE_INDEX = re.compile(
    r"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?IF\s+NOT\s+EXISTS\s+"
    r"(?P<index>[a-z_][a-z0-9_]*)\s+ON\s+(?:ONLY\s+)?(?P<table>[a-z_][a-z0-9_]*)\b",
    re.IGNORECASE,
)


def _code_of(statement: str) -> str:
    """The statement without its comments, for matching its kind."""
    text = re.sub(r"/\*.*?\*/", " ", statement, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", text).strip()


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
        lacking = missing_schema_privileges(conn)
        if lacking is not None:
            raise PrivilegeMissing(lacking.message())
        _execute(
            conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())",
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
        warnings = _indexes_left_to_owners(conn, migrations)
        lacking = missing_photo_privileges(conn)
    if lacking is not None:
        # The schema is in place (committed); the sync itself could not run without this.
        raise PrivilegeMissing(lacking.message())
    return MigrationReport(applied=applied, already_applied=already, warnings=warnings)


def _apply(conn: Connection, migration: Migration) -> None:
    try:
        with conn.begin_nested():
            for statement in migration.statements:
                if not _already_there(conn, statement):
                    conn.exec_driver_sql(statement)
            conn.execute(
                sa.text(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"
                ),
                {"v": migration.version, "n": migration.name, "c": migration.checksum},
            )
    except sa.exc.DBAPIError as exc:
        # The savepoint is rolled back: the connection can still ask what the role lacks.
        if is_privilege_error(exc):
            raise explain_privilege_error(exc, conn) from None
        raise MigrationError(f"{migration.name} failed: {database_error_reason(exc)}") from None


def _execute(conn: Connection, statement: str) -> None:
    """Run one statement of ours unless what it creates exists; a refusal is one line."""
    if _already_there(conn, statement):
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(statement)
    except sa.exc.DBAPIError as exc:
        if is_privilege_error(exc):
            raise explain_privilege_error(exc, conn) from None
        raise


def _already_there(conn: Connection, statement: str) -> bool:
    """True when ``statement`` creates (if not exists) a table or index that exists, or an
    index on a table the role does not own (left to its owner, reported as a warning)."""
    code = _code_of(statement)
    table = _CREATE_TABLE.match(code)
    if table:
        return _exists(conn, table.group("table"))
    index = _CREATE_INDEX.match(code)
    if index:
        return _exists(conn, index.group("index")) or not _owns(conn, index.group("table"))
    return False


def _exists(conn: Connection, relation: str) -> bool:
    return bool(
        conn.execute(
            sa.text("SELECT to_regclass(:r) IS NOT NULL"), {"r": relation.lower()}
        ).scalar()
    )


def _owns(conn: Connection, table: str) -> bool:
    """True when the role may act as the owner of ``table`` (or the table does not exist)."""
    owns = conn.execute(
        sa.text(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c"
            " WHERE c.oid = to_regclass(:t)"
        ),
        {"t": table.lower()},
    ).scalar()
    return owns is None or bool(owns)


def _indexes_left_to_owners(conn: Connection, migrations: list[Migration]) -> list[str]:
    """One line per index of the migrations still missing on a table the role does not own."""
    warnings = []
    for migration in migrations:
        for statement in migration.statements:
            index = _CREATE_INDEX.match(_code_of(statement))
            if index is None or _exists(conn, index.group("index")):
                continue
            table = index.group("table")
            if _exists(conn, table) and not _owns(conn, table):
                warnings.append(
                    f"index {index.group('index')} is missing and only the owner of table"
                    f" {table} may create it; ask them to run: {one_line_statement(statement)}"
                )
    return warnings


def _check_photo_metadata_shape(conn: Connection) -> None:
    # pg_attribute, not information_schema: the latter hides columns the role has no
    # privilege on, and a missing grant must not read as a missing column.
    columns = set(
        conn.execute(
            sa.text(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('photo_metadata')"
                " AND attnum > 0 AND NOT attisdropped"
            )
        ).scalars()
    )
    missing = REQUIRED_PHOTO_COLUMNS - columns
    if missing:
        raise MigrationError(
            "photo_metadata exists but lacks column(s) " + ", ".join(sorted(missing))
        )


class NotMigrated(MigrationError):
    """The database lacks tables this code needs: ``albumsync migrate`` has not run (since)."""


def pending_migrations(conn: Connection, directory: Path | None = None) -> list[str]:
    """Names of the migrations this code ships that the database has not applied."""
    migrations = load_migrations(directory)
    if conn.execute(sa.text("SELECT to_regclass('schema_migrations') IS NULL")).scalar():
        return [m.name for m in migrations]
    done = set(conn.execute(sa.text("SELECT version FROM schema_migrations")).scalars())
    return [m.name for m in migrations if m.version not in done]


def check_migrated(conn: Connection, directory: Path | None = None) -> None:
    """Raise :class:`NotMigrated` (one line: run ``albumsync migrate``) when any is pending."""
    pending = pending_migrations(conn, directory)
    if pending:
        raise NotMigrated(
            f"the database is not migrated ({len(pending)} migration(s) pending, from"
            f" {pending[0]}): run `albumsync migrate` first"
        )
