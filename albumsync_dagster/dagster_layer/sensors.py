"""``enrichment_sensor``: albums whose enrichment is new or changed get synced.

What changed since the cursor is the domain's (:mod:`albumsync_dagster.enrichment`: the
cursor on ``updated_at`` and album key, late commits read again within a look-back); this
sensor turns it into partitions and runs.

Runs cover exactly the changed albums, at most ``ALBUMSYNC_BATCH_SIZE`` per run: n changed
albums make ceil(n / batch size) runs, wherever they sit in the partition order. A batch of
neighbouring partitions runs as a partition range; a batch of albums scattered through the
order runs with their keys in the run config (a range would take in every album between).
Run keys name the albums and their enrichment versions, so an evaluation repeated after a
crash requests nothing twice, while a later change of the same albums does run.
"""

import dagster as dg

from albumsync_dagster.dagster_layer.jobs import TRIGGER_TAG, album_sync_job, runs_of_albums
from albumsync_dagster.dagster_layer.resources import AlbumSyncSettings, PhotoDatabase
from albumsync_dagster.enrichment import (
    LOOKBACK,
    EnrichmentChange,
    EnrichmentCursor,
    read_enrichment_changes,
)

__all__ = [
    "LOOKBACK",
    "TRIGGER_TAG",
    "EnrichmentChange",
    "EnrichmentCursor",
    "enrichment_sensor",
    "read_enrichment_changes",
]


@dg.sensor(
    name="enrichment_sensor",
    job=album_sync_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="New or changed album_enrichment rows: adds the albums' partitions and syncs "
    "exactly those albums, at most ALBUMSYNC_BATCH_SIZE per run.",
)
def enrichment_sensor(
    context: dg.SensorEvaluationContext, photo_db: PhotoDatabase, settings: AlbumSyncSettings
) -> dg.SensorResult:
    cursor = EnrichmentCursor.parse(context.cursor)
    changes, next_cursor = read_enrichment_changes(photo_db.get_engine(), cursor)
    if not changes:
        return dg.SensorResult(
            skip_reason="no new or changed enrichment", cursor=next_cursor.serialize()
        )
    versions = {c.album_key: c.version for c in changes}  # the latest version wins
    runs = runs_of_albums(context.instance, versions, settings.get().batch_size, "enrichment")
    context.log.info(
        f"{len(versions)} album(s) with new enrichment ({len(runs.new_partitions)} new "
        f"partitions): {len(runs.batches)} run(s)"
    )
    return runs.sensor_result(next_cursor.serialize())
