"""Roll back SmugMug renames made within a time window; the rows follow SmugMug.

For each album renamed on SmugMug by this project within the window, the name to restore is
the one it had before the window's first rename. Albums are handled newest change first.
An album whose SmugMug name is no longer the last one we set was renamed by a person since:
it is refused, with the reason, never overwritten. Rolling back twice changes nothing the
second time. A restored album is locked, so the next sync does not rename it straight back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.fetch import fetch_albums
from albumsync_dagster.locks import lock_album, unlock_album
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.outcomes import DEFAULT_RENAME_RECHECK, FAILED, RENAMED
from albumsync_dagster.renames import rename_on_smugmug, repair_pending
from albumsync_dagster.schema import album_name_changes as changes
from albumsync_dagster.smugmug import SmugMugClient

RESTORED = "restored"
WOULD_RESTORE = "would_restore"
ALREADY_RESTORED = "already_restored"
REFUSED = "refused"


@dataclass(frozen=True)
class RollbackItem:
    album_key: str
    smugmug_name: str | None  # SmugMug's name when the rollback looked
    restore_to: str
    action: str
    reason: str
    first_change_id: int
    rows_updated: int = 0


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``1w`` or a combination (``1d12h``) as a timedelta."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    total = timedelta()
    number = ""
    cleaned = text.strip().lower()
    for ch in cleaned:
        if ch.isdigit():
            number += ch
        elif ch in units and number:
            total += timedelta(**{units[ch]: int(number)})
            number = ""
        else:
            raise ValueError(f"--since {text!r}: use a duration such as 30m, 2h, 1d or 1w")
    if number or total <= timedelta():
        raise ValueError(f"--since {text!r}: use a duration such as 30m, 2h, 1d or 1w")
    return total


def plan_rollback(
    engine: Engine, since: timedelta, album_key: str | None = None
) -> list[tuple[str, int, str | None, str]]:
    """(album key, first change id in window, name before it, last name we set), newest first."""
    c = changes.c
    ours = sa.select(c.id, c.album_key, c.old_name, c.new_name, c.changed_at).where(
        c.smugmug_renamed == SmugMugRenamed.YES, c.status == Status.COMPLETED
    )
    if album_key is not None:
        ours = ours.where(c.album_key == album_key)
    ours_cte = ours.cte("ours")
    windowed = (
        sa.select(
            ours_cte.c.album_key,
            sa.func.min(ours_cte.c.id).label("first_id"),
            sa.func.max(ours_cte.c.id).label("last_id"),
        )
        .where(ours_cte.c.changed_at >= sa.func.now() - sa.cast(since, sa.Interval))
        .group_by(ours_cte.c.album_key)
        .cte("windowed")
    )
    first = ours_cte.alias("first")
    latest = ours_cte.alias("latest")
    last_set = (
        sa.select(latest.c.new_name)
        .where(latest.c.album_key == windowed.c.album_key)
        .order_by(latest.c.id.desc())
        .limit(1)
        .lateral("last_set")
    )
    query = (
        sa.select(
            windowed.c.album_key,
            windowed.c.first_id,
            first.c.old_name.label("restore_to"),
            last_set.c.new_name.label("last_set"),
        )
        .select_from(
            windowed.join(first, first.c.id == windowed.c.first_id).join(last_set, sa.true())
        )
        .order_by(windowed.c.last_id.desc())
    )
    with engine.connect() as conn:
        rows = conn.execute(query)
        return [(r.album_key, r.first_id, r.restore_to, r.last_set) for r in rows]


def rollback(
    engine: Engine,
    client: SmugMugClient,
    since: timedelta,
    *,
    album_key: str | None = None,
    dry_run: bool,
    changed_by: str = "albumsync",
    on_item: Callable[[RollbackItem], None] | None = None,
    recheck_for: timedelta = DEFAULT_RENAME_RECHECK,
) -> list[RollbackItem]:
    """Restore the names from before the window on SmugMug and in the rows."""
    if not dry_run:
        # A rename left pending by a fault is settled first, so the plan sees it.
        repair_pending(engine, client, [album_key] if album_key else None, changed_by=changed_by)
    plan = plan_rollback(engine, since, album_key)
    fetched = fetch_albums(engine, client, [key for key, *_ in plan])
    items: list[RollbackItem] = []
    for key, first_id, restore_to, last_set in plan:
        album = fetched.albums.get(key)
        current = album.name if album else None
        if album is None:
            item = RollbackItem(
                key, None, restore_to or "", REFUSED, fetched.errors.get(key, "not found"), first_id
            )
        elif not restore_to:
            item = RollbackItem(
                key, current, "", REFUSED, "the name before the window is unknown", first_id
            )
        elif current == restore_to:
            item = RollbackItem(
                key, current, restore_to, ALREADY_RESTORED, "SmugMug has that name", first_id
            )
        elif current != last_set:
            item = RollbackItem(
                key,
                current,
                restore_to,
                REFUSED,
                f"renamed by a person since: we set {last_set!r}, SmugMug says {current!r}",
                first_id,
            )
        elif dry_run:
            item = RollbackItem(
                key, current, restore_to, WOULD_RESTORE, f"{current!r} -> {restore_to!r}", first_id
            )
        else:
            # Locked before the PATCH: even if the rows fail after it, no sync may rename
            # the album straight back while the change waits for repair.
            locked_now = lock_album(
                engine,
                key,
                f"rolled back to {restore_to!r}; unlock to let the pipeline rename it",
                changed_by,
            )
            outcome = rename_on_smugmug(
                engine,
                client,
                key,
                expected_current=current,
                new_name=restore_to,
                changed_by=changed_by,
                source="rollback",
                rollback_of=first_id,
                recheck_for=recheck_for,
            )
            if outcome.action == RENAMED and outcome.error is None:
                item = RollbackItem(
                    key,
                    current,
                    restore_to,
                    RESTORED,
                    "restored on SmugMug and in the rows",
                    first_id,
                    outcome.rows_updated,
                )
            else:
                if outcome.action != RENAMED and locked_now:
                    unlock_album(engine, key)  # SmugMug still has our name: nothing restored
                item = RollbackItem(key, current, restore_to, FAILED, outcome.reason, first_id)
        items.append(item)
        if on_item:
            on_item(item)
    return items


__all__ = ["RollbackItem", "parse_duration", "plan_rollback", "rollback"]
