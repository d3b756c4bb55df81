"""Load the demo account's ``photo_metadata`` and ``album_enrichment`` rows into PostgreSQL.

Set-based: one ``INSERT ... ON CONFLICT DO UPDATE`` executed for all rows, which SQLAlchemy
sends as multi-row VALUES statements of 1,000 rows ("insertmanyvalues"); 18,500 rows take
well under a second. Idempotent: loading twice leaves the same rows, and loading again
resets rows the pipeline changed (album names, album keys) to the demo's starting state.
Rows that are not the demo's are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.engine import Engine

from albumsync_dagster.emulator.demo_account import DemoAccount
from albumsync_dagster.schema import album_enrichment, photo_metadata


@dataclass(frozen=True, slots=True)
class DemoRowsLoaded:
    """How many rows were written to each table."""

    photo_rows: int
    enrichment_rows: int


def load_demo_rows(engine: Engine, demo: DemoAccount) -> DemoRowsLoaded:
    """Write (insert or reset) the demo's photo and enrichment rows, in one transaction."""
    with engine.begin() as conn:
        if demo.photo_rows:
            conn.execute(
                _upsert(photo_metadata, "image_key", keep=("photo_id",)), list(demo.photo_rows)
            )
        if demo.enrichment_rows:
            conn.execute(
                _upsert(album_enrichment, "album_key"),
                list(demo.enrichment_rows),
            )
    return DemoRowsLoaded(len(demo.photo_rows), len(demo.enrichment_rows))


def _upsert(table: Table, key: str, keep: Sequence[str] = ()) -> Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE every other column (but ``keep``) from the new row."""
    stmt = insert(table)
    updated = [c.name for c in table.columns if c.name != key and c.name not in keep]
    return stmt.on_conflict_do_update(
        index_elements=[table.c[key]], set_={name: stmt.excluded[name] for name in updated}
    )
