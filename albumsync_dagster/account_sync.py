"""``sync --all``: list the account, choose the albums to work on, sync them in batches.

By default only albums where something moved since their last sync are worked on
(:func:`albumsync_dagster.incremental.albums_to_sync`); ``full`` takes every album and reads
every album's images again. The listing is SmugMug's full ``user!albums`` (100 albums a
page), which also finds albums deleted since.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from albumsync_dagster.catalog import refresh_catalog
from albumsync_dagster.incremental import AlbumWork, albums_to_sync, decision_inputs
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster.workflow import AlbumOutcome, gone_outcome, sync_albums


@dataclass
class AccountSync:
    """What a ``sync --all`` did: albums listed, chosen (and why), their outcomes."""

    listed: int = 0
    work: list[AlbumWork] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    outcomes: list[AlbumOutcome] = field(default_factory=list)


def sync_account(
    engine: Engine,
    client: SmugMugClient,
    *,
    settings: Settings,
    dry_run: bool,
    full: bool = False,
    threshold: int | None = None,
    changed_by: str = "albumsync",
    source: str = "cli",
    on_planned: Callable[[AccountSync], None] | None = None,
    on_album: Callable[[AlbumOutcome], None] | None = None,
) -> AccountSync:
    """Sync the albums of the account that need it (all of them with ``full``)."""
    result = AccountSync()
    catalog = refresh_catalog(engine, client)
    result.listed = len(catalog.albums)
    result.gone = list(catalog.gone_keys)
    known = {a.album_key: a for a in catalog.albums}
    if full:
        result.work = [AlbumWork(k, ("full run",)) for k in catalog.known_keys]
    else:
        decided_with = decision_inputs(
            settings.timezone,
            settings.drift_threshold if threshold is None else threshold,
            getattr(settings, "naming_standard", None),
        )
        result.work = albums_to_sync(engine, decided_with)
    if on_planned:
        on_planned(result)

    def report(outcome: AlbumOutcome) -> None:
        result.outcomes.append(outcome)
        if on_album:
            on_album(outcome)

    for key in result.gone:
        report(gone_outcome(key))
    keys = [w.album_key for w in result.work]
    for start in range(0, len(keys), settings.batch_size):
        sync_albums(
            engine,
            client,
            keys[start : start + settings.batch_size],
            settings=settings,
            dry_run=dry_run,
            threshold=threshold,
            changed_by=changed_by,
            source=source,
            known=known,
            on_album=report,
            reread_images=full,
        )
    return result
