"""Benchmark: what ``sync --all`` costs on the first run, on a day with nothing changed and
on a day with 1% of the albums changed; and fetching albums one at a time against four.

Builds an account of N albums of P photos (enrichment and photo rows for all; a third of
the names drift) on the emulator, then runs :func:`account_sync.sync_account` (what
``albumsync sync --all --apply`` runs) in this process:

  first          every album new: listing, one image listing per album, renames, rows
  quiet          nothing changed: the sorted listing (album!search) stopped at the cursor
  quiet daily    nothing changed: the full listing (what runs once a day)
  changed        1% of albums get new photos, 1% new enrichment, 0.5% renamed by a person:
                 the sorted listing finds the renames, the enrichment needs no listing
  changed daily  the full listing then finds the new photos
  full           ``--full``: every album's images read again (yesterday's behaviour)

For each: SmugMug requests (by kind, from the emulator's log), wall time, and rows the run
wrote (rows whose xmin is newer than the run, plus rows deleted). With ``--latency-ms`` the
emulator answers that much later; ``--concurrency`` lists fetched at once (compare 1 and 4).

Run: .venv/bin/python bench/daily_run.py [--albums N] [--photos-per-album N]
         [--latency-ms MS] [--concurrency N] [--requests-per-second R]
Uses TEST_DATABASE_URL's server when set, otherwise an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsync_dagster.account_sync import sync_account  # noqa: E402
from albumsync_dagster.db import create_engine, sqlalchemy_url  # noqa: E402
from albumsync_dagster.emulator import EmulatorStore, run_emulator  # noqa: E402
from albumsync_dagster.emulator import account_builder as ab  # noqa: E402
from albumsync_dagster.migrations import migrate  # noqa: E402
from albumsync_dagster.schema import album_enrichment, photo_metadata  # noqa: E402
from albumsync_dagster.settings import Settings  # noqa: E402
from albumsync_dagster.shared_rate_limit import share_rate_limit  # noqa: E402
from albumsync_dagster.smugmug import SmugMugClient  # noqa: E402

TABLES = (
    "photo_metadata",
    "album_name_changes",
    "smugmug_albums",
    "smugmug_images",
    "canonical_name_history",
    "album_sync_state",
    "sync_cursors",
)
TEAMS = ("Eagles", "Lions", "Hawks", "Wildcats", "Panthers", "Bulldogs", "Tigers", "Falcons")


def build(albums: int, per_album: int) -> tuple[dict[str, Any], list[dict], list[dict]]:
    data, enrichment, rows = [], [], []
    for i in range(albums):
        key = f"DAY{i:06d}"
        home, away = TEAMS[i % 8], TEAMS[(i + 3) % 8]
        name = f"{home} vs {away} - May 30" if i % 3 else f"album {i}"
        images = ab.images(key, per_album, first="2024-05-30T18:00:00+00:00")
        data.append(ab.album(key, name, images))
        enrichment.append({"album_key": key, "teams": [home, away], "sport_type": "soccer"})
        rows.extend(
            {
                "photo_id": uuid.uuid4(),
                "image_key": image["image_key"],
                "album_key": key,
                "album_name": name,
                "updated_at": datetime(2024, 1, 1),
            }
            for image in images
        )
    return ab.account(data, timezone="UTC"), enrichment, rows


def fresh_database() -> str:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        return ""
    name = f"bench_daily_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def xid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT txid_current() % 4294967296")).scalar_one())


def table_sizes(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES
        }


def written(engine: sa.Engine, since: int, sizes_before: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for t in TABLES:
            n = int(
                conn.execute(
                    sa.text(f"SELECT count(*) FROM {t} WHERE xmin::text::bigint > :x"),
                    {"x": since},
                ).scalar_one()
            )
            if n:
                out[t] = n
    after = table_sizes(engine)
    deleted = sum(max(0, sizes_before[t] - after[t]) for t in TABLES)
    if deleted:
        out["deleted"] = deleted
    return out


def kinds(emulator: Any) -> dict[str, int]:
    def kind(path: str, method: str) -> str:
        if method == "PATCH":
            return "patch"
        if path.endswith("!images"):
            return "image pages"
        if path.endswith("!albums"):
            return "listing pages"
        if path.endswith("album!search"):
            return "search pages"
        return "albums"

    return dict(Counter(kind(e.path, e.method) for e in emulator.log.entries()))


def run(label: str, engine: sa.Engine, emulator: Any, settings: Settings, args: Any, **kw: Any):
    emulator.log.clear()
    before, sizes = xid(engine), table_sizes(engine)
    client = SmugMugClient.from_env(
        emulator.env(), requests_per_second=args.requests_per_second or None
    )
    share_rate_limit(client, engine)
    started = time.perf_counter()
    result = sync_account(engine, client, settings=settings, dry_run=False, **kw)
    seconds = time.perf_counter() - started
    client.close()
    actions = Counter(o.action for o in result.outcomes)
    print(
        f"{label:13s} {result.listing:7s} {seconds:8.2f} s  albums worked {len(result.work):6d}  "
        f"requests {sum(kinds(emulator).values()):6d} {kinds(emulator)}  "
        f"written {written(engine, before, sizes)}  actions {dict(actions)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=1000)
    parser.add_argument("--photos-per-album", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests-per-second", type=float, default=0)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    url = fresh_database()
    engine = create_engine(url or None)
    migrate(engine)
    data, enrichment, rows = build(args.albums, args.photos_per_album)
    with engine.begin() as conn:
        conn.execute(sa.insert(album_enrichment), enrichment)
        for start in range(0, len(rows), 10_000):
            conn.execute(sa.insert(photo_metadata), rows[start : start + 10_000])
    settings = Settings(
        timezone="UTC", batch_size=args.batch_size, max_concurrency=args.concurrency
    )
    print(
        f"{args.albums} albums x {args.photos_per_album} photos, latency {args.latency_ms} ms,"
        f" concurrency {args.concurrency}, rate {args.requests_per_second or 'unlimited'}/s"
    )
    with run_emulator(EmulatorStore.from_dict(data), port=0) as emulator:
        emulator.faults.set_latency(args.latency_ms)
        daily = replace(settings, full_listing_hours=0)  # the full listing, every time
        run("first", engine, emulator, settings, args)
        run("quiet", engine, emulator, settings, args)
        run("quiet daily", engine, emulator, daily, args)
        keys = [a["key"] for a in data["albums"]]
        step = 100
        for key in keys[1::step]:
            emulator.store.upload_images(key, 3, first=datetime(2024, 5, 30, 19, tzinfo=UTC))
        with engine.begin() as conn:
            conn.execute(
                sa.update(album_enrichment)
                .where(album_enrichment.c.album_key.in_(keys[2::step]))
                .values(event_name="Spring Cup", teams=[], updated_at=datetime.now(UTC))
            )
        for key in keys[3 :: step * 2]:
            emulator.store.rename_by_hand(key, "Chosen by a person")
        run("changed", engine, emulator, settings, args)
        run("changed daily", engine, emulator, daily, args)
        run("full", engine, emulator, settings, args, full=True)


if __name__ == "__main__":
    main()
