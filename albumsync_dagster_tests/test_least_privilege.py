"""Least privilege: a role that is not a superuser, given only the README's grants, against a
``photo_metadata`` another role owns with Row Level Security on (how a table made in
Supabase's dashboard looks to a pipeline role).

Roles are cluster-wide: each test makes its own, with unique names, and drops them (after its
database) at the end.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from albumsync_dagster.db import create_engine, sqlalchemy_url
from albumsync_dagster.definitions import defs
from albumsync_dagster_tests.cli_runner import CliResult, one_error_line, run_cli
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.sports_account import TZ, Harness, sports_harness

README = Path(__file__).resolve().parents[1] / "README.md"

# The seed's DDL, as the enrichment pipeline (or Supabase's dashboard) made it.
SEED_TABLE = (
    "CREATE TABLE photo_metadata (photo_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    " image_key text UNIQUE NOT NULL, album_key text, album_name text, ImageUrl text,"
    " ThumbnailUrl text, sport_type text, photo_date timestamp, updated_at timestamp)"
)
SEED_INDEXES = {
    "idx_photo_metadata_album_key": "CREATE INDEX idx_photo_metadata_album_key"
    " ON photo_metadata (album_key) WHERE album_key IS NOT NULL",
    "idx_photo_metadata_album_key_name": "CREATE INDEX idx_photo_metadata_album_key_name"
    " ON photo_metadata (album_key, album_name) WHERE album_key IS NOT NULL",
}


def readme_grants() -> str:
    """The SQL block of the README's "Grants" section, exactly as a user pastes it."""
    text = README.read_text()
    section = text[text.index("### Grants") :]
    match = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert match, "README's Grants section has no sql block"
    return match.group(1)


@dataclass
class Restricted:
    """A database whose photo_metadata belongs to ``owner``, and a pipeline ``role``."""

    role: str
    owner: str
    url: str  # as the pipeline role
    admin: Engine  # superuser, on the same database

    def run(self, *args: str, harness: Harness | None = None, **env: str) -> CliResult:
        full = {"ALBUMSYNC_DATABASE_URL": self.url, "ALBUMSYNC_TIMEZONE": TZ, **env}
        if harness is not None:
            full.update(harness.emulator.env())
        return run_cli(*args, env=full)

    def sql(self, statement: str) -> None:
        with self.admin.begin() as conn:
            conn.exec_driver_sql(statement)


@pytest.fixture
def restricted_factory(
    server_url: str, database_factory: Callable[[], str]
) -> Iterator[Callable[..., Restricted]]:
    """``make(indexes=..., revoke=...)``: a fresh database set up as on Supabase, the README's
    grants applied to a new role (``revoke``: SQL taking one of them back, ``{role}`` filled)."""
    server = sa.create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    made: list[tuple[str, Restricted]] = []

    def make(indexes: tuple[str, ...] = tuple(SEED_INDEXES), revoke: str | None = None):
        suffix = uuid.uuid4().hex[:8]
        role, owner = f"albumsync_pipe_{suffix}", f"albumsync_owner_{suffix}"
        url = database_factory()
        admin = create_engine(url)
        grants = readme_grants()
        password = re.search(r"PASSWORD '([^']*)'", grants).group(1)  # type: ignore[union-attr]
        with server.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {owner} NOLOGIN")
        restricted = Restricted(
            role,
            owner,
            make_url(sqlalchemy_url(url))
            .set(username=role, password=password)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg://", "postgresql://"),
            admin,
        )
        made.append((url, restricted))
        # PostgreSQL 14 still lets PUBLIC create in public; Supabase and 15+ do not.
        restricted.sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        restricted.sql(SEED_TABLE)
        for name in indexes:
            restricted.sql(SEED_INDEXES[name])
        restricted.sql(f"ALTER TABLE photo_metadata OWNER TO {owner}")
        restricted.sql("ALTER TABLE photo_metadata ENABLE ROW LEVEL SECURITY")
        restricted.sql(re.sub(r"\balbumsync\b", role, grants))
        if revoke:
            restricted.sql(revoke.format(role=role))
        return restricted

    yield make
    for url, restricted in made:
        restricted.admin.dispose()
        name = make_url(sqlalchemy_url(url)).database
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {restricted.role}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {restricted.owner}")
    server.dispose()


def test_the_readme_grants_are_what_the_test_applies():
    grants = readme_grants()
    assert "GRANT USAGE, CREATE ON SCHEMA public TO albumsync;" in grants
    assert "GRANT SELECT, UPDATE ON TABLE public.photo_metadata TO albumsync;" in grants
    assert "CREATE POLICY" in grants and "superuser" not in grants.lower()


def test_every_command_works_with_only_the_readme_grants(restricted_factory):
    db = restricted_factory()
    migrated = db.run("migrate")
    assert migrated.code == 0, migrated.stderr
    assert "warning" not in migrated.stderr  # the owner's indexes exist: left alone
    with db.admin.connect() as conn:
        owners = dict(
            conn.execute(
                sa.text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")
            ).all()
        )
    assert owners.pop("photo_metadata") == db.owner
    assert set(owners.values()) == {db.role}  # the project's own tables are the role's

    with sports_harness(db.admin) as h:
        synced = db.run("sync", "--all", "--apply", "--json", harness=h)
        assert synced.code == 0, synced.stderr
        summary = synced.json()["summary"]
        assert summary["actions"] == {"renamed": 2, "kept": 1, "no_canonical": 1}
        assert summary["photo_rows"] == 71 and summary["warnings"] == []
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"
        assert names_of(db.admin, "GAME01") == {"Eagles vs Lions - May 30": 30}
        lines = db.run("sync", "--album-key", "GAME01", "--apply", harness=h)
        assert "(0 of 30 rows updated)" in lines.stdout, lines.stdout

        verified = db.run("verify", harness=h)
        assert verified.code == 0, verified.stdout + verified.stderr
        assert db.run("stats", harness=h).code == 0

        rolled = db.run("rollback", "--since", "1h", "--apply", harness=h)
        assert rolled.code == 0, rolled.stdout + rolled.stderr
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(db.admin, "GAME01") == {"eagles v lions": 30}

        repaired = db.run("repair", "--json", harness=h)
        assert repaired.code == 0 and repaired.json() == [], repaired.stderr

        db.sql("UPDATE photo_metadata SET album_key = NULL WHERE image_key = 'gA0003'")
        filled = db.run("backfill-album-keys", "--json", harness=h)
        assert filled.code == 0, filled.stderr
        assert filled.json()["filled"] == 1
        assert db.run("lock", "GAME01", harness=h).code == 0
        assert db.run("unlock", "GAME01", harness=h).code == 0


def test_a_missing_index_on_the_owners_table_is_one_warning_and_migrate_succeeds(
    restricted_factory,
):
    db = restricted_factory(indexes=("idx_photo_metadata_album_key",))
    for _ in range(2):  # said again until the owner creates it
        result = db.run("migrate")
        assert result.code == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(warnings) == 1, result.stderr
        assert warnings[0].startswith("warning: index idx_photo_metadata_album_key_name")
        assert warnings[0].endswith(
            "run: CREATE INDEX IF NOT EXISTS idx_photo_metadata_album_key_name ON photo_metadata"
            " (album_key, album_name) WHERE album_key IS NOT NULL;"
        )
    with db.admin.connect() as conn:
        applied = conn.execute(sa.text("SELECT count(*) FROM schema_migrations")).scalar()
        assert applied == len(list((README.parent / "sql").glob("*.sql")))
    db.sql(warnings[0].split("run: ", 1)[1])  # what the owner pastes
    again = db.run("migrate")
    assert again.code == 0 and again.stderr.strip() == ""


@pytest.mark.parametrize(
    ("revoke", "command", "expected"),
    [
        (
            "REVOKE UPDATE ON photo_metadata FROM {role}",
            ("sync", "--all", "--apply"),
            "the role {role} lacks UPDATE on table photo_metadata:"
            " GRANT UPDATE ON photo_metadata TO {role};",
        ),
        (
            "REVOKE SELECT ON photo_metadata FROM {role}",
            ("verify",),
            "the role {role} lacks SELECT on table photo_metadata:"
            " GRANT SELECT ON photo_metadata TO {role};",
        ),
        (
            "REVOKE CREATE ON SCHEMA public FROM {role}",
            ("migrate",),
            "the role {role} lacks CREATE on schema public:"
            " GRANT CREATE ON SCHEMA public TO {role};",
        ),
        (
            "REVOKE USAGE ON SCHEMA public FROM {role}, PUBLIC",
            ("migrate",),
            "the role {role} lacks USAGE on schema public: GRANT USAGE ON SCHEMA public TO {role};",
        ),
    ],
)
def test_a_role_lacking_one_grant_gets_one_line(restricted_factory, revoke, command, expected):
    if command[0] == "migrate":
        db = restricted_factory(revoke=revoke)
        line = one_error_line(db.run(*command))
    else:
        db = restricted_factory()
        assert db.run("migrate").code == 0
        db.sql(revoke.format(role=db.role))
        with sports_harness(db.admin) as h:
            line = one_error_line(db.run(*command, harness=h))
            assert h.smugmug_name("GAME01") == "eagles v lions"  # refused before any rename
    assert line == "error: " + expected.format(role=db.role)


def test_a_policy_hiding_an_albums_rows_is_warned_about(restricted_factory):
    db = restricted_factory()
    assert db.run("migrate").code == 0
    db.sql(
        f"CREATE POLICY hide_game01 ON photo_metadata AS RESTRICTIVE FOR SELECT TO {db.role}"
        " USING (album_key IS DISTINCT FROM 'GAME01')"
    )
    with sports_harness(db.admin) as h:
        result = db.run("sync", "--all", "--dry-run", "--verbose", harness=h)
        assert result.code == 0, result.stderr
        assert "GAME01  'eagles v lions' -> 'Eagles vs Lions - May 30'" in result.stdout
        assert "(no photo rows)" in result.stdout
        warnings = [line for line in result.stderr.splitlines() if "warning" in line]
        assert warnings == [
            f"warning: album GAME01: 30 image(s) on SmugMug but no photo_metadata row visible"
            f" to role {db.role}; row level security is on for photo_metadata: a policy may"
            " hide them from the role"
        ]
        data = db.run("sync", "--all", "--dry-run", "--json", harness=h).json()
        assert len(data["summary"]["warnings"]) == 1
        assert data["summary"]["photo_rows"] == 41


@pytest.mark.parametrize("hidden", [False, True], ids=["all rows visible", "a policy hides one"])
def test_the_album_sync_job_runs_as_the_restricted_role(restricted_factory, monkeypatch, hidden):
    from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches
    from albumsync_dagster.dagster_layer.partitions import ALBUMS

    db = restricted_factory()
    assert db.run("migrate").code == 0
    if hidden:
        db.sql(
            f"CREATE POLICY hide_lax ON photo_metadata AS RESTRICTIVE FOR SELECT TO {db.role}"
            " USING (album_key IS DISTINCT FROM 'LAX003')"
        )
    with sports_harness(db.admin) as h, dg.DagsterInstance.ephemeral() as instance:
        for name, value in h.emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", db.url)
        monkeypatch.setenv("ALBUMSYNC_TIMEZONE", TZ)
        monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("smugmug_album_catalog")]
        )
        assert catalog.success
        keys = list(instance.get_dynamic_partitions(ALBUMS))
        (result,) = execute_album_sync_batches(defs, instance, [keys])
        assert result.success
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"
        assert names_of(db.admin, "GAME01") == {"Eagles vs Lions - May 30": 30}
        warnings = {
            e.partition: e.materialization.metadata["warning"].value
            for e in result.get_asset_materialization_events()
            if e.asset_key == dg.AssetKey("photo_metadata_album_name")
            and "warning" in e.materialization.metadata
        }
        logged = [
            e.message
            for e in instance.all_logs(result.run_id)
            if e.level == logging.WARNING and "no photo_metadata row visible" in e.message
        ]
        if hidden:
            expected = (
                f"album LAX003: 12 image(s) on SmugMug but no"
                f" photo_metadata row visible to role {db.role}; row level security is on for"
                " photo_metadata: a policy may hide them from the role"
            )
            assert warnings == {"LAX003": expected}
            assert len(logged) == 1 and logged[0].endswith(expected)
        else:
            assert warnings == {} and logged == []


def _catalog_failure(db, emulator, monkeypatch) -> str:
    """The catalog run as the role: it must fail; its step failure's message."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", db.url)
    monkeypatch.setenv("ALBUMSYNC_TIMEZONE", TZ)
    monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("smugmug_album_catalog")],
            raise_on_error=False,
        )
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        error = failure.step_failure_data.error
        assert error.cls_name == "Failure" and error.cause is None  # no wrapped traceback
        message = error.message.strip()
        assert "\n" not in message
        return message.split("Failure: ", 1)[1]  # Dagster shows the class, then our line


def test_a_dagster_run_lacking_a_grant_fails_with_the_one_line(restricted_factory, monkeypatch):
    db = restricted_factory()
    assert db.run("migrate").code == 0
    db.sql(f"REVOKE UPDATE ON photo_metadata FROM {db.role}")
    with sports_harness(db.admin) as h:
        message = _catalog_failure(db, h.emulator, monkeypatch)
    assert message == (
        f"the role {db.role} lacks UPDATE on table photo_metadata:"
        f" GRANT UPDATE ON photo_metadata TO {db.role};"
    )


def test_a_dagster_run_before_migrate_says_to_migrate(restricted_factory, monkeypatch):
    from albumsync_dagster.emulator import EmulatorStore, run_emulator
    from albumsync_dagster_tests.sports_account import account_data

    db = restricted_factory()  # photo_metadata exists (the owner's), our tables do not
    with run_emulator(EmulatorStore.from_dict(account_data()), port=0) as emulator:
        message = _catalog_failure(db, emulator, monkeypatch)
    assert "albumsync migrate" in message


def test_a_refusal_met_inside_a_command_is_explained_on_the_roles_connection(
    restricted_factory,
):
    from albumsync_dagster.privileges import (
        OwnershipRequired,
        PrivilegeMissing,
        explain_privilege_error,
    )

    db = restricted_factory(revoke="REVOKE UPDATE ON photo_metadata FROM {role}")
    engine = create_engine(db.url)
    try:
        statements = {
            "UPDATE photo_metadata SET album_name = 'x' WHERE album_key = 'A'": (
                PrivilegeMissing,
                f"the role {db.role} lacks UPDATE on table photo_metadata:"
                f" GRANT UPDATE ON photo_metadata TO {db.role};",
            ),
            "CREATE INDEX IF NOT EXISTS idx_sport ON photo_metadata (sport_type)": (
                OwnershipRequired,
                f"the role {db.role} does not own table photo_metadata; its owner must run:"
                " CREATE INDEX IF NOT EXISTS idx_sport ON photo_metadata (sport_type);",
            ),
        }
        for statement, (kind, message) in statements.items():
            with engine.connect() as conn:
                with pytest.raises(sa.exc.DBAPIError) as refused:
                    conn.exec_driver_sql(statement)
                conn.rollback()
                explained = explain_privilege_error(refused.value, conn)
            assert type(explained) is kind and str(explained) == message
            # Without a connection the statement's verb is named.
            assert str(explain_privilege_error(refused.value, None)).startswith("the role")
    finally:
        engine.dispose()


def test_the_privilege_check_is_one_round_trip_and_takes_column_grants(restricted_factory):
    from albumsync_dagster.privileges import check_privileges

    db = restricted_factory()
    assert db.run("migrate").code == 0
    # Column-level UPDATE on the columns written is as good as the table-level grant.
    db.sql(f"REVOKE UPDATE ON photo_metadata FROM {db.role}")
    db.sql(f"GRANT UPDATE (album_key, album_name, updated_at) ON photo_metadata TO {db.role}")
    engine = create_engine(db.url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as conn:
        check_privileges(conn)
    assert len(statements) == 1  # one round trip, also behind a pooler far away
    # Without USAGE on one of its tables' sequences a command is refused naming it.
    with db.admin.connect() as conn:
        sequence = conn.execute(
            sa.text(
                "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
                " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'"
                " AND t.relname <> 'photo_metadata' ORDER BY s.relname LIMIT 1"
            )
        ).scalar_one()
    db.sql(f"REVOKE USAGE ON SEQUENCE {sequence} FROM {db.role}")
    refused = db.run("sync", "--all", "--apply")
    assert one_error_line(refused) == (
        f"error: the role {db.role} lacks USAGE on sequence {sequence}:"
        f" GRANT USAGE ON SEQUENCE {sequence} TO {db.role};"
    )
    engine.dispose()
