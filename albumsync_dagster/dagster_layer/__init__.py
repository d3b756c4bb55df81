"""The Dagster layer: assets, checks, jobs, schedule and sensor over the Dagster-free domain.

Each module holds one concern; ``albumsync_dagster.definitions`` composes them into ``defs``.
"""
