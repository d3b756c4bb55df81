"""``smugmug_change_sensor``: albums changed on SmugMug since its cursor get synced.

Each tick lists the account's albums newest-changed first (``album!search`` sorted by
``LastUpdated``) down to the cursor minus a safety lag (:data:`LISTING_LAG`), stores what it
saw in the snapshot, and requests runs for exactly the albums that differ from their last
sync (renamed or edited on SmugMug, rows out of agreement, a pending rename, locked or
unlocked) and the albums new this tick, batched like ``enrichment_sensor``'s: n albums make
ceil(n / ``ALBUMSYNC_BATCH_SIZE``) runs. Run keys name the albums and the versions seen, so
a tick repeated before the runs finish requests nothing twice.

Its first tick (no cursor: just turned on, a new Dagster instance) starts where the snapshot
in PostgreSQL is complete through (the last listing of ``sync --all`` or the catalog; else
its newest ``LastUpdated``), so it runs only what differs from it. An
album never synced is left to the daily run unless it is new on SmugMug, and new enrichment
is ``enrichment_sensor``'s. Uploads do not move ``LastUpdated`` (only ``ImagesLastUpdated``):
the daily full listing finds them, and the albums deleted.

One listing page a tick in a quiet account (96 requests a day every 15 minutes), so the
default interval is 15 minutes: a person's rename reaches the photo rows within that.
"""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg

from albumsync_dagster.account_sync import SENSOR_REASONS, find_changes
from albumsync_dagster.catalog import in_partition_order
from albumsync_dagster.dagster_layer.jobs import album_sync_job, runs_of_albums
from albumsync_dagster.dagster_layer.resources import (
    AlbumSyncSettings,
    PhotoDatabase,
    SmugMugResource,
)
from albumsync_dagster.incremental import NEVER_SYNCED, decision_inputs
from albumsync_dagster.shared_rate_limit import share_rate_limit

EVERY_15_MINUTES = 15 * 60


def parse_cursor(text: str | None) -> datetime | None:
    """The point the sensor's listings are complete through (None before its first tick):
    SmugMug's time when its last listing began, or the newest ``LastUpdated`` it listed."""
    if not text:
        return None
    position = json.loads(text).get("last_updated")
    return datetime.fromisoformat(position) if position else None


def serialize_cursor(position: datetime | None) -> str:
    return json.dumps({"last_updated": position.isoformat() if position else None})


@dg.sensor(
    name="smugmug_change_sensor",
    job=album_sync_job,
    minimum_interval_seconds=EVERY_15_MINUTES,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Albums changed on SmugMug since the cursor (newest-changed listing), rows out "
    "of agreement and pending renames: adds new albums' partitions and syncs exactly those "
    "albums, at most ALBUMSYNC_BATCH_SIZE per run.",
)
def smugmug_change_sensor(
    context: dg.SensorEvaluationContext,
    photo_db: PhotoDatabase,
    smugmug: SmugMugResource,
    settings: AlbumSyncSettings,
) -> dg.SensorResult:
    engine = photo_db.get_engine()
    tick_settings = settings.get()
    decided_with = decision_inputs(tick_settings)
    with smugmug.build_client() as client:
        share_rate_limit(client, engine)
        tick = find_changes(engine, client, parse_cursor(context.cursor), decided_with)
        requests = client.request_count
    cursor = serialize_cursor(tick.position)
    work = [
        w
        for w in tick.work
        if w.album_key in tick.new
        or (NEVER_SYNCED not in w.reasons and set(w.reasons) & SENSOR_REASONS)
    ]
    if not work:
        return dg.SensorResult(
            skip_reason=f"nothing changed on SmugMug ({tick.listed} album(s) listed, "
            f"{requests} request(s))",
            cursor=cursor,
        )
    # A run's version of an album: its snapshot and the reasons it differs.
    versions = {
        w.album_key: f"{tick.versions.get(w.album_key, '')}|{','.join(w.reasons)}" for w in work
    }
    runs = runs_of_albums(
        context.instance,
        versions,
        tick_settings.batch_size,
        "smugmug",
        register_first=in_partition_order(engine, versions),
    )
    context.log.info(
        f"{len(work)} album(s) changed ({len(runs.new_partitions)} new partitions) from "
        f"{tick.listed} listed in {requests} request(s): {len(runs.batches)} run(s)"
    )
    return runs.sensor_result(cursor)
