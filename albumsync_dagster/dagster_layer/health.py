"""``sync_health``: the whole photo table against the SmugMug snapshot, and its checks.

The queries are set-based (one statement each, grouped in PostgreSQL) so they stay cheap on
a table of millions of rows: the checks fetch counts and a bounded sample, never every album.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from albumsync_dagster import album_sync
from albumsync_dagster.dagster_layer.assets import PHOTO_ROWS, smugmug_album_catalog
from albumsync_dagster.dagster_layer.metadata import listed, markdown_table
from albumsync_dagster.dagster_layer.resources import AlbumSyncSettings, PhotoDatabase
from albumsync_dagster.health import (
    SAMPLE,
    find_orphan_album_keys,
    last_sync_activity,
    reconcile_names,
    snapshot_album_count,
)
from albumsync_dagster.settings import DEFAULT_MAX_PHOTOS_WITHOUT_ALBUM_KEY

RECENT_ACTIVITY_HOURS = 24

# --- the asset -----------------------------------------------------------------------------


@dg.asset(
    group_name="health",
    kinds={"postgres"},
    deps=[PHOTO_ROWS, smugmug_album_catalog],
)
def sync_health(photo_db: PhotoDatabase) -> dg.MaterializeResult:
    """The state of the whole photo table against SmugMug: counts a person watches daily."""
    engine = photo_db.get_engine()
    stats = album_sync.get_sync_stats(engine)
    inconsistent = album_sync.find_inconsistent_albums(engine)
    orphans, _ = find_orphan_album_keys(engine)
    reconciliation = reconcile_names(engine)
    last = last_sync_activity(engine)
    return dg.MaterializeResult(
        metadata={
            "total_albums": dg.MetadataValue.int(stats.total_albums),
            "total_photos": dg.MetadataValue.int(stats.total_photos),
            "photos_with_album_key": dg.MetadataValue.int(stats.photos_with_album_key),
            "photos_without_album_key": dg.MetadataValue.int(stats.photos_without_album_key),
            "rows_updated_last_24h": dg.MetadataValue.int(stats.recently_updated),
            "albums_with_several_names": dg.MetadataValue.int(len(inconsistent)),
            "orphan_album_keys": dg.MetadataValue.int(orphans),
            "albums_on_smugmug": dg.MetadataValue.int(snapshot_album_count(engine)),
            "albums_not_matching_smugmug": dg.MetadataValue.int(reconciliation.mismatched),
            "name_copies_not_matching_smugmug": dg.MetadataValue.json(
                {copy.label: copy.albums for copy in reconciliation.copies}
            ),
            "last_sync_activity": dg.MetadataValue.text(last.isoformat() if last else "never"),
        }
    )


# --- the checks ----------------------------------------------------------------------------


@dg.asset_check(
    asset=sync_health,
    description="No album's photo rows carry more than one name (or a name next to none).",
)
def no_inconsistent_album_names(photo_db: PhotoDatabase) -> dg.AssetCheckResult:
    keys = album_sync.find_inconsistent_albums(photo_db.get_engine())
    return dg.AssetCheckResult(
        passed=not keys,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "every album's rows carry one name"
            if not keys
            else f"{len(keys)} album(s) whose rows carry several names: {listed(keys)}"
        ),
        metadata={
            "albums_with_several_names": dg.MetadataValue.int(len(keys)),
            "album_keys": dg.MetadataValue.json(keys[:SAMPLE]),
        },
    )


class WithoutAlbumKeyConfig(dg.Config):
    limit: int | None = Field(
        default=None,
        description="Most photo rows allowed without an album key. Unset: "
        f"ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY (default {DEFAULT_MAX_PHOTOS_WITHOUT_ALBUM_KEY}).",
    )


@dg.asset_check(
    asset=sync_health,
    description="Photo rows without an album key stay within a limit "
    "(`albumsync backfill-album-keys` fills them from SmugMug).",
)
def photos_without_album_key_within_limit(
    config: WithoutAlbumKeyConfig, photo_db: PhotoDatabase, settings: AlbumSyncSettings
) -> dg.AssetCheckResult:
    engine = photo_db.get_engine()
    limit = settings.get().max_photos_without_album_key if config.limit is None else config.limit
    count = album_sync.count_photos_without_album_key(engine)
    sample = album_sync.get_photos_without_album_key(engine, limit=SAMPLE) if count else []
    return dg.AssetCheckResult(
        passed=count <= limit,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{count} photo row(s) without album key (limit {limit})",
        metadata={
            "photos_without_album_key": dg.MetadataValue.int(count),
            "limit": dg.MetadataValue.int(limit),
            "sample_image_keys": dg.MetadataValue.json([p.image_key for p in sample]),
        },
    )


@dg.asset_check(
    asset=sync_health,
    description="Every album key in the photo rows is an album SmugMug still has "
    "(per the latest catalog snapshot).",
)
def no_orphan_album_keys(photo_db: PhotoDatabase) -> dg.AssetCheckResult:
    engine = photo_db.get_engine()
    total, sample = find_orphan_album_keys(engine)
    on_smugmug = snapshot_album_count(engine)
    hint = (
        " (the SmugMug catalog snapshot is empty: materialize smugmug_album_catalog first)"
        if total and on_smugmug == 0
        else ""
    )
    return dg.AssetCheckResult(
        passed=total == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "every album key in the rows is on SmugMug"
            if total == 0
            else f"{total} album key(s) in the rows that SmugMug does not have"
            f"{hint}: {listed([o.album_key for o in sample])}"
        ),
        metadata={
            "orphan_album_keys": dg.MetadataValue.int(total),
            "albums_on_smugmug": dg.MetadataValue.int(on_smugmug),
            "sample": markdown_table(
                ["album key", "photo rows"], [(o.album_key, o.photos) for o in sample]
            ),
        },
    )


@dg.asset_check(
    asset=sync_health,
    description=f"The sync ran in the last {RECENT_ACTIVITY_HOURS} hours "
    "(a canonical name computed or an album name changed).",
)
def recent_sync_activity(photo_db: PhotoDatabase) -> dg.AssetCheckResult:
    last = last_sync_activity(photo_db.get_engine())
    age = datetime.now(UTC) - last if last else None
    passed = age is not None and age <= timedelta(hours=RECENT_ACTIVITY_HOURS)
    if last is None or age is None:
        description = "the sync has never run"
    else:
        description = (
            f"last sync activity {age.total_seconds() / 3600:.1f} h ago ({last.isoformat()})"
        )
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "last_sync_activity": dg.MetadataValue.text(last.isoformat() if last else "never"),
            "hours_since": dg.MetadataValue.float(round(age.total_seconds() / 3600, 2))
            if age is not None
            else dg.MetadataValue.text("never"),
            "limit_hours": dg.MetadataValue.int(RECENT_ACTIVITY_HOURS),
        },
    )


@dg.asset_check(
    asset=sync_health,
    description="For every album SmugMug has, all its photo rows, and every other copy of its "
    "name (ALBUMSYNC_NAME_COPIES), carry SmugMug's name (set-based reconciliation of the "
    "catalog snapshot against the rows).",
)
def smugmug_names_match_rows(photo_db: PhotoDatabase) -> dg.AssetCheckResult:
    result = reconcile_names(photo_db.get_engine())
    if result.mismatched == 0:
        description = f"all {result.albums_compared} album(s) match SmugMug"
    else:
        description = (
            f"{result.mismatched} of {result.albums_compared} album(s) have rows not "
            f"carrying SmugMug's name: {listed([m.album_key for m in result.sample])}"
        )
    for copy in result.copies:  # other copies of the name (ALBUMSYNC_NAME_COPIES)
        description += (
            f"; {copy.label}: {copy.albums} album(s) not carrying SmugMug's name: "
            f"{listed([key for key, _, _ in copy.sample])}"
        )
    return dg.AssetCheckResult(
        passed=result.all_match,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "albums_compared": dg.MetadataValue.int(result.albums_compared),
            "albums_not_matching": dg.MetadataValue.int(result.mismatched),
            "sample": markdown_table(
                ["album key", "SmugMug name", "photos", "rows differing", "row names"],
                [
                    (m.album_key, m.smugmug_name, m.photos, m.differing, m.row_names)
                    for m in result.sample
                ],
            ),
            "copies_not_matching": dg.MetadataValue.json(
                {copy.label: copy.albums for copy in result.copies}
            ),
            "copies_sample": markdown_table(
                ["copy", "album key", "SmugMug name", "copy's name"],
                [(copy.label, *row) for copy in result.copies for row in copy.sample],
            ),
        },
    )


HEALTH_CHECKS = [
    no_inconsistent_album_names,
    photos_without_album_key_within_limit,
    no_orphan_album_keys,
    recent_sync_activity,
    smugmug_names_match_rows,
]
