"""The check of every album a run touched: all its photo rows carry SmugMug's name.

One check on the partitioned ``photo_metadata_album_name``, evaluated once per run over the
run's whole partition range (a per-partition check in a range run would record one result
with no partition anyway), with a row per album in its metadata.
"""

import dagster as dg
import sqlalchemy as sa

from albumsync_dagster import album_sync
from albumsync_dagster.dagster_layer.assets import (
    photo_metadata_album_name,
    smugmug_album,
    smugmug_album_name,
)
from albumsync_dagster.dagster_layer.metadata import album_errors_in_run, listed, markdown_table
from albumsync_dagster.dagster_layer.resources import PhotoDatabase
from albumsync_dagster.schema import smugmug_albums


def _run_album_keys(context: dg.AssetCheckExecutionContext, engine: sa.Engine) -> list[str]:
    """The albums of the run's partitions; every album SmugMug has when run unpartitioned."""
    if context.has_partition_key or context.has_partition_key_range:
        return list(context.partition_keys)
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(smugmug_albums.c.album_key)
                .where(smugmug_albums.c.gone_at.is_(None))
                .order_by(smugmug_albums.c.album_key)
            ).scalars()
        )


@dg.asset_check(
    asset=photo_metadata_album_name,
    description="For every album of the run, all its photo rows carry SmugMug's name "
    "(as this run fetched or set it); fails listing the albums that do not.",
)
def album_names_in_sync(
    context: dg.AssetCheckExecutionContext, photo_db: PhotoDatabase
) -> dg.AssetCheckResult:
    engine = photo_db.get_engine()
    keys = _run_album_keys(context, engine)
    with engine.connect() as conn:
        snapshot = {
            r.album_key: r
            for r in conn.execute(
                sa.select(
                    smugmug_albums.c.album_key, smugmug_albums.c.name, smugmug_albums.c.gone_at
                ).where(smugmug_albums.c.album_key.in_(keys))
            )
        }
    expected = {k: snapshot[k].name for k in keys if k in snapshot and snapshot[k].gone_at is None}
    verification = album_sync.verify_albums(engine, expected)
    run_errors = album_errors_in_run(
        context.instance, context.run.run_id, [smugmug_album.key, smugmug_album_name.key]
    )

    rows: list[tuple[object, ...]] = []
    failing: list[str] = []
    for key in keys:
        row = snapshot.get(key)
        if row is not None and row.gone_at is not None:
            rows.append(
                (key, row.name, None, "gone", "deleted on SmugMug: see no_orphan_album_keys")
            )
            continue
        if key in run_errors:
            failing.append(key)
            rows.append((key, expected.get(key), None, "✗", run_errors[key]))
            continue
        if key not in expected:
            failing.append(key)
            rows.append((key, None, None, "✗", "never fetched from SmugMug"))
            continue
        result = verification[key]
        if result.photo_count == 0:
            rows.append((key, expected[key], 0, "✓", "no photo rows"))
        elif result.synced:
            rows.append((key, expected[key], result.photo_count, "✓", ""))
        else:
            failing.append(key)
            rows.append((key, expected[key], result.photo_count, "✗", "; ".join(result.issues)))

    checked = len(keys)
    description = (
        f"all {checked} album(s) in sync"
        if not failing
        else f"{len(failing)} of {checked} album(s) out of sync: {listed(failing)}"
    )
    return dg.AssetCheckResult(
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "albums_checked": dg.MetadataValue.int(checked),
            "albums_out_of_sync": dg.MetadataValue.int(len(failing)),
            "out_of_sync_album_keys": dg.MetadataValue.json(failing),
            "albums": markdown_table(["album", "SmugMug name", "photos", "in sync", "issue"], rows),
        },
    )
