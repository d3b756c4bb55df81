"""Our own PgBouncer in transaction mode, in front of the test server (what Supabase's port
6543 does: each transaction may land on another server connection, no session state lasts).

``pgbouncer``: the running pooler (session-scoped); skipped with the reason when the program
is missing or cannot reach the test server. ``pooled_database_url``: the session's migrated
database (``database_url``) reached through it. ``default_pool_size`` is 2, so server
connections are reused by every client, as on a busy pooler.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from albumsync_dagster.db import sqlalchemy_url

POOL_SIZE = 2
# PgBouncer learnt to track prepared statements (max_prepared_statements) in 1.21; older
# ones pass them through. 0 keeps either from translating them, like Supavisor.
PREPARED_STATEMENTS_SETTING = (1, 21)


def libpq_url(url: str) -> str:
    """``url`` as libpq (``psycopg.connect``) takes it: no ``+driver`` in the scheme."""
    return (
        make_url(sqlalchemy_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def pgbouncer_program() -> str | None:
    """Path of the ``pgbouncer`` program, or None."""
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer") if Path(p).exists()),
        None,
    )


def pgbouncer_version(program: str) -> tuple[int, int]:
    out = subprocess.run([program, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)", out)
    return (int(found[1]), int(found[2])) if found else (0, 0)


@dataclass(frozen=True)
class ServerAddress:
    """Where PgBouncer finds the PostgreSQL server, and as whom it logs in."""

    host: str  # an address, or a unix socket directory
    port: int
    user: str
    password: str | None


def server_address(server_url: str) -> ServerAddress:
    url = make_url(sqlalchemy_url(server_url))
    host = url.host or parse_qs(urlsplit(server_url).query).get("host", [""])[0]
    if not host:
        host = "/var/run/postgresql"
    return ServerAddress(host, url.port or 5432, url.username or "postgres", url.password)


@dataclass(frozen=True)
class RunningPgBouncer:
    port: int
    server: ServerAddress
    log: Path

    def url(self, database: str) -> str:
        """A ``postgresql://`` URL to ``database`` through the pooler."""
        url = URL.create(
            "postgresql",
            username=self.server.user,
            password=self.server.password,
            host="127.0.0.1",
            port=self.port,
            database=database,
        )
        return url.render_as_string(hide_password=False)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _ini(program: str, port: int, server: ServerAddress, auth_file: Path, pool_size: int) -> str:
    backend = f"host={server.host} port={server.port} user={server.user}"
    if server.password:
        backend += f" password={server.password}"
    lines = [
        "[databases]",
        f"* = {backend}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {auth_file}",
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        "max_client_conn = 200",
        # A client waiting for a server connection longer than this fails with a clear
        # error instead of hanging the test.
        "query_wait_timeout = 60",
        "ignore_startup_parameters = extra_float_digits,options",
        "log_connections = 0",
        "log_disconnections = 0",
    ]
    if pgbouncer_version(program) >= PREPARED_STATEMENTS_SETTING:
        lines.append("max_prepared_statements = 0")
    return "\n".join(lines) + "\n"


def _run_as() -> str | None:
    """PgBouncer refuses to run as root: then it runs as ``nobody``."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    return "nobody"


@contextmanager
def running_pgbouncer(
    program: str, server_url: str, *, pool_size: int = POOL_SIZE
) -> Iterator[RunningPgBouncer]:
    """Start PgBouncer in transaction mode in front of ``server_url``'s server; stop it after.

    ``pool_size`` server connections per database and user (``default_pool_size``).

    Raises ``RuntimeError`` with the reason when it cannot start or reach the server.
    """
    server = server_address(server_url)
    user = _run_as()
    if user and server.host.startswith("/"):
        # Our embedded server's socket directory is private to the user running the tests.
        raise RuntimeError(
            f"PgBouncer runs as {user} and cannot reach the unix socket in {server.host};"
            " set TEST_DATABASE_URL to a TCP server"
        )
    with tempfile.TemporaryDirectory(prefix="albumsync-pgbouncer-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)
        auth_file = work / "users.txt"
        auth_file.write_text(f"{_quoted(server.user)} {_quoted(server.password or '')}\n")
        port = _free_port()
        ini = work / "pgbouncer.ini"
        ini.write_text(_ini(program, port, server, auth_file, pool_size))
        for path in (auth_file, ini):
            path.chmod(0o644)
        log = work / "pgbouncer.log"
        command = [program, *(["-u", user] if user else []), str(ini)]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        running = RunningPgBouncer(port, server, log)
        try:
            _wait_ready(process, running)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], bouncer: RunningPgBouncer) -> None:
    deadline = time.monotonic() + 20
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PgBouncer exited with {process.returncode}: {bouncer.tail()}")
        try:
            with psycopg.connect(
                bouncer.url("postgres"), prepare_threshold=None, connect_timeout=2
            ) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            time.sleep(0.1)
    raise RuntimeError(f"PgBouncer did not answer within 20 s ({last}): {bouncer.tail()}")


@pytest.fixture(scope="session")
def pgbouncer(server_url: str) -> Iterator[RunningPgBouncer]:
    """Our PgBouncer (transaction mode, 2 server connections per database) for the session."""
    program = pgbouncer_program()
    if program is None:
        pytest.skip("pgbouncer is not installed (.ci/run installs it); pooler tests skipped")
    with contextlib.ExitStack() as stack:
        try:
            bouncer = stack.enter_context(running_pgbouncer(program, server_url))
        except RuntimeError as exc:
            pytest.skip(f"PgBouncer could not be started in front of the test server: {exc}")
        yield bouncer


@pytest.fixture(scope="session")
def pooled_database_url(pgbouncer: RunningPgBouncer, database_url: str) -> str:
    """The session's migrated database, reached through PgBouncer in transaction mode."""
    database = make_url(sqlalchemy_url(database_url)).database or ""
    return pgbouncer.url(database)
