"""What the pipeline's role may do, and one line naming what it lacks.

The project runs as a role that is not a superuser, against a ``photo_metadata`` that another
role owns (with Row Level Security on). It needs ``USAGE`` (and, to migrate, ``CREATE``) on
the schema, ``SELECT, UPDATE`` on ``photo_metadata`` and every right on the tables it made
itself. :func:`check_privileges` asks PostgreSQL before a command touches anything;
:func:`explain_privilege_error` turns a refusal met later (SQLSTATE 42501) into the same kind
of line: the role, the privilege, the object and the ``GRANT`` that fixes it.

Errors: :class:`PrivilegeMissing` (a right the role lacks) and its kind
:class:`OwnershipRequired` (a statement only the object's owner may run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg.errors
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from albumsync_dagster.schema import metadata, photo_metadata, schema_migrations

PHOTO_TABLE = photo_metadata.name
# photo_metadata: every column is read; these are the ones written (album_key by the backfill).
PHOTO_PRIVILEGES = ("SELECT", "UPDATE")
PHOTO_WRITTEN_COLUMNS = ("album_key", "album_name", "updated_at")
# Column-level grants that count as the privilege on photo_metadata: every column read, the
# columns written.
PHOTO_COLUMNS = {
    "SELECT": tuple(c.name for c in photo_metadata.columns),
    "UPDATE": PHOTO_WRITTEN_COLUMNS,
}
OWN_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


class PrivilegeMissing(RuntimeError):
    """The database role lacks a privilege; the message names it, the object and the GRANT."""


class OwnershipRequired(PrivilegeMissing):
    """A statement only the owner of an object may run (``CREATE INDEX``, ``ALTER``)."""


@dataclass(frozen=True)
class Missing:
    """One privilege the role lacks on one object."""

    role: str
    privileges: tuple[str, ...]
    kind: str  # schema | table | sequence | database
    name: str

    @property
    def grant(self) -> str:
        what = "ON " if self.kind == "table" else f"ON {self.kind.upper()} "
        privileges = ", ".join(self.privileges)
        return f"GRANT {privileges} {what}{quote_ident(self.name)} TO {quote_ident(self.role)};"

    def message(self) -> str:
        return (
            f"the role {self.role} lacks {', '.join(self.privileges)} on {self.kind} "
            f"{self.name}: {self.grant}"
        )


def quote_ident(name: str) -> str:
    """``name`` as SQL writes it: bare when PostgreSQL would not fold or misread it."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def is_privilege_error(exc: BaseException) -> bool:
    """True for PostgreSQL's insufficient_privilege (42501), raw or wrapped by SQLAlchemy."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    return isinstance(orig, psycopg.errors.InsufficientPrivilege)


def current_role(conn: Connection) -> str:
    return str(conn.execute(sa.text("SELECT current_user")).scalar_one())


def target_schema(conn: Connection) -> str:
    """The schema tables are created in: ``current_schema()``, or, when the role may not even
    use it (then PostgreSQL reports none), the first existing schema of the search path."""
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
    if schema:
        return str(schema)
    path = str(conn.execute(sa.text("SHOW search_path")).scalar_one())
    user = current_role(conn)
    for entry in (part.strip().strip('"') for part in path.split(",")):
        name = user if entry == "$user" else entry
        if conn.execute(
            sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :n"), {"n": name}
        ).first():
            return name
    return "public"


def missing_schema_privileges(
    conn: Connection, privileges: tuple[str, ...] = ("USAGE",)
) -> Missing | None:
    schema = target_schema(conn)
    lacking = tuple(
        p
        for p in privileges
        if not conn.execute(
            sa.text("SELECT has_schema_privilege(:s, :p)"), {"s": schema, "p": p}
        ).scalar()
    )
    return Missing(current_role(conn), lacking, "schema", schema) if lacking else None


def _has_table_privilege(
    conn: Connection, table: str, privilege: str, columns: tuple[str, ...] = ()
) -> bool:
    """Table-level, or (for ``columns``) the column-level grants covering each of them."""
    if conn.execute(
        sa.text("SELECT has_table_privilege(to_regclass(:t), :p)"), {"t": table, "p": privilege}
    ).scalar():
        return True
    return bool(columns) and all(
        conn.execute(
            sa.text("SELECT has_column_privilege(to_regclass(:t), :c, :p)"),
            {"t": table, "c": column, "p": privilege},
        ).scalar()
        for column in columns
    )


def missing_table_privileges(
    conn: Connection,
    table: str,
    privileges: tuple[str, ...],
    columns: dict[str, tuple[str, ...]] | None = None,
) -> Missing | None:
    """The privileges of ``privileges`` the role lacks on ``table`` (which must exist)."""
    lacking = tuple(
        p
        for p in privileges
        if not _has_table_privilege(conn, table, p, (columns or {}).get(p, ()))
    )
    return Missing(current_role(conn), lacking, "table", table) if lacking else None


def missing_photo_privileges(conn: Connection, *, writes: bool = True) -> Missing | None:
    """What the role lacks of ``SELECT, UPDATE`` on ``photo_metadata`` (which must exist);
    column-level grants covering the columns read and written count too."""
    return missing_table_privileges(
        conn, PHOTO_TABLE, PHOTO_PRIVILEGES if writes else ("SELECT",), PHOTO_COLUMNS
    )


def _own_tables() -> list[str]:
    return [
        t.name
        for t in metadata.sorted_tables
        if t.name not in (PHOTO_TABLE, schema_migrations.name)
    ]


# Everything the commands need, asked in one round trip (behind a pooler, on a remote
# Supabase, each query is a round trip): the role, the schema and USAGE on it, then per wanted
# (table, privilege) whether the table exists and the role holds the privilege on the table
# or, where ``columns`` lists them, on each of those columns; then the tables' sequences the
# role may not use.
_PRIVILEGES = sa.text(
    """
    SELECT current_user AS role,
           current_schema() AS schema,
           has_schema_privilege(current_schema(), 'USAGE') AS usage,
           (SELECT coalesce(array_agg(w.t || ':' || w.p ORDER BY w.n), '{}')
            FROM unnest(CAST(:tables AS text[]), CAST(:privileges AS text[]),
                        CAST(:columns AS text[])) WITH ORDINALITY AS w(t, p, c, n)
            JOIN pg_class k ON k.relname = w.t
                 AND k.relnamespace = to_regnamespace(current_schema())::oid
                 AND k.relkind IN ('r', 'p', 'v', 'm', 'f')
            WHERE NOT has_table_privilege(k.oid, w.p)
              AND NOT (w.c <> '' AND (SELECT bool_and(has_column_privilege(k.oid, col, w.p))
                                      FROM unnest(string_to_array(w.c, ',')) AS col))
           ) AS lacking,
           (SELECT coalesce(array_agg(s.relname ORDER BY s.relname), '{}')
            FROM pg_class s
            JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            JOIN pg_class t ON t.oid = d.refobjid
            WHERE :writes AND s.relkind = 'S' AND t.relname = ANY(CAST(:own AS text[]))
              AND t.relnamespace = to_regnamespace(current_schema())::oid
              -- CASE: the planner may test this before relkind, on an index
              AND CASE WHEN s.relkind = 'S'
                  THEN NOT has_sequence_privilege(s.oid, 'USAGE') ELSE false END
           ) AS sequences
    """
)


def _wanted(writes: bool) -> list[tuple[str, str, tuple[str, ...]]]:
    """(table, privilege, columns whose column-level grants also do) in the order reported."""
    wanted = [
        (PHOTO_TABLE, p, PHOTO_COLUMNS[p]) for p in (PHOTO_PRIVILEGES if writes else ("SELECT",))
    ]
    wanted.append((schema_migrations.name, "SELECT", ()))
    own = OWN_TABLE_PRIVILEGES if writes else ("SELECT",)
    wanted += [(table, p, ()) for table in _own_tables() for p in own]
    return wanted


def missing_privileges(conn: Connection, *, writes: bool = True) -> list[Missing]:
    """Every privilege the role lacks for the commands (``writes=False``: the read-only ones),
    one ``Missing`` per object, asked in one query.

    Tables that do not exist are not asked about: a database not migrated is told apart first.
    """
    wanted = _wanted(writes)
    row = conn.execute(
        _PRIVILEGES,
        {
            "tables": [t for t, _, _ in wanted],
            "privileges": [p for _, p, _ in wanted],
            "columns": [",".join(c) for _, _, c in wanted],
            "writes": writes,
            "own": _own_tables(),
        },
    ).one()
    if not row.schema or not row.usage:
        # Without USAGE PostgreSQL shows no current schema: name it the slow way.
        schema = missing_schema_privileges(conn)
        return [schema] if schema is not None else []
    lacking: dict[str, list[str]] = {}
    for entry in row.lacking:
        table, privilege = entry.rsplit(":", 1)
        lacking.setdefault(table, []).append(privilege)
    found = [Missing(row.role, tuple(p), "table", t) for t, p in lacking.items()]
    found += [Missing(row.role, ("USAGE",), "sequence", name) for name in row.sequences]
    return found


def check_privileges(conn: Connection, *, writes: bool = True) -> None:
    """Raise :class:`PrivilegeMissing` naming the first privilege the role lacks (and how
    many more), before a command has touched anything."""
    found = missing_privileges(conn, writes=writes)
    if found:
        more = f" (and {len(found) - 1} more object(s))" if len(found) > 1 else ""
        raise PrivilegeMissing(found[0].message() + more)


_OBJECT = r"(?P<kind>table|view|materialized view|sequence|schema|database|index|relation)"
_DENIED = re.compile(rf"permission denied for {_OBJECT} (?P<name>\S+)")
_OWNER = re.compile(rf"must be owner of {_OBJECT} (?P<name>\S+)")


def one_line_statement(sql: str) -> str:
    """``sql`` without comments, its whitespace collapsed, ending with one ``;``."""
    text = re.sub(r"--[^\n]*", " ", sql)
    return " ".join(text.split()).rstrip(";").strip() + ";"


def _verb(statement: str | None) -> str:
    words = re.sub(r"--[^\n]*", " ", statement or "").split()
    verb = words[0].upper() if words else ""
    if verb == "WITH":  # a CTE: the first data-modifying verb inside decides
        for word in words:
            if word.upper() in ("UPDATE", "INSERT", "DELETE"):
                return word.upper()
        return "SELECT"
    return verb


def explain_privilege_error(exc: BaseException, conn: Connection | None) -> PrivilegeMissing:
    """The one line for a 42501 refusal: role, privilege, object, and what fixes it.

    ``conn`` (a usable connection of the same role) lets PostgreSQL say which privilege is
    lacking; without it the statement's verb is named.
    """
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else "permission denied"
    statement = exc.statement if isinstance(exc, sa.exc.StatementError) else None
    role = current_role(conn) if conn is not None else "of this connection"
    verb = _verb(statement)
    owner = _OWNER.search(message)
    if owner:
        kind, name = owner.group("kind"), owner.group("name")
        what = one_line_statement(statement) if statement else "this statement"
        return OwnershipRequired(
            f"the role {role} does not own {kind} {name}; its owner must run: {what}"
        )
    denied = _DENIED.search(message)
    if not denied:
        return PrivilegeMissing(f"the role {role} was refused: {message}")
    kind, name = denied.group("kind"), denied.group("name")
    if kind == "schema":
        candidates: tuple[str, ...] = (
            ("CREATE", "USAGE") if verb in ("CREATE", "ALTER") else ("USAGE", "CREATE")
        )
        if conn is not None:
            lacking = [
                p
                for p in candidates
                if not conn.execute(
                    sa.text("SELECT has_schema_privilege(:s, :p)"), {"s": name, "p": p}
                ).scalar()
            ]
            candidates = tuple(lacking) or candidates
        return PrivilegeMissing(Missing(role, (candidates[0],), "schema", name).message())
    if kind == "database":
        return PrivilegeMissing(Missing(role, ("CONNECT",), "database", name).message())
    if kind == "sequence":
        return PrivilegeMissing(Missing(role, ("USAGE",), "sequence", name).message())
    candidates = _VERB_PRIVILEGES.get(verb, ("SELECT", "UPDATE", "INSERT", "DELETE"))
    if conn is not None:
        candidates = tuple(p for p in candidates if not _has_table_privilege(conn, name, p)) or (
            candidates
        )
    # GRANT ... ON name covers tables, views and materialized views alike.
    return PrivilegeMissing(Missing(role, (candidates[0],), "table", name).message())


# The privileges a refused statement may have lacked, the likeliest first.
_VERB_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "SELECT": ("SELECT",),
    "UPDATE": ("UPDATE", "SELECT"),
    "INSERT": ("INSERT", "SELECT"),
    "DELETE": ("DELETE", "SELECT"),
    "TRUNCATE": ("TRUNCATE",),
}
