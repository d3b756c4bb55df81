"""``album_names_in_sync``: every album a run touched has all its photo rows on SmugMug's name.

Evaluated in the ``album_sync`` step after the batch's stages (a check spec of that
multi-asset), once per run over all the run's albums: a per-partition check in a run over
several partitions would record one result with no partition anyway. The metadata holds a row
per album. Run alone (the check selected without the assets) it re-reads the database, which
is how a tampered row is caught between runs.
"""

from collections.abc import Mapping, Sequence

import dagster as dg
import sqlalchemy as sa

from albumsync_dagster import album_sync
from albumsync_dagster.dagster_layer.metadata import listed, markdown_table
from albumsync_dagster.proposals import Proposal
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.sql_arrays import any_of

NAMES_IN_SYNC = dg.AssetCheckKey(dg.AssetKey("photo_metadata_album_name"), "album_names_in_sync")


def names_in_sync_result(
    engine: sa.Engine,
    keys: Sequence[str],
    run_errors: Mapping[str, str],
    *,
    proposals: Sequence[Proposal] = (),
) -> dg.AssetCheckResult:
    """The check over ``keys``; ``run_errors`` are the albums this run failed to sync;
    ``proposals`` the run's rename proposals, shown as a table for a person to review."""
    with engine.connect() as conn:
        snapshot = {
            r.album_key: r
            for r in conn.execute(
                sa.select(
                    smugmug_albums.c.album_key, smugmug_albums.c.name, smugmug_albums.c.gone_at
                ).where(any_of(smugmug_albums.c.album_key, keys))
            )
        }
    expected = {k: snapshot[k].name for k in keys if k in snapshot and snapshot[k].gone_at is None}
    verification = album_sync.verify_albums(engine, expected)

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
    extra: dict[str, dg.MetadataValue] = {}
    if proposals:
        extra["rename_proposals"] = markdown_table(
            ["album", "current name", "proposed name", "drift", "parts that differ", "deferred"],
            [
                (
                    p.album_key,
                    p.current_name,
                    p.proposed_name,
                    p.drift_score,
                    p.parts_that_differ,
                    "yes" if p.deferred_by_budget else "no",
                )
                for p in proposals
            ],
        )
    description = (
        f"all {checked} album(s) in sync"
        if not failing
        else f"{len(failing)} of {checked} album(s) out of sync: {listed(failing)}"
    )
    return dg.AssetCheckResult(
        asset_key=NAMES_IN_SYNC.asset_key,
        check_name=NAMES_IN_SYNC.name,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "albums_checked": dg.MetadataValue.int(checked),
            "albums_out_of_sync": dg.MetadataValue.int(len(failing)),
            "out_of_sync_album_keys": dg.MetadataValue.json(failing),
            "albums": markdown_table(["album", "SmugMug name", "photos", "in sync", "issue"], rows),
            **extra,
        },
    )
