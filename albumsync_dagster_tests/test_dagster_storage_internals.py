"""``dagster_layer/storage.py`` builds on dagster-postgres's private internals. When the pinned
Dagster changes any of them, this fails naming what moved, before a run stores events wrongly.

What it relies on: the storages' constructor order (it calls ``super().__init__`` positionally),
``optimize_for_webserver`` (the pooled engine), the event log's ``index_transaction``,
``prepare_insert_event_batch``, ``_store_asset_event`` and ``store_asset_check_event``, the
event table's ``id`` column, the config helpers of ``dagster_postgres.utils``, and Dagster
reading ``DAGSTER_EVENT_BATCH_SIZE`` and handing planned events to ``store_event_batch``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import dagster
from dagster._core.events import BATCH_WRITABLE_EVENTS
from dagster._core.instance import utils as instance_utils
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from albumsync_dagster.dagster_layer import storage

PINNED = "1.13.27"  # pyproject.toml: dagster==1.13.27, dagster-postgres==0.29.27


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_pinned_dagster_is_installed():
    assert dagster.__version__ == PINNED, (
        f"Dagster {dagster.__version__} is installed, storage.py was checked against {PINNED}:"
        " re-read dagster-postgres's event log and run storage, then update this test"
    )


def test_dagster_postgres_internals_that_storage_relies_on():
    moved = []

    def expect(what: str, actual: object, wanted: object) -> None:
        if actual != wanted:
            moved.append(f"{what}: expected {wanted!r}, found {actual!r}")

    for base in (PostgresEventLogStorage, PostgresRunStorage):
        expect(
            f"{base.__name__}.__init__",
            parameters(base.__init__),
            ["self", "postgres_url", "should_autocreate_tables", "inst_data", "token_provider"],
        )
        expect(
            f"{base.__name__}.optimize_for_webserver",
            parameters(base.optimize_for_webserver),
            ["self", "statement_timeout", "pool_recycle", "max_overflow"],
        )
    log = PostgresEventLogStorage
    expect("index_transaction", parameters(log.index_transaction), ["self"])
    expect(
        "prepare_insert_event_batch", parameters(log.prepare_insert_event_batch), ["self", "events"]
    )
    expect(
        "_store_asset_event",
        parameters(log._store_asset_event),
        ["self", "conn", "event", "event_id"],
    )
    expect(
        "store_asset_check_event",
        parameters(log.store_asset_check_event),
        ["self", "event", "event_id"],
    )
    expect("store_event_batch", parameters(log.store_event_batch), ["self", "events"])
    expect("event table has an id column", "id" in SqlEventLogStorageTable.c, True)
    expect("pg_url_from_config", parameters(pg_url_from_config), ["config_value"])
    expect(
        "get_token_provider_from_config",
        parameters(get_token_provider_from_config)[:1],
        ["config_value"],
    )
    expect(
        "planned events are written in batches",
        {storage.PLANNED, storage.CHECK_PLANNED} <= BATCH_WRITABLE_EVENTS,
        True,
    )
    expect(
        "Dagster reads DAGSTER_EVENT_BATCH_SIZE",
        storage.EVENT_BATCH_SIZE_VAR in inspect.getsource(instance_utils._get_event_batch_size),
        True,
    )
    assert moved == [], "dagster-postgres internals used by storage.py changed:\n" + "\n".join(
        moved
    )
