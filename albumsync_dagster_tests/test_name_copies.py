"""Other copies of an album's name (``ALBUMSYNC_NAME_COPIES``) and the views over them
(``ALBUMSYNC_REFRESH_VIEWS``), on a schema like a real photographer's: an ``albums`` table
keyed by album key and a materialized view ``albums_summary`` over it and the photo rows.

Real PostgreSQL, the SmugMug emulator over HTTP, the ``albumsync`` command in a subprocess
and real Dagster runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync
from albumsync_dagster.dagster_layer.partitions import range_tags
from albumsync_dagster.db import create_engine
from albumsync_dagster.definitions import defs
from albumsync_dagster.migrations import migrate
from albumsync_dagster.name_copies import (
    NameCopiesError,
    attach,
    open_photo_database,
    parse_name_copies,
    parse_views,
    resolve_name_copies,
)
from albumsync_dagster.settings import Settings
from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.conftest import DATA_TABLES
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.sports_account import ALBUMS, TZ, sports_harness

COPIES = "albums.album_name"
VIEWS = "albums_summary"
GAME_NAME = "Eagles vs Lions - May 30"  # GAME01's canonical name: the sync renames it

PHOTOGRAPHER_SCHEMA = """
CREATE TABLE albums (album_key text PRIMARY KEY, album_name text, created_at timestamptz
    NOT NULL DEFAULT now());
CREATE MATERIALIZED VIEW albums_summary AS
    SELECT a.album_key, a.album_name, count(p.photo_id) AS photos,
           min(p.album_name) AS row_name
    FROM albums a LEFT JOIN photo_metadata p ON p.album_key = a.album_key
    GROUP BY a.album_key, a.album_name;
CREATE UNIQUE INDEX albums_summary_key ON albums_summary (album_key);
CREATE VIEW albums_plain AS SELECT album_key, album_name FROM albums;
CREATE MATERIALIZED VIEW albums_unindexed AS SELECT album_key, album_name FROM albums;
CREATE SCHEMA studio;
CREATE TABLE studio."Album Index" (album_key varchar(64) PRIMARY KEY, "Title" text);
"""


@pytest.fixture(scope="module")
def photographer_url(database_factory: Callable[[], str]) -> str:
    """A database of its own: the pipeline's tables, then the photographer's."""
    url = database_factory()
    engine = create_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(PHOTOGRAPHER_SCHEMA)
    engine.dispose()
    return url


@pytest.fixture
def photographer(photographer_url: str) -> Iterator[Engine]:
    """The photographer's database emptied, ``albums`` holding SmugMug's names (one stale)."""
    engine = create_engine(photographer_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'TRUNCATE {", ".join(DATA_TABLES)}, albums, studio."Album Index" '
            "RESTART IDENTITY CASCADE"
        )
        conn.execute(
            sa.text("INSERT INTO albums (album_key, album_name) VALUES (:k, :n)"),
            [
                {"k": k, "n": "Old Cup Name" if k == "CUP002" else name}
                for k, (name, _, _) in ALBUMS.items()
            ],
        )
    yield engine
    engine.dispose()


def copies_of(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT album_key, album_name FROM albums")).all())


def summary_of(engine: Engine) -> dict[str, tuple[str, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT album_key, album_name, photos, row_name FROM albums_summary")
        )
        return {r.album_key: (r.album_name, r.photos, r.row_name) for r in rows}


def env_for(h, url: str, **extra: str) -> dict[str, str]:
    return {
        **h.emulator.env(),
        "ALBUMSYNC_DATABASE_URL": url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "ALBUMSYNC_NAME_COPIES": COPIES,
        "ALBUMSYNC_REFRESH_VIEWS": VIEWS,
        **extra,
    }


def test_sync_verify_repair_and_rollback_carry_the_albums_table(photographer, photographer_url):
    with sports_harness(photographer) as h:
        env = env_for(h, photographer_url)
        with photographer.begin() as conn:  # the view as the photographer last refreshed it
            conn.exec_driver_sql("REFRESH MATERIALIZED VIEW albums_summary")
        before = run_cli("verify", "--json", env=env)
        assert before.code == 1
        (cup,) = [a for a in before.json()["albums"] if a["album_key"] == "CUP002"]
        assert cup["issues"] == [
            "album CUP002: albums.album_name carries 'Old Cup Name' instead of "
            "'Spring Cup - Jun 2024'"
        ]

        applied = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert applied.code == 0, applied.stderr
        assert h.smugmug_name("GAME01") == GAME_NAME
        smugmug = {key: h.smugmug_name(key) for key in ALBUMS}
        assert copies_of(photographer) == smugmug  # renamed and stale copies both followed
        assert names_of(photographer, "GAME01") == {GAME_NAME: 30}
        summary = summary_of(photographer)
        assert summary["GAME01"] == (GAME_NAME, 30, GAME_NAME)  # refreshed after the names
        assert summary["CUP002"][0] == "Spring Cup - Jun 2024"
        assert run_cli("verify", env=env).code == 0

        # A person (or another tool) edits the albums table behind the pipeline's back.
        with photographer.begin() as conn:
            conn.execute(
                sa.text("UPDATE albums SET album_name = 'typo' WHERE album_key = 'GAME01'")
            )
        tampered = run_cli("verify", env=env)
        assert tampered.code == 1
        assert "albums.album_name carries 'typo' instead of 'Eagles vs Lions - May 30'" in (
            tampered.stdout
        )
        one = run_cli("verify", "--album-key", "GAME01", "--json", env=env)
        assert one.code == 1 and not one.json()["all_synced"]
        # The album report names the copy and puts the album first.
        from albumsync_dagster.album_report import build_album_report

        copies = resolve_name_copies(photographer, parse_name_copies(COPIES), ())
        report = build_album_report(
            attach(photographer, copies), threshold=20, max_renames_per_day=100
        )
        first = report.rows[0]
        assert (first.album_key, first.copies_disagreeing) == ("GAME01", "albums.album_name")
        assert first.needs_a_person
        assert {r.copies_disagreeing for r in report.rows[1:]} == {""}

        # The daily (incremental) run finds the album by its copy alone and repairs it.
        again = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert again.code == 0, again.stderr
        assert [a["album_key"] for a in again.json()["albums"]] == ["GAME01"]
        assert copies_of(photographer)["GAME01"] == GAME_NAME
        assert run_cli("verify", env=env).code == 0

        rolled = run_cli("rollback", "--since", "1h", "--apply", "--json", env=env)
        assert rolled.code == 0, rolled.stdout + rolled.stderr
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert copies_of(photographer)["GAME01"] == "eagles v lions"
        assert names_of(photographer, "GAME01") == {"eagles v lions": 30}
        assert summary_of(photographer)["GAME01"][0] == "eagles v lions"
        assert run_cli("verify", env=env).code == 0


def test_without_the_setting_the_albums_table_is_left_alone(photographer, photographer_url):
    with sports_harness(photographer) as h:
        env = env_for(h, photographer_url, ALBUMSYNC_NAME_COPIES="", ALBUMSYNC_REFRESH_VIEWS="")
        assert run_cli("sync", "--all", "--apply", env=env).code == 0
        assert copies_of(photographer)["GAME01"] == "eagles v lions"
        assert copies_of(photographer)["CUP002"] == "Old Cup Name"
        assert run_cli("verify", env=env).code == 0  # not listed: not checked


@pytest.mark.parametrize(
    ("copies", "views", "message"),
    [
        (
            "nosuch.col",
            "",
            "ALBUMSYNC_NAME_COPIES: nosuch.col: no table or view nosuch in the search path",
        ),
        (
            "albums.nme",
            "",
            "ALBUMSYNC_NAME_COPIES: albums.nme: table albums has no column nme "
            "(its columns: album_key, album_name, created_at)",
        ),
        (
            "albums_summary.album_name",
            "",
            "ALBUMSYNC_NAME_COPIES: albums_summary.album_name: albums_summary is a materialized "
            "view, not a table (list it in ALBUMSYNC_REFRESH_VIEWS)",
        ),
        (
            "albums; DROP TABLE albums.album_name",
            "",
            "ALBUMSYNC_NAME_COPIES: albums; DROP TABLE albums.album_name: no table or view "
            "albums; DROP TABLE albums in the search path",
        ),
        (
            "",
            "albums_plain",
            "ALBUMSYNC_REFRESH_VIEWS: albums_plain is a view, not a materialized view",
        ),
        ("", "albums", "ALBUMSYNC_REFRESH_VIEWS: albums is a table, not a materialized view"),
        (
            "",
            "nosuch",
            "ALBUMSYNC_REFRESH_VIEWS: nosuch: no table or view nosuch in the search path",
        ),
        (
            "albums",
            "",
            "ALBUMSYNC_NAME_COPIES: 'albums' is not table.column or schema.table.column",
        ),
    ],
)
def test_a_copy_or_view_that_cannot_be_used_is_refused_with_one_line(
    photographer, photographer_url, copies, views, message
):
    env = {
        "ALBUMSYNC_DATABASE_URL": photographer_url,
        "ALBUMSYNC_NAME_COPIES": copies,
        "ALBUMSYNC_REFRESH_VIEWS": views,
    }
    result = run_cli("verify", env=env)
    assert result.code == 2
    assert result.stderr.strip() == f"error: {message}"
    assert copies_of(photographer)["CUP002"] == "Old Cup Name"


def test_identifiers_are_the_databases_own_and_quoted(photographer, photographer_url):
    """A schema-qualified table whose names need quoting, a varchar key, and a view
    without a unique index (refreshed plainly)."""
    settings = Settings.from_env(
        {
            "ALBUMSYNC_DATABASE_URL": photographer_url,
            "ALBUMSYNC_NAME_COPIES": "studio.Album Index.Title, albums.album_name, "
            "photo_metadata.album_name",
            "ALBUMSYNC_REFRESH_VIEWS": "albums_unindexed, public.albums_summary",
        }
    )
    engine = open_photo_database(settings)
    try:
        with photographer.begin() as conn:
            conn.execute(sa.text("INSERT INTO studio.\"Album Index\" VALUES ('GAME01', 'x')"))
            conn.exec_driver_sql(
                "INSERT INTO photo_metadata (photo_id, image_key, album_key, "
                "album_name) VALUES (gen_random_uuid(), 'i1', 'GAME01', 'x')"
            )
        result = album_sync.batch_sync_albums(engine, [("GAME01", 'Don\'t; DROP "it"')])
        assert result.success == 1 and result.updated == 1
        with photographer.connect() as conn:
            title = conn.execute(sa.text('SELECT "Title" FROM studio."Album Index"')).scalar()
            unindexed = conn.execute(
                sa.text("SELECT album_name FROM albums_unindexed WHERE album_key = 'GAME01'")
            ).scalar()
        assert title == 'Don\'t; DROP "it"'
        assert copies_of(photographer)["GAME01"] == 'Don\'t; DROP "it"'
        assert unindexed == 'Don\'t; DROP "it"'
        assert summary_of(photographer)["GAME01"][0] == 'Don\'t; DROP "it"'
        assert album_sync.verify_album_sync(engine, "GAME01", 'Don\'t; DROP "it"').synced
        with photographer.begin() as conn:
            conn.execute(sa.text('UPDATE studio."Album Index" SET "Title" = NULL'))
        check = album_sync.verify_album_sync(engine, "GAME01", 'Don\'t; DROP "it"')
        assert not check.synced
        assert check.issues == [
            "album GAME01: studio.Album Index.Title carries no name instead of "
            "'Don\\'t; DROP \"it\"'"
        ]
    finally:
        engine.dispose()


def test_a_copy_that_refuses_the_write_takes_the_photo_rows_back_with_it(
    photographer, photographer_url
):
    """Same transaction: when the copy cannot be written, neither are the photo rows."""
    settings = Settings.from_env(
        {"ALBUMSYNC_DATABASE_URL": photographer_url, "ALBUMSYNC_NAME_COPIES": COPIES}
    )
    engine = open_photo_database(settings)
    try:
        with photographer.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO photo_metadata (photo_id, image_key, album_key, album_name) VALUES"
                " (gen_random_uuid(), 'i1', 'GAME01', 'eagles v lions')"
            )
            conn.exec_driver_sql(
                "ALTER TABLE albums ADD CONSTRAINT no_shouting"
                " CHECK (album_name <> upper(album_name))"
            )
        try:
            result = album_sync.batch_sync_albums(engine, [("GAME01", "LOUD NAME")])
        finally:
            with photographer.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE albums DROP CONSTRAINT no_shouting")
        assert result.failed_keys == ["GAME01"]
        assert "no_shouting" in result.errors_by_album["GAME01"]
        assert names_of(photographer, "GAME01") == {"eagles v lions": 1}
        assert copies_of(photographer)["GAME01"] == "eagles v lions"
    finally:
        engine.dispose()


def test_the_dagster_check_and_sync_health_see_the_albums_table(
    photographer, photographer_url, monkeypatch
):
    from albumsync_dagster.dagster_layer.jobs import execute_album_sync_batches

    check_key = dg.AssetCheckKey(dg.AssetKey("photo_metadata_album_name"), "album_names_in_sync")
    with sports_harness(photographer) as h, dg.DagsterInstance.ephemeral() as instance:
        for name, value in env_for(h, photographer_url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("smugmug_album_catalog")]
        )
        assert catalog.success
        keys = list(ALBUMS)
        (run,) = execute_album_sync_batches(defs, instance, [sorted(keys)])
        assert run.success
        assert copies_of(photographer) == {k: h.smugmug_name(k) for k in keys}
        assert summary_of(photographer)["GAME01"][0] == GAME_NAME

        with photographer.begin() as conn:
            conn.execute(
                sa.text("UPDATE albums SET album_name = 'typo' WHERE album_key = 'GAME01'")
            )
        job = defs.resolve_job_def("album_sync_job")
        only_check = job.get_subset(asset_selection=set(), asset_check_selection={check_key})
        checked = only_check.execute_in_process(
            instance=instance, tags=range_tags(["GAME01", "LAX003"]), raise_on_error=False
        )
        (check,) = checked.get_asset_check_evaluations()
        assert not check.passed
        assert check.metadata["out_of_sync_album_keys"].value == ["GAME01"]
        assert "albums.album_name carries 'typo' instead of" in check.metadata["albums"].value
        health = defs.resolve_job_def("sync_health_job").execute_in_process(
            instance=instance, raise_on_error=False
        )
        (match,) = [
            e
            for e in health.get_asset_check_evaluations()
            if e.check_name == "smugmug_names_match_rows"
        ]
        assert not match.passed
        assert "albums.album_name: 1 album(s) not carrying SmugMug's name: GAME01" in (
            match.description or ""
        )

        (again,) = execute_album_sync_batches(defs, instance, [sorted(keys)])
        evaluation = [
            e for e in again.get_asset_check_evaluations() if e.asset_check_key == check_key
        ]
        assert evaluation and evaluation[0].passed
        assert copies_of(photographer)["GAME01"] == GAME_NAME


def test_parsing_the_lists():
    copies = parse_name_copies(" albums.album_name , studio.index.title,albums.album_name,")
    assert [c.label for c in copies] == ["albums.album_name", "studio.index.title"]
    assert [v.label for v in parse_views("a, s.b, a")] == ["a", "s.b"]
    for bad in ("albums", "a.b.c.d", "a..b", '"a".b'):
        with pytest.raises(NameCopiesError, match="ALBUMSYNC_NAME_COPIES"):
            parse_name_copies(bad)
    with pytest.raises(NameCopiesError, match="ALBUMSYNC_REFRESH_VIEWS"):
        parse_views("a.b.c")
    assert parse_name_copies(None) == () and parse_views("  ") == ()
