"""The ``albums`` dynamic partitions: one per SmugMug album key, and batches of them.

A Dagster run covers a batch of albums as a partition *range*: consecutive keys in the
partitions' order, which for dynamic partitions is the order they were added. New albums are
added oldest first, so albums uploaded together sit together and a batch of them is a range.
Partitions are never deleted (an album gone from SmugMug keeps its history): deleting one
would shift the keys that every stored range resolves to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

from albumsync_dagster.smugmug import Album

ALBUMS = "albums"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

albums_partitions = dg.DynamicPartitionsDefinition(name=ALBUMS)


def in_partition_order(albums: Iterable[Album]) -> list[str]:
    """Album keys oldest first (SmugMug's creation date, then key): the order to add them."""
    far_past = "0000"
    ordered = sorted(
        albums, key=lambda a: (a.date.isoformat() if a.date else far_past, a.album_key)
    )
    return [a.album_key for a in ordered]


def register_albums(instance: dg.DagsterInstance, album_keys: Sequence[str]) -> list[str]:
    """Add the keys not yet partitions, in the order given; returns the keys added."""
    existing = set(instance.get_dynamic_partitions(ALBUMS))
    new = [k for k in dict.fromkeys(album_keys) if k not in existing]
    if new:
        instance.add_dynamic_partitions(ALBUMS, new)
    return new


def contiguous_batches(
    partition_keys: Sequence[str], wanted: Iterable[str], batch_size: int
) -> list[list[str]]:
    """The wanted keys as runs of consecutive partitions, each at most ``batch_size`` long.

    Keys not among ``partition_keys`` are ignored. Wanted keys that are not neighbours in the
    partition order cannot share a range, so they start a new batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    wanted_set = set(wanted)
    batches: list[list[str]] = []
    current: list[str] = []
    for key in partition_keys:
        if key in wanted_set and len(current) < batch_size:
            current.append(key)
            continue
        if current:
            batches.append(current)
        current = [key] if key in wanted_set else []
    if current:
        batches.append(current)
    return batches


def all_album_batches(instance: dg.DagsterInstance, batch_size: int) -> list[list[str]]:
    """Every registered album, in batches of ``batch_size`` consecutive partitions."""
    keys = list(instance.get_dynamic_partitions(ALBUMS))
    return [keys[i : i + batch_size] for i in range(0, len(keys), batch_size)]


def range_tags(batch: Sequence[str]) -> dict[str, str]:
    """Run tags making a run cover ``batch`` (consecutive partitions) as one range."""
    if not batch:
        raise ValueError("a batch needs at least one album key")
    return {RANGE_START_TAG: batch[0], RANGE_END_TAG: batch[-1]}
