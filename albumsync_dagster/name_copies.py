"""Other copies of an album's name, and the materialized views built over them.

Real schemas copy ``album_name`` beyond ``photo_metadata``: an ``albums`` table keyed by
``album_key``, materialized views joining both. ``ALBUMSYNC_NAME_COPIES`` lists those copies
(``table.column`` or ``schema.table.column``, comma-separated); each follows SmugMug in the
same transaction as the photo rows, and is verified and rolled back with them.
``ALBUMSYNC_REFRESH_VIEWS`` lists materialized views refreshed after names changed, outside
that transaction (``CONCURRENTLY`` when a unique index allows it, so readers never wait).

The lists are checked against the database when a command or run starts
(:func:`resolve_name_copies`): a table, column or view that does not exist, or that the role
may not write or refresh, is refused with one line. The resolved copies then travel with the
engine (:func:`attach`): every function that brings rows to a name, verifies or reconciles
them reads them from the connection it is given, so the API keeps its signatures.

Identifiers come from reflection and are quoted by SQLAlchemy; names are always bound
parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.db import create_engine, database_error_reason

if TYPE_CHECKING:
    from albumsync_dagster.settings import Settings

log = logging.getLogger(__name__)

KEY_COLUMN = "album_key"
_OPTION = "albumsync_name_copies"  # the engine execution option carrying the copies
_PHOTO_ROWS = ("photo_metadata", "album_name")  # synced anyway: listing it changes nothing


class NameCopiesError(ValueError):
    """A listed copy or view cannot be used; the message is one line naming it and why."""


@dataclass(frozen=True)
class Relation:
    """A table or view as configured: ``schema`` None means the search path's."""

    schema: str | None
    name: str

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class CopySpec:
    """One ``ALBUMSYNC_NAME_COPIES`` entry."""

    relation: Relation
    column: str

    @property
    def label(self) -> str:
        return f"{self.relation.label}.{self.column}"


def _parts(entry: str, variable: str, expected: str) -> list[str]:
    parts = [p.strip() for p in entry.split(".")]
    if not all(parts) or any('"' in p or p != p.strip() for p in parts):
        raise NameCopiesError(f"{variable}: {entry!r} is not {expected}")
    return parts


def parse_name_copies(text: str | None) -> tuple[CopySpec, ...]:
    """``table.column`` / ``schema.table.column`` entries, comma-separated; repeats dropped."""
    variable = "ALBUMSYNC_NAME_COPIES"
    specs: dict[str, CopySpec] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        parts = _parts(entry, variable, "table.column or schema.table.column")
        if len(parts) == 2:
            spec = CopySpec(Relation(None, parts[0]), parts[1])
        elif len(parts) == 3:
            spec = CopySpec(Relation(parts[0], parts[1]), parts[2])
        else:
            raise NameCopiesError(
                f"{variable}: {entry!r} is not table.column or schema.table.column"
            )
        specs.setdefault(spec.label, spec)
    return tuple(specs.values())


def parse_views(text: str | None) -> tuple[Relation, ...]:
    """``view`` / ``schema.view`` entries, comma-separated; repeats dropped."""
    variable = "ALBUMSYNC_REFRESH_VIEWS"
    views: dict[str, Relation] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        parts = _parts(entry, variable, "a view or schema.view")
        if len(parts) > 2:
            raise NameCopiesError(f"{variable}: {entry!r} is not a view or schema.view")
        view = Relation(*parts) if len(parts) == 2 else Relation(None, parts[0])
        views.setdefault(view.label, view)
    return tuple(views.values())


@dataclass(frozen=True)
class NameCopy:
    """A copy found in the database: its reflected table, key and name columns."""

    label: str  # as configured: albums.album_name
    table: sa.Table

    @property
    def key(self) -> sa.Column:
        return self.table.c[KEY_COLUMN]

    @property
    def name(self) -> sa.Column:
        (column,) = (c for c in self.table.c if c.name != KEY_COLUMN)
        return column


@dataclass(frozen=True)
class RefreshView:
    label: str
    table: sa.TableClause  # for quoting its name
    concurrently: bool  # a unique index allows REFRESH ... CONCURRENTLY


@dataclass(frozen=True)
class NameCopies:
    copies: tuple[NameCopy, ...] = ()
    views: tuple[RefreshView, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.copies or self.views)


NO_COPIES = NameCopies()

# What PostgreSQL knows of a relation named as the setting names it. `to_regclass` resolves
# it as a query would (search path, case folding of unquoted names): the text is built by
# quote_ident from bound parameters, so no identifier is ever spliced into the SQL.
_RELATION = sa.text(
    """
    SELECT c.oid, c.relkind, n.nspname, c.relname, c.relispopulated,
           pg_has_role(current_user, c.relowner, 'USAGE') AS owned,
           pg_get_userbyid(c.relowner) AS owner, current_user AS me
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = to_regclass(
        CASE WHEN CAST(:schema AS text) IS NULL THEN quote_ident(:name)
             ELSE quote_ident(:schema) || '.' || quote_ident(:name) END)
    """
)
_CAN_UPDATE = sa.text(
    "SELECT has_column_privilege(:oid, :column, 'SELECT')"
    " AND has_column_privilege(:oid, :column, 'UPDATE')"
    " AND has_column_privilege(:oid, :key, 'SELECT')"
)
# REFRESH ... CONCURRENTLY needs a unique index on plain columns, with no WHERE clause.
_UNIQUE_INDEX = sa.text(
    "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = :oid AND indisunique"
    " AND indpred IS NULL AND indexprs IS NULL)"
)
_KINDS = {"r": "a table", "p": "a table", "v": "a view", "m": "a materialized view"}


def _find(conn: Connection, relation: Relation, variable: str, label: str) -> sa.Row:
    row = conn.execute(_RELATION, {"schema": relation.schema, "name": relation.name}).first()
    if row is None:
        where = f"schema {relation.schema}" if relation.schema else "the search path"
        raise NameCopiesError(f"{variable}: {label}: no table or view {relation.label} in {where}")
    return row


def _resolve_copy(conn: Connection, spec: CopySpec) -> NameCopy | None:
    variable = "ALBUMSYNC_NAME_COPIES"
    found = _find(conn, spec.relation, variable, spec.label)
    if found.relkind not in ("r", "p"):
        kind = _KINDS.get(found.relkind, "not a table")
        hint = " (list it in ALBUMSYNC_REFRESH_VIEWS)" if found.relkind == "m" else ""
        raise NameCopiesError(
            f"{variable}: {spec.label}: {spec.relation.label} is {kind}, not a table{hint}"
        )
    if (found.relname, spec.column) == _PHOTO_ROWS:
        return None
    table = sa.Table(
        found.relname, sa.MetaData(), schema=found.nspname, autoload_with=conn
    )  # reflected: every identifier is the database's own and quoted by SQLAlchemy
    columns = {c.name: c for c in table.c}
    if spec.column not in columns:
        raise NameCopiesError(
            f"{variable}: {spec.label}: table {spec.relation.label} has no column "
            f"{spec.column} (its columns: {', '.join(columns)})"
        )
    if spec.column == KEY_COLUMN:
        raise NameCopiesError(f"{variable}: {spec.label}: the album key is not a name")
    for name in (KEY_COLUMN, spec.column):
        column = columns.get(name)
        if column is None:
            raise NameCopiesError(
                f"{variable}: {spec.label}: table {spec.relation.label} has no {KEY_COLUMN} "
                "column to find an album's row by"
            )
        if not isinstance(column.type, sa.String):
            raise NameCopiesError(
                f"{variable}: {spec.label}: {spec.relation.label}.{name} is {column.type}, not text"
            )
    allowed = conn.execute(
        _CAN_UPDATE, {"oid": found.oid, "column": spec.column, "key": KEY_COLUMN}
    ).scalar()
    if not allowed:
        raise NameCopiesError(
            f"{variable}: {spec.label}: role {found.me} may not update it (needs "
            f"GRANT SELECT ({KEY_COLUMN}, {spec.column}), UPDATE ({spec.column}) ON "
            f"{spec.relation.label} TO {found.me})"
        )
    narrow = sa.Table(
        found.relname,
        sa.MetaData(),
        sa.Column(KEY_COLUMN, columns[KEY_COLUMN].type),
        sa.Column(spec.column, columns[spec.column].type),
        schema=found.nspname,
    )
    return NameCopy(spec.label, narrow)


def _resolve_view(conn: Connection, view: Relation) -> RefreshView:
    variable = "ALBUMSYNC_REFRESH_VIEWS"
    found = _find(conn, view, variable, view.label)
    if found.relkind != "m":
        raise NameCopiesError(
            f"{variable}: {view.label} is {_KINDS.get(found.relkind, 'not a view')}, "
            "not a materialized view"
        )
    if not found.owned:
        raise NameCopiesError(
            f"{variable}: {view.label} is owned by {found.owner}: only its owner may refresh "
            f"it (ALTER MATERIALIZED VIEW {view.label} OWNER TO {found.me}, or remove it "
            "from the list)"
        )
    unique = bool(conn.execute(_UNIQUE_INDEX, {"oid": found.oid}).scalar())
    return RefreshView(
        view.label,
        sa.table(found.relname, schema=found.nspname),
        concurrently=unique and bool(found.relispopulated),
    )


def resolve_name_copies(
    engine: Engine | Connection, copies: Sequence[CopySpec], views: Sequence[Relation]
) -> NameCopies:
    """The listed copies and views as the database has them; refused with one line
    (:class:`NameCopiesError`) when one does not exist or the role may not use it."""
    if not copies and not views:
        return NO_COPIES
    if isinstance(engine, Connection):
        return _resolve(engine, copies, views)
    with engine.connect() as conn:
        return _resolve(conn, copies, views)


def _resolve(conn: Connection, copies: Sequence[CopySpec], views: Sequence[Relation]) -> NameCopies:
    resolved = [_resolve_copy(conn, spec) for spec in copies]
    return NameCopies(
        tuple(c for c in resolved if c is not None),
        tuple(_resolve_view(conn, view) for view in views),
    )


def attach(engine: Engine, copies: NameCopies) -> Engine:
    """``engine`` (same pool) whose connections carry ``copies`` to the functions given it."""
    if not copies:
        return engine
    return engine.execution_options(**{_OPTION: copies})


def attached(bind: Engine | Connection) -> NameCopies:
    """The copies attached to ``bind`` (none when nothing was attached)."""
    copies = bind.get_execution_options().get(_OPTION, NO_COPIES)
    assert isinstance(copies, NameCopies)
    return copies


# --- writing, checking, refreshing ---------------------------------------------------------


def _wanted(names: Mapping[str, str]) -> sa.TableValuedAlias:
    keys = sorted(names)  # rows locked in album-key order, as the photo rows are
    texts = ARRAY(sa.Text)
    return (
        sa.func.unnest(
            sa.cast(sa.bindparam("keys", keys, type_=texts), texts),
            sa.cast(sa.bindparam("names", [names[k] for k in keys], type_=texts), texts),
        )
        .table_valued("album_key", "new_name")
        .render_derived(name="wanted")
    )


def write_copies(conn: Connection, names: Mapping[str, str]) -> dict[str, int]:
    """Each attached copy brought to ``names`` (album key -> name) in the caller's
    transaction, touching only rows that differ: rows written per copy."""
    written: dict[str, int] = {}
    if not names:
        return written
    for copy in attached(conn).copies:
        wanted = _wanted(names)
        result = conn.execute(
            sa.update(copy.table)
            .where(copy.key == wanted.c.album_key)
            .where(copy.name.is_distinct_from(wanted.c.new_name))
            .values({copy.name.name: wanted.c.new_name})
        )
        written[copy.label] = result.rowcount
    return written


@contextmanager
def _connected(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def copy_disagreements(
    bind: Engine | Connection, expected: Mapping[str, str | None]
) -> dict[str, list[str]]:
    """Per album key, one issue per attached copy whose row carries another name than
    ``expected`` (an album with no row in a copy has nothing to disagree with)."""
    copies = attached(bind).copies
    texts = ARRAY(sa.Text)
    issues: dict[str, list[str]] = {}
    keys = sorted(expected)
    if not copies or not keys:
        return issues
    with _connected(bind) as conn:
        for copy in copies:
            rows = conn.execute(
                sa.select(copy.key, copy.name, sa.func.count().label("n"))
                .where(copy.key == sa.any_(sa.cast(sa.bindparam("keys", keys, type_=texts), texts)))
                .group_by(copy.key, copy.name)
                .order_by(copy.key, copy.name)
            )
            for key, name, count in rows:
                want = expected[key]
                if name != want:
                    rows_note = f" ({count} rows)" if count > 1 else ""
                    issues.setdefault(key, []).append(
                        f"album {key}: {copy.label} carries "
                        f"{'no name' if name is None else repr(name)} instead of {want!r}"
                        f"{rows_note}"
                    )
    return issues


@dataclass(frozen=True)
class CopyMismatch:
    """A copy's albums not carrying SmugMug's name (per the catalog snapshot)."""

    label: str
    albums: int
    sample: list[tuple[str, str | None, str | None]]  # (album key, SmugMug name, copy's name)


def _differing_from_snapshot(copy: NameCopy, *columns: sa.ColumnElement) -> sa.Select:
    """``columns`` of the copy's rows whose name is not SmugMug's (per the catalog snapshot),
    for albums SmugMug still has; the snapshot's columns are at hand as ``snapshot``."""
    from albumsync_dagster.schema import smugmug_albums as snapshot

    return (
        sa.select(*columns)
        .join(snapshot, snapshot.c.album_key == copy.key)
        .where(snapshot.c.gone_at.is_(None), copy.name.is_distinct_from(snapshot.c.name))
    )


def copies_against_snapshot(engine: Engine, limit: int) -> list[CopyMismatch]:
    """Per attached copy with albums whose row differs from SmugMug's live name: how many
    albums, and the first ``limit`` of them (one grouped query per copy)."""
    from albumsync_dagster.schema import smugmug_albums as snapshot

    found: list[CopyMismatch] = []
    copies = attached(engine).copies
    if not copies:
        return found
    with engine.connect() as conn:
        for copy in copies:
            per_album = (
                _differing_from_snapshot(
                    copy,
                    copy.key.label("album_key"),
                    snapshot.c.name.label("smugmug_name"),
                    sa.func.min(copy.name).label("copy_name"),
                    sa.func.count().over().label("total"),
                )
                .group_by(copy.key, snapshot.c.name)
                .order_by(copy.key)
                .limit(limit)
            )
            rows = list(conn.execute(per_album))
            if rows:
                found.append(
                    CopyMismatch(
                        copy.label,
                        int(rows[0].total),
                        [(r.album_key, r.smugmug_name, r.copy_name) for r in rows],
                    )
                )
    return found


def disagreeing_copies(
    bind: Engine | Connection, album_keys: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Per album SmugMug still has (all, or those given), the attached copies whose row
    carries another name than SmugMug's (per the catalog snapshot); albums whose copies all
    agree are left out. One set-based query per copy."""
    found: dict[str, list[str]] = {}
    copies = attached(bind).copies
    if not copies:
        return found
    texts = ARRAY(sa.Text)
    with _connected(bind) as conn:
        for copy in copies:
            query = _differing_from_snapshot(copy, copy.key).distinct()
            if album_keys is not None:
                wanted = sa.cast(sa.bindparam("keys", list(album_keys), type_=texts), texts)
                query = query.where(copy.key == sa.any_(wanted))
            for key in conn.execute(query).scalars():
                found.setdefault(key, []).append(copy.label)
    return found


def refresh_views(engine: Engine) -> list[str]:
    """Refresh every attached view, each in its own transaction after the names committed;
    returns one line per view that failed (the names stay written; the next change retries)."""
    failures: list[str] = []
    for view in attached(engine).views:
        preparer = engine.dialect.identifier_preparer
        how = "CONCURRENTLY " if view.concurrently else ""
        statement = f"REFRESH MATERIALIZED VIEW {how}{preparer.format_table(view.table)}"
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            line = f"{view.label}: not refreshed: {database_error_reason(exc)}"
            log.warning(line)
            failures.append(line)
    return failures


def open_photo_database(settings: Settings, *, writes: bool = True) -> Engine:
    """The photo database's engine for ``settings``, once the database is migrated and the
    role holds every privilege the pipeline needs (``writes=False``: reading only), its name
    copies and views checked and attached. Each refusal is one line: :class:`NotMigrated`,
    :class:`PrivilegeMissing` or :class:`NameCopiesError`."""
    from albumsync_dagster.migrations import check_migrated
    from albumsync_dagster.privileges import check_privileges

    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            check_migrated(conn)
            check_privileges(conn, writes=writes)
        copies = resolve_name_copies(engine, settings.name_copies, settings.refresh_views)
    except BaseException:
        engine.dispose()
        raise
    return attach(engine, copies)
