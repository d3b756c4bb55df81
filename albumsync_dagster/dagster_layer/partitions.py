"""The ``albums`` dynamic partitions: one per SmugMug album key, and batches of them.

A Dagster run covers a batch of albums as a partition *range* (consecutive keys in the
partitions' order, which for dynamic partitions is the order they were added) or, when the
albums are not neighbours, as a list of album keys in its run config. New albums are added
oldest first, so albums uploaded together sit together and a batch of them is a range.
Partitions are never deleted (an album gone from SmugMug keeps its history): deleting one
would shift the keys that every stored range resolves to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

ALBUMS = "albums"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
ALBUMS_TAG = "albumsync/albums"

albums_partitions = dg.DynamicPartitionsDefinition(name=ALBUMS)


def register_albums(instance: dg.DagsterInstance, album_keys: Sequence[str]) -> list[str]:
    """Add the keys not yet partitions, in the order given; returns the keys added."""
    existing = set(instance.get_dynamic_partitions(ALBUMS))
    new = [k for k in dict.fromkeys(album_keys) if k not in existing]
    if new:
        instance.add_dynamic_partitions(ALBUMS, new)
    return new


def batches_in_partition_order(
    partition_keys: Sequence[str], wanted: Iterable[str], batch_size: int
) -> list[list[str]]:
    """The wanted keys in partition order, in batches of at most ``batch_size``.

    Keys not among ``partition_keys`` are ignored. As few batches as the size allows, whether
    or not the keys are neighbours: a batch of neighbours runs as a partition range, any other
    as a list of album keys (see :func:`run_target`).
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    wanted_set = set(wanted)
    ordered = [k for k in dict.fromkeys(partition_keys) if k in wanted_set]
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def is_partition_range(partition_keys: Sequence[str], batch: Sequence[str]) -> bool:
    """Whether ``batch`` is consecutive partitions, in order (so one range covers exactly it)."""
    if not batch:
        return False
    position = {k: i for i, k in enumerate(partition_keys)}
    if any(k not in position for k in batch):
        return False
    first = position[batch[0]]
    return [position[k] for k in batch] == list(range(first, first + len(batch)))


def run_target(
    partition_keys: Sequence[str], batch: Sequence[str]
) -> tuple[dict[str, str], list[str]]:
    """How a run covers ``batch``: (run tags, ``album_keys`` for the run config).

    Consecutive partitions: the range tags and no album keys, so the run is a partition range
    like a backfill's. Otherwise no range (it would take in every album between) but the album
    keys, and a tag naming them so the runs of an album can be found in the UI.
    """
    if is_partition_range(partition_keys, batch):
        return range_tags(batch), []
    return {ALBUMS_TAG: ",".join(batch)}, list(batch)


def all_album_batches(instance: dg.DagsterInstance, batch_size: int) -> list[list[str]]:
    """Every registered album, in batches of ``batch_size`` consecutive partitions."""
    keys = list(instance.get_dynamic_partitions(ALBUMS))
    return batches_in_partition_order(keys, keys, batch_size)


def range_tags(batch: Sequence[str]) -> dict[str, str]:
    """Run tags making a run cover ``batch`` (consecutive partitions) as one range."""
    if not batch:
        raise ValueError("a batch needs at least one album key")
    return {RANGE_START_TAG: batch[0], RANGE_END_TAG: batch[-1]}
