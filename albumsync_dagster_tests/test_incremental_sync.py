"""``sync --all`` works only on what changed; ``--full`` re-reads everything; any size works.

Run as a person would (the ``albumsync`` command) against the emulator over HTTP and a real
PostgreSQL. What a run cost is read from the emulator's request log (what reached SmugMug)
and from the database itself (rows whose ``xmin`` is newer than the run: rows it wrote).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.emulator import EmulatorStore, run_emulator
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.schema import album_enrichment, photo_metadata
from albumsync_dagster_tests.cli_runner import run_cli
from albumsync_dagster_tests.conftest import DATA_TABLES
from albumsync_dagster_tests.photo_rows import audit_rows, names_of, photo_row, updates_refused

TZ = "America/New_York"
LISTING_PAGE = 100  # albums per user!albums page


def cli_env(emulator: Any, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **emulator.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "SMUGMUG_REQUESTS_PER_SECOND": "0",
        **extra,
    }


def load(engine: Engine, data: dict[str, Any], enrichment: dict[str, tuple[str, ...]]) -> None:
    """Photo rows for every image of the account (named as SmugMug names the album), and
    enrichment (two teams) for the albums given."""
    rows = [
        photo_row(image["image_key"], album["key"], album["name"], updated_at=datetime(2024, 1, 1))
        for album in data["albums"]
        for image in album["images"]
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(photo_metadata), rows[start : start + 5000])
        if enrichment:
            conn.execute(
                sa.insert(album_enrichment),
                [
                    {"album_key": k, "teams": list(t), "sport_type": "soccer"}
                    for k, t in enrichment.items()
                ],
            )


def current_xid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT txid_current() % 4294967296")).scalar_one())


def rows_written_since(engine: Engine, xid: int) -> dict[str, int]:
    """Rows inserted or updated (per table) by transactions after ``xid``."""
    written = {}
    with engine.connect() as conn:
        for table in DATA_TABLES:
            n = conn.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE xmin::text::bigint > :x"),
                {"x": xid},
            ).scalar_one()
            if n:
                written[table] = int(n)
    return written


def count_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@contextmanager
def serving(data: dict[str, Any]) -> Iterator[Any]:
    with run_emulator(EmulatorStore.from_dict(data), port=0) as emulator:
        yield emulator


def sync_all(env: dict[str, str], *flags: str) -> dict[str, Any]:
    result = run_cli("sync", "--all", "--apply", "--json", *flags, env=env)
    assert result.code in (0, 1), result.stderr
    payload = result.json()
    payload["code"] = result.code
    return payload


def by_key(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["album_key"]: a for a in payload["albums"]}


def image_listings(emulator: Any) -> list[str]:
    return sorted(
        e.path.split("/")[-1].removesuffix("!images")
        for e in emulator.log.entries()
        if e.path.endswith("!images")
    )


# --- a few albums, each with one kind of change ---------------------------------------------

KEYS = [f"Al{i:02d}bm" for i in range(12)]
NEW_IMAGES, NEW_ENRICHMENT, PERSON, DELETED, PENDING = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]


def small_account() -> dict[str, Any]:
    # Even albums carry their canonical name already; odd ones a name that drifts.
    return ab.account(
        [
            ab.album(
                key,
                f"Team{i}a vs Team{i}b - May 30" if i % 2 == 0 else f"album {i}",
                ab.images(key, 3, first="2024-05-30T22:00:00+00:00"),
            )
            for i, key in enumerate(KEYS)
        ],
        timezone=TZ,
    )


def small_account_loaded(engine: Engine) -> dict[str, Any]:
    """The small account, its photo rows and every album's enrichment in the database."""
    data = small_account()
    load(engine, data, {key: (f"Team{i}a", f"Team{i}b") for i, key in enumerate(KEYS)})
    return data


def test_daily_run_touches_only_what_changed(engine: Engine, database_url: str) -> None:
    data = small_account_loaded(engine)
    with serving(data) as emulator:
        # Every run lists the whole account (compared with the snapshot): new photos and
        # deleted albums are seen at once.
        env = cli_env(
            emulator, database_url, ALBUMSYNC_BATCH_SIZE="5", ALBUMSYNC_FULL_LISTING_HOURS="0"
        )

        first = sync_all(env)
        assert first["code"] == 0
        assert first["summary"]["albums"] == len(KEYS)
        assert first["summary"]["actions"] == {"renamed": 6, "kept": 6}
        assert image_listings(emulator) == sorted(KEYS)

        # Nothing changed: one listing page, no image listing, no PATCH, nothing rewritten.
        emulator.log.clear()
        before = current_xid(engine)
        images_before = count_rows(engine, "smugmug_images")
        quiet = sync_all(env)
        assert quiet["code"] == 0 and quiet["albums"] == []
        assert quiet["summary"]["listing"] == "full"
        assert quiet["summary"]["listed"] == len(KEYS)
        assert len(emulator.log.entries()) <= math.ceil(len(KEYS) / LISTING_PAGE) + 2
        assert image_listings(emulator) == []
        assert emulator.log.count("PATCH") == 0
        written = rows_written_since(engine, before)
        # Only the cursors: when the listing ran, and where it began (SmugMug's time).
        assert set(written) == {"sync_cursors"} and written["sync_cursors"] <= 2, written
        assert count_rows(engine, "smugmug_images") == images_before

        # A few albums change, each in its own way.
        store = emulator.store
        store.add_images(NEW_IMAGES, ab.images(NEW_IMAGES + "x", 2))
        with engine.begin() as conn:
            conn.execute(
                sa.update(album_enrichment)
                .where(album_enrichment.c.album_key.in_([NEW_ENRICHMENT, PENDING]))
                .values(teams=["Hawks", "Owls"], updated_at=sa.func.now())
            )
        store.rename_by_hand(PERSON, "Senior night")  # PERSON (odd) was renamed by us
        store.delete_album(DELETED)
        emulator.log.clear()
        history_before = count_rows(engine, "canonical_name_history")
        with updates_refused(engine, PENDING):
            changed = sync_all(env)
        outcomes = by_key(changed)
        assert set(outcomes) == {NEW_IMAGES, NEW_ENRICHMENT, PERSON, DELETED, PENDING}
        assert outcomes[NEW_IMAGES]["action"] == "kept"
        assert outcomes[NEW_ENRICHMENT]["action"] == "renamed"
        assert outcomes[NEW_ENRICHMENT]["smugmug_name"] == "Hawks vs Owls - May 30"
        assert outcomes[PERSON]["action"] == "human_renamed"
        assert outcomes[DELETED]["action"] == "gone"
        assert outcomes[PENDING]["action"] == "renamed" and outcomes[PENDING]["error"]
        assert changed["code"] == 1  # PENDING's rows could not follow: reported as failed
        assert image_listings(emulator) == [NEW_IMAGES]  # enrichment alone reads no images
        assert emulator.log.count("PATCH") == 2
        assert names_of(engine, NEW_ENRICHMENT) == {"Hawks vs Owls - May 30": 3}
        assert names_of(engine, PERSON) == {"Senior night": 3}
        assert count_rows(engine, "canonical_name_history") - history_before == 4
        assert [r.status for r in audit_rows(engine, PENDING)][-1] == "pending"

        # Next run: only the pending rename is settled.
        emulator.log.clear()
        repaired = sync_all(env)
        assert repaired["code"] == 0
        assert list(by_key(repaired)) == [PENDING]
        assert names_of(engine, PENDING) == {"Hawks vs Owls - May 30": 3}
        assert [r.status for r in audit_rows(engine, PENDING)][-1] == "completed"
        assert image_listings(emulator) == [] and emulator.log.count("PATCH") == 0

        # And then nothing again; --full re-reads every album's images.
        assert sync_all(env)["albums"] == []
        emulator.log.clear()
        full = sync_all(env, "--full")
        assert full["summary"]["albums"] == len(KEYS) - 1
        assert image_listings(emulator) == sorted(set(KEYS) - {DELETED})
        assert emulator.log.count("PATCH") == 0


def test_between_full_listings_the_sorted_listing_finds_edits_in_a_page(
    engine: Engine, database_url: str
) -> None:
    data = small_account_loaded(engine)
    with serving(data) as emulator:
        env = cli_env(emulator, database_url)
        first = sync_all(env)
        assert first["summary"]["listing"] == "full"  # the first run lists everything

        # Nothing changed: one page of album!search (stopped where the last listing began, less
        # the lag), no user!albums, no image listing.
        emulator.log.clear()
        quiet = sync_all(env)
        assert quiet["albums"] == [] and quiet["summary"]["listing"] == "changed"
        assert [e.path for e in emulator.log.entries()] == ["/api/v2/album!search"]

        # A person's rename and new enrichment are found; new photos in an album not edited
        # for long wait for the next full listing (an upload moves ImagesLastUpdated, not
        # LastUpdated, so the sorted listing does not bring the album up).
        uploaded = KEYS[6]  # kept in the first run: its LastUpdated is from 2024
        emulator.store.rename_by_hand(PERSON, "Senior night")
        emulator.store.upload_images(uploaded, 2, first=datetime(2024, 5, 30, 23, 0))
        with engine.begin() as conn:
            conn.execute(
                sa.update(album_enrichment)
                .where(album_enrichment.c.album_key == NEW_ENRICHMENT)
                .values(teams=["Hawks", "Owls"], updated_at=sa.func.now())
            )
        emulator.log.clear()
        changed = sync_all(env)
        assert set(by_key(changed)) == {PERSON, NEW_ENRICHMENT}
        assert by_key(changed)[PERSON]["action"] == "human_renamed"
        assert by_key(changed)[NEW_ENRICHMENT]["action"] == "renamed"
        assert emulator.log.count("GET", path_contains="!albums") == 0
        assert image_listings(emulator) == []

        emulator.log.clear()
        daily = sync_all({**env, "ALBUMSYNC_FULL_LISTING_HOURS": "0"})
        assert daily["summary"]["listing"] == "full"
        assert list(by_key(daily)) == [uploaded]
        assert image_listings(emulator) == [uploaded]


def test_rows_out_of_agreement_and_unlocked_albums_are_found(
    engine: Engine, database_url: str
) -> None:
    data = small_account_loaded(engine)
    with serving(data) as emulator:
        env = cli_env(emulator, database_url)
        assert run_cli("lock", KEYS[7], env=env).code == 0
        first = sync_all(env)
        assert by_key(first)[KEYS[7]]["action"] == "locked"
        # Someone writes a stale name into a row; an operator unlocks an album.
        with engine.begin() as conn:
            conn.execute(
                sa.update(photo_metadata)
                .where(photo_metadata.c.album_key == KEYS[0])
                .values(album_name="stale")
            )
        assert run_cli("unlock", KEYS[7], env=env).code == 0
        emulator.log.clear()
        second = sync_all(env)
        outcomes = by_key(second)
        assert set(outcomes) == {KEYS[0], KEYS[7]}
        assert outcomes[KEYS[0]]["rows_updated"] == 3
        assert outcomes[KEYS[7]]["action"] == "renamed"
        assert image_listings(emulator) == []


def test_a_changed_naming_template_puts_every_album_back_in_the_work(
    engine: Engine, database_url: str
) -> None:
    data = small_account_loaded(engine)
    with serving(data) as emulator:
        env = cli_env(emulator, database_url)
        assert len(sync_all(env)["albums"]) == len(KEYS)
        assert sync_all(env)["albums"] == []  # nothing moved
        dry = {**env, "ALBUMSYNC_NAMING_TEMPLATE": "{middle} - {date:%m-%d-%Y}"}
        templated = sync_all(dry)
        assert len(templated["albums"]) == len(KEYS)  # the template decides every name anew
        assert by_key(templated)[KEYS[0]]["canonical_name"] == "Team0a vs Team0b - 05-30-2024"
        assert sync_all(dry)["albums"] == []
        other = {**env, "ALBUMSYNC_NAMING_TEMPLATE": "{middle} - {date:%b %d}"}
        assert len(sync_all(other)["albums"]) == len(KEYS)  # only the template changed


# --- above PostgreSQL's 65,535 parameters ----------------------------------------------------

LARGE = 9_100  # 8 parameters an album made 8,191 the old ceiling
WITH_IMAGES = 50  # the emulator answers ~60 image listings a second: most albums are empty


def test_an_account_above_the_old_ceiling_syncs_end_to_end(
    engine: Engine, database_url: str
) -> None:
    keys = [f"Lg{i:05d}" for i in range(LARGE)]
    data = ab.account(
        [
            ab.album(
                key,
                f"album {i}",
                ab.images(key, 2 if i < WITH_IMAGES else 0, first="2024-05-30T22:00:00+00:00"),
            )
            for i, key in enumerate(keys)
        ],
        timezone=TZ,
    )
    load(engine, data, {keys[0]: ("Eagles", "Lions")})
    # Every album has photo rows, named otherwise than on SmugMug: every album is written.
    with engine.begin() as conn:
        conn.execute(
            sa.insert(photo_metadata),
            [photo_row(f"{key}-row", key, "old name") for key in keys],
        )
    with serving(data) as emulator:
        env = cli_env(emulator, database_url, ALBUMSYNC_BATCH_SIZE="1000")
        first = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert first.code == 0, first.stderr[-2000:]
        summary = first.json()["summary"]
        assert summary["albums"] == LARGE
        assert summary["actions"] == {"renamed": 1, "no_canonical": LARGE - 1}
        assert summary["rows_updated"] == LARGE + 2  # and album 0's two images' rows
        assert image_listings(emulator) == keys[:WITH_IMAGES]
        assert count_rows(engine, "smugmug_albums") == LARGE
        assert count_rows(engine, "album_sync_state") == LARGE
        assert run_cli("verify", env=env).code == 0

        emulator.log.clear()
        before = current_xid(engine)
        again = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert again.code == 0, again.stderr[-2000:]
        assert again.json()["albums"] == []
        assert len(emulator.log.entries()) <= math.ceil(LARGE / LISTING_PAGE) + 2
        written = rows_written_since(engine, before)
        assert set(written) == {"sync_cursors"} and written["sync_cursors"] <= 2, written


def test_a_database_error_at_any_size_is_one_line(engine: Engine, database_url: str) -> None:
    keys = [f"Er{i:05d}" for i in range(300)]
    data = ab.account([ab.album(key, f"album {i}") for i, key in enumerate(keys)])
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_albums() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'injected fault: snapshot refused'; END $$;"
                "CREATE TRIGGER refuse_albums BEFORE INSERT ON smugmug_albums"
                " FOR EACH ROW EXECUTE FUNCTION refuse_albums()"
            )
        )
    try:
        with serving(data) as emulator:
            result = run_cli("sync", "--all", "--dry-run", env=cli_env(emulator, database_url))
        assert result.code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr[:2000]
        assert "injected fault: snapshot refused" in lines[0]
        assert "Er00001" not in lines[0]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER refuse_albums ON smugmug_albums"))
            conn.execute(sa.text("DROP FUNCTION refuse_albums()"))


def three_pages_of_albums(
    engine: Engine, keys: list[str], drifted: str | None = None
) -> dict[str, Any]:
    """An album per key (one photo each, enrichment loaded), each carrying its canonical
    name but ``drifted``."""
    data = ab.account(
        [
            ab.album(
                key,
                "album 0" if key == drifted else f"Team{i}a vs Team{i}b - May 30",
                ab.images(key, 1, first="2024-05-30T22:00:00+00:00"),
            )
            for i, key in enumerate(keys)
        ],
        timezone=TZ,
    )
    load(engine, data, {key: (f"Team{i}a", f"Team{i}b") for i, key in enumerate(keys)})
    return data


def test_a_burst_of_edits_is_listed_until_a_listing_an_hour_later_has_seen_it(
    engine: Engine, database_url: str
) -> None:
    # The sorted listing stops where the last complete listing began (SmugMug's time, its
    # Date header) less the hour's lag; not at the newest change less the lag, which after a
    # burst of edits would list the burst again on every run until something newer changed.
    keys = [f"Brs{i:03d}" for i in range(250)]
    data = three_pages_of_albums(engine, keys)
    with serving(data) as emulator:
        now = [datetime(2026, 6, 1, 12, 0, tzinfo=UTC)]
        emulator.store.clock = lambda: now[0]
        env = cli_env(emulator, database_url)

        def run_at(minutes: int) -> tuple[int, int]:
            """A sync --all at that many minutes past noon: (search pages, albums worked)."""
            now[0] = datetime(2026, 6, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)
            emulator.log.clear()
            payload = sync_all(env)
            assert payload["code"] == 0
            return emulator.log.count("GET", path_contains="album!search"), len(payload["albums"])

        assert sync_all(env)["summary"]["listing"] == "full"  # at noon
        now[0] += timedelta(minutes=10)
        for i, key in enumerate(keys):  # 250 albums edited (a new web address) at 12:10
            emulator.store.set_url_name(key, f"game-{i}")
        assert run_at(20) == (3, 250)  # the burst, as it happened: 251 albums listed
        assert run_at(120) == (3, 0)  # the 12:20 listing began within the hour after it
        assert run_at(240) == (1, 0)  # the 14:00 listing saw it all: one page from now on
        assert run_at(300) == (1, 0)


def test_a_full_listing_cut_short_keeps_what_it_stored_and_marks_nothing_gone(
    engine: Engine, database_url: str
) -> None:
    # The listing is stored as it arrives (a thousand albums a transaction), not held whole:
    # a listing that fails on its third page has stored its first two and marks no album
    # gone; the next complete listing finds the deleted album.
    keys = [f"Cut{i:03d}" for i in range(250)]
    # On the first page, renamed by the first run, then by a person; on the third page.
    renamed, deleted = keys[0], keys[240]
    data = three_pages_of_albums(engine, keys, drifted=renamed)
    with serving(data) as emulator:
        env = cli_env(emulator, database_url, ALBUMSYNC_FULL_LISTING_HOURS="0")
        assert sync_all(env)["code"] == 0
        with engine.connect() as conn:
            listed_at = conn.execute(
                sa.text("SELECT ran_at FROM sync_cursors WHERE name = 'full_listing'")
            ).scalar_one()

        emulator.store.rename_by_hand(renamed, "Senior night")
        emulator.store.delete_album(deleted)
        emulator.faults.fail_listing_from(2 * LISTING_PAGE + 1, status=500)
        cut = run_cli("sync", "--all", "--apply", env=env)
        assert cut.code == 2 and "Traceback" not in cut.stderr
        assert cut.stderr.strip().splitlines()[-1].startswith("error: SmugMug failed with 500")
        with engine.connect() as conn:
            stored = dict(conn.execute(sa.text("SELECT album_key, name FROM smugmug_albums")).all())
            gone = conn.execute(
                sa.text("SELECT count(*) FROM smugmug_albums WHERE gone_at IS NOT NULL")
            ).scalar_one()
            still = conn.execute(
                sa.text("SELECT ran_at FROM sync_cursors WHERE name = 'full_listing'")
            ).scalar_one()
        assert stored[renamed] == "Senior night"  # the first pages were stored
        assert deleted in stored and gone == 0  # nothing marked gone
        assert still == listed_at  # the full listing is still due

        emulator.faults.fail_listing_from(None)
        after = sync_all(env)
        assert after["code"] == 0 and after["summary"]["listing"] == "full"
        outcomes = by_key(after)
        assert outcomes[deleted]["action"] == "gone"
        assert outcomes[renamed]["action"] == "human_renamed"
        assert names_of(engine, renamed) == {"Senior night": 1}
