"""SQLAlchemy Core declarations of the tables the project reads and writes.

The DDL that creates them lives in ``sql/`` (applied by :mod:`albumsync_dagster.migrations`);
these declarations build the statements. They match the migrations exactly (every table,
column, type, nullability and check): ``albumsync_dagster_tests/test_schema.py`` migrates a
database and compares, so a new migration comes with its declaration here.
"""

from __future__ import annotations

from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()

# The seed's table, exactly as its DDL shapes it (unquoted identifiers: ImageUrl -> imageurl).
photo_metadata = Table(
    "photo_metadata",
    metadata,
    Column("photo_id", UUID(as_uuid=True), primary_key=True),
    Column("image_key", Text, nullable=False, unique=True),
    Column("album_key", Text),
    Column("album_name", Text),
    Column("imageurl", Text),
    Column("thumbnailurl", Text),
    Column("sport_type", Text),
    Column("photo_date", DateTime(timezone=False)),
    Column("updated_at", DateTime(timezone=False)),
)

# Written by the AI enrichment pipeline; watched by the enrichment sensor.
album_enrichment = Table(
    "album_enrichment",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("teams", ARRAY(Text)),
    Column("event_name", Text),
    Column("sport_type", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("level", Text),  # high_school, middle_school, college, club (sql/0008)
    Column("division", Text),  # girls, boys, womens, mens, coed (sql/0008)
)

# Audit trail of every album-name change, also the intent log for crash repair. Its states
# and transitions: albumsync_dagster/name_changes.py (the only module writing it, beside the
# audit rows of album_sync's one-statement row sync).
album_name_changes = Table(
    "album_name_changes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("album_key", Text, nullable=False),
    Column("old_name", Text),
    Column("new_name", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("smugmug_renamed", Text),
    Column("rows_updated", Integer),
    Column("error", Text),
    Column("rollback_of", BigInteger),
    Column("completed_at", DateTime(timezone=True)),
    Column("recheck_until", DateTime(timezone=True)),  # an unknown change: re-read until then
    CheckConstraint(
        "status IN ('pending', 'unknown', 'completed', 'failed')",
        name="album_name_changes_status_check",
    ),
    CheckConstraint(
        "smugmug_renamed IN ('yes', 'no', 'unknown', 'accepted')",
        name="album_name_changes_smugmug_renamed_check",
    ),
)

# Snapshot of the SmugMug account's albums, refreshed by the catalog.
smugmug_albums = Table(
    "smugmug_albums",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("name", Text),
    Column("url_name", Text),
    Column("image_count", Integer),
    Column("album_date", DateTime(timezone=True)),
    Column("last_updated", DateTime(timezone=True)),
    Column("images_last_updated", DateTime(timezone=True)),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("gone_at", DateTime(timezone=True)),
)

# Capture times of each album's images as last fetched from SmugMug.
smugmug_images = Table(
    "smugmug_images",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("image_key", Text, primary_key=True),
    Column("date_time_original", DateTime(timezone=True)),
    Column("origin", Text),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

# Every canonical-name computation, so drift can be followed over time.
canonical_name_history = Table(
    "canonical_name_history",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("album_key", Text, nullable=False),
    Column("current_name", Text),
    Column("canonical_name", Text),
    Column("drift_score", Integer),
    Column("photo_count", Integer),
    Column("dated_photo_count", Integer),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("details", JSONB),
    CheckConstraint(
        "drift_score BETWEEN 0 AND 100", name="canonical_name_history_drift_score_check"
    ),
)

# Albums the pipeline must not rename (a person chose the name, or an operator said so).
album_locks = Table(
    "album_locks",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("locked_by", Text, nullable=False),
    Column("locked_at", DateTime(timezone=True), nullable=False),
)

# The per-album rename mutex: one lease row per album being renamed (sql/0006).
album_leases = Table(
    "album_leases",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# What the last finished sync of each album saw (incremental runs compare with it).
album_sync_state = Table(
    "album_sync_state",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("images_last_updated", DateTime(timezone=True)),
    Column("image_count", Integer),
    Column("images_read_at", DateTime(timezone=True)),
    Column("last_updated", DateTime(timezone=True)),
    Column("name", Text),
    Column("enrichment_updated_at", DateTime(timezone=True)),
    Column("locked", Boolean),
    Column("decided_with", Text),
    Column("synced_at", DateTime(timezone=True)),
)

# Account-wide cursors (last full listing, sorted listing position, change sensor).
sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("name", Text, primary_key=True),
    Column("position", DateTime(timezone=True)),
    Column("ran_at", DateTime(timezone=True), nullable=False),
)

# SmugMug's request budget shared by every process on one account (a token bucket a row).
smugmug_rate_limit = Table(
    "smugmug_rate_limit",
    metadata,
    Column("account", Text, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("refilled_at", DateTime(timezone=True), nullable=False),
    Column("paused_until", DateTime(timezone=True), nullable=False),
)

# The latest decision on each album (action, reason, names, drift and its parts), replaced by
# every applying run; read by the album report.
album_decisions = Table(
    "album_decisions",
    metadata,
    Column("album_key", Text, primary_key=True),
    Column("action", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("current_name", Text),
    Column("canonical_name", Text),
    Column("drift_score", Integer, CheckConstraint("drift_score BETWEEN 0 AND 100")),
    Column("title_drift", REAL),
    Column("date_drift", Integer),
    Column("date_relation", Text),
    Column("threshold", Integer),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("checksum", Text, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
