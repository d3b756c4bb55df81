"""Step 3 of the workflow: rename albums on SmugMug, and repair renames left open.

:func:`apply_renames` decides per album (locked, unconfirmed, no canonical name, drift within
the threshold, over the daily budget) and renames the rest with :func:`rename_on_smugmug`:
the album's mutex, a re-read from SmugMug, a pending intent under the rename budget, the
PATCH, then rows and audit in one transaction. :func:`repair_pending` settles every change a
crash or a lost answer left open from SmugMug's name. A name we set that a person changed
since is accepted (:func:`accept_human_rename`): the album is locked, never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync, name_changes, name_copies
from albumsync_dagster.catalog import store_albums
from albumsync_dagster.connection_loss import database_failure, retry_on_connection_loss
from albumsync_dagster.decisions import decision, record_decisions_safely
from albumsync_dagster.locks import AlbumBusy, AlbumLease, album_locks_for, album_mutex, lock_album
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.outcomes import (
    CHANGED_SINCE_PLANNED,
    COMPLETED,
    DEFAULT_RENAME_RECHECK,
    DEFERRED,
    FAILED,
    HUMAN_RENAMED,
    KEPT,
    LOCKED,
    NO_CANONICAL,
    RENAMED,
    RENAMED_ON_SMUGMUG,
    SKIPPED,
    UNCONFIRMED,
    UNKNOWN,
    WOULD_RENAME,
    NamePlan,
    RenameOutcome,
    RepairOutcome,
    latest_plans,
)
from albumsync_dagster.rename_budget import (
    PlannedBudget,
    deferred_reason,
    rename_budget,
    rename_slot,
)
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.smugmug import (
    Album,
    SmugMugClient,
    SmugMugError,
    SmugMugNotFound,
    SmugMugResponseError,
    SmugMugUnavailable,
)

log = logging.getLogger("albumsync.workflow")

T = TypeVar("T")


def _complete_change(
    engine: Engine, change_id: int, album_key: str, new_name: str, changed_by: str
) -> int:
    """Rows (and other copies of the name) to the new name, snapshot updated and intent
    completed, in one transaction; then the materialized views over them refreshed."""
    with engine.begin() as conn:
        outcome, _ = album_sync.sync_rows_in_transaction(
            conn, {album_key: new_name}, "smugmug", changed_by, unaudited=frozenset({album_key})
        )
        rows = outcome.get(album_key, (0, False))[0]
        name_changes.complete(conn, change_id, rows)
        conn.execute(
            sa.update(smugmug_albums)
            .where(smugmug_albums.c.album_key == album_key)
            .values(name=new_name, seen_at=sa.func.now())
        )
    name_copies.refresh_views(engine)  # the name changed: views over it, after the commit
    return rows


def accept_human_rename(
    engine: Engine, album_key: str, ours: str, theirs: str, *, dry_run: bool = False
) -> str:
    """A person renamed an album we had named: lock it and record their name as the baseline.

    The audit row (``smugmug_renamed`` accepted) makes the person's name the one to
    compare with from now on, so ``albumsync unlock`` lets the pipeline rename it again.
    """
    reason = (
        f"renamed by a person on SmugMug: we set {ours!r}, SmugMug now says {theirs!r};"
        " locked, never overwritten"
    )
    if dry_run:
        return reason
    with engine.begin() as conn:
        if lock_album(conn, album_key, reason, "albumsync"):
            name_changes.record_accepted(conn, album_key, ours, theirs)
    return reason


def rename_on_smugmug(
    engine: Engine,
    client: SmugMugClient,
    album_key: str,
    *,
    expected_current: str,
    new_name: str,
    changed_by: str,
    source: str,
    rollback_of: int | None = None,
    recheck_for: timedelta = DEFAULT_RENAME_RECHECK,
    max_renames_per_day: int | None = None,
) -> RenameOutcome:
    """Rename one album safely: mutex, re-read, intent, PATCH, rows and audit together.

    A PATCH whose answer is lost leaves the change unknown, re-checked for ``recheck_for``.
    With ``max_renames_per_day`` the intent is written only while the daily rename budget has
    room (taken under its lock, :mod:`albumsync_dagster.rename_budget`); else ``deferred``.
    """
    if not new_name.strip():
        message = "the project never gives an album an empty or blank name"
        return RenameOutcome(album_key, FAILED, message, expected_current, new_name, error=message)
    settled: list[RenameOutcome] = []
    try:
        with album_mutex(engine, album_key) as lease:
            settled.append(
                _rename_holding_mutex(
                    engine,
                    client,
                    lease,
                    album_key,
                    expected_current=expected_current,
                    new_name=new_name,
                    changed_by=changed_by,
                    source=source,
                    rollback_of=rollback_of,
                    recheck_for=recheck_for,
                    max_renames_per_day=max_renames_per_day,
                )
            )
    except AlbumBusy as exc:
        return RenameOutcome(
            album_key, FAILED, str(exc), expected_current, new_name, error=str(exc)
        )
    except sa.exc.DBAPIError as exc:
        if settled:
            # The rename is settled; only handing the mutex back failed, with its connection
            # (and PostgreSQL ends what the connection held).
            database_failure(exc, f"album {album_key}: releasing the rename mutex")
            return settled[0]
        # Every database step after the PATCH is guarded inside: this one came before it.
        message = database_failure(exc, f"album {album_key}: not renamed") + (
            "; nothing was sent to SmugMug"
        )
        return RenameOutcome(album_key, FAILED, message, expected_current, new_name, error=message)
    return settled[0]


def _rename_holding_mutex(
    engine: Engine,
    client: SmugMugClient,
    lease: AlbumLease,
    album_key: str,
    *,
    expected_current: str,
    new_name: str,
    changed_by: str,
    source: str,
    rollback_of: int | None,
    recheck_for: timedelta,
    max_renames_per_day: int | None,
) -> RenameOutcome:
    try:
        fresh = client.get_album(album_key)
    except SmugMugError as exc:
        return RenameOutcome(
            album_key,
            FAILED,
            f"re-reading the album before renaming failed: {exc}",
            expected_current,
            new_name,
            error=str(exc),
        )
    if fresh.name != expected_current:
        # Keep the snapshot true to SmugMug, so the rows follow what it says now.
        with engine.begin() as conn:
            store_albums(conn, [fresh])
    ours = name_changes.names_we_set(engine, [album_key]).get(album_key)
    if ours is not None and fresh.name != ours and fresh.name != new_name:
        # Checked here, under the mutex and against SmugMug itself: a plan made
        # before our own rename finished must not pass for a person's choice.
        reason = accept_human_rename(engine, album_key, ours, fresh.name)
        return RenameOutcome(album_key, HUMAN_RENAMED, reason, fresh.name, new_name)
    if fresh.name != expected_current:
        if fresh.name == new_name:
            return RenameOutcome(
                album_key, KEPT, "SmugMug already carries this name", fresh.name, new_name
            )
        return RenameOutcome(
            album_key,
            CHANGED_SINCE_PLANNED,
            f"SmugMug's name changed since it was read ({expected_current!r} ->"
            f" {fresh.name!r}); not overwritten",
            fresh.name,
            new_name,
        )
    # The lease may have run out while SmugMug was slow (or this process stalled): another
    # renamer may hold the album now, so no intent and no PATCH from here (AlbumLeaseLost).
    lease.ensure_held()
    with rename_slot(engine, max_renames_per_day) as slot:
        if slot is None:
            reason = deferred_reason(max_renames_per_day or 0)
            return RenameOutcome(album_key, DEFERRED, reason, fresh.name, new_name)
        change_id = name_changes.write_intent(
            slot,
            album_key,
            fresh.name,
            new_name,
            changed_by=changed_by,
            source=source,
            rollback_of=rollback_of,
        )
    try:
        renamed = client.rename_album(album_key, new_name)
    except (SmugMugUnavailable, SmugMugResponseError) as exc:
        # Time-out, reset or 5xx after sending, or an answer we cannot read: SmugMug may
        # have applied it, now or later. Its name decides.
        return _answer_lost(
            engine, client, change_id, album_key, fresh.name, new_name, changed_by, exc, recheck_for
        )
    except (SmugMugError, ValueError) as exc:
        message = f"SmugMug refused the rename: {exc}"
        _record_quietly(
            lambda: name_changes.fail(engine, change_id, message), album_key, "closing the change"
        )
        return RenameOutcome(
            album_key, FAILED, message, fresh.name, new_name, error=str(exc), change_id=change_id
        )
    outcome = _finish_rename(
        engine, change_id, album_key, fresh.name, new_name, changed_by, RENAMED_ON_SMUGMUG
    )
    if outcome.error is None:
        # The PATCH moved LastUpdated: the snapshot takes it, so the next run does not
        # mistake our own rename for a change on SmugMug.
        _record_quietly(
            lambda: _store_renamed(engine, renamed), album_key, "storing the renamed album"
        )
    return outcome


def _store_renamed(engine: Engine, album: Album) -> None:
    with engine.begin() as conn:
        store_albums(conn, [album])


def _finish_rename(
    engine: Engine,
    change_id: int,
    album_key: str,
    old_name: str,
    new_name: str,
    changed_by: str,
    reason: str,
) -> RenameOutcome:
    """SmugMug carries the new name: rows and audit follow (a lost connection is retried)."""
    try:
        rows = retry_on_connection_loss(
            lambda: _complete_change(engine, change_id, album_key, new_name, changed_by),
            what=f"album {album_key}: writing the renamed album's rows",
        )
    except sa.exc.DBAPIError as exc:
        failure = database_failure(exc, "the photo rows could not be updated")
        message = (
            f"renamed on SmugMug, but {failure}; the change stays pending and the next run"
            " or `albumsync repair` completes it"
        )
        log.error("album %s: %s", album_key, message)
        return RenameOutcome(
            album_key, RENAMED, message, old_name, new_name, error=message, change_id=change_id
        )
    return RenameOutcome(album_key, RENAMED, reason, old_name, new_name, rows, change_id=change_id)


def _answer_lost(
    engine: Engine,
    client: SmugMugClient,
    change_id: int,
    album_key: str,
    old_name: str,
    new_name: str,
    changed_by: str,
    exc: SmugMugError,
    recheck_for: timedelta,
) -> RenameOutcome:
    """The PATCH's answer was lost: SmugMug's name now settles it, or the change is unknown."""
    try:
        seen: str | None = client.get_album(album_key).name
    except SmugMugError:
        seen = None
    if seen == new_name:
        return _finish_rename(
            engine,
            change_id,
            album_key,
            old_name,
            new_name,
            changed_by,
            f"renamed on SmugMug (its answer was lost, {exc}; SmugMug's name confirms it)",
        )
    until = _record_quietly(
        lambda: name_changes.mark_unknown(
            engine, change_id, f"SmugMug did not confirm the rename: {exc}", recheck_for=recheck_for
        ),
        album_key,
        "marking the change unknown",
    )
    later = f" (re-checked until {until:%Y-%m-%d %H:%M %Z})" if until else ""
    message = (
        f"SmugMug did not confirm the rename ({exc}); whether it landed is unknown: the next"
        f" run or `albumsync repair` settles it from SmugMug's name{later}"
    )
    return RenameOutcome(
        album_key, FAILED, message, old_name, new_name, error=message, change_id=change_id
    )


def _record_quietly(step: Callable[[], T], album_key: str, what: str) -> T | None:
    """A ledger step after the PATCH: a database failure leaves the change pending for repair
    (which settles it from SmugMug's name) rather than losing the outcome already known."""
    try:
        return retry_on_connection_loss(step, what=f"album {album_key}: {what}")
    except sa.exc.DBAPIError as exc:
        log.error("%s; the change stays pending for repair", database_failure(exc, what))
        return None


def apply_renames(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str],
    *,
    threshold: int,
    dry_run: bool,
    changed_by: str = "albumsync",
    source: str = "pipeline",
    plans: Mapping[str, NamePlan] | None = None,
    recheck_for: timedelta = DEFAULT_RENAME_RECHECK,
    max_renames_per_day: int | None = None,
    planned_budget: PlannedBudget | None = None,
) -> dict[str, RenameOutcome]:
    """Decide and apply the renames of a batch (from the latest plans unless given).

    An album whose last rename SmugMug has not confirmed (unknown, within its re-check
    window) is not renamed again: that PATCH may still land. ``max_renames_per_day`` caps
    renames on SmugMug in any 24 h, all processes together: an album over it is
    ``deferred``. A dry run hands out the budget left now in key order (``planned_budget``
    carries it across the batches of one command).
    """
    keys = sorted(album_keys)
    if dry_run and planned_budget is None and max_renames_per_day is not None:
        planned_budget = PlannedBudget(rename_budget(engine, max_renames_per_day))
    if not dry_run:
        repair_pending(engine, client, keys, changed_by=changed_by)
    plans = dict(plans) if plans is not None else latest_plans(engine, keys)
    locks = album_locks_for(engine, keys)
    ours = name_changes.names_we_set(engine, keys)
    unconfirmed = {
        c.album_key: c
        for c in name_changes.open_changes(engine, keys)
        if c.status == Status.UNKNOWN
    }
    outcomes: dict[str, RenameOutcome] = {}
    for key in keys:
        plan = plans.get(key)
        if plan is None:
            outcomes[key] = RenameOutcome(
                key, FAILED, "no canonical name computed for this album yet", error="no plan"
            )
            continue
        current, canonical = plan.current_name, plan.canonical_name
        if key in locks:
            outcomes[key] = RenameOutcome(
                key, LOCKED, f"locked: {locks[key].reason}", current, canonical
            )
        elif key in unconfirmed:
            waiting = unconfirmed[key]
            until = (
                f" until {waiting.recheck_until:%Y-%m-%d %H:%M %Z}" if waiting.recheck_until else ""
            )
            outcomes[key] = RenameOutcome(
                key,
                UNCONFIRMED,
                f"the rename to {waiting.new_name!r} is not confirmed by SmugMug; its name is"
                f" re-checked{until}, nothing sent again",
                current,
                canonical,
            )
        elif canonical is None:
            outcomes[key] = RenameOutcome(
                key, NO_CANONICAL, "no canonical name: no usable enrichment or dates", current
            )
        elif plan.drift_score is not None and plan.drift_score <= threshold:
            outcomes[key] = RenameOutcome(
                key, KEPT, f"drift {plan.drift_score} <= threshold {threshold}", current, canonical
            )
        elif dry_run and key in ours and ours[key] != current:
            reason = accept_human_rename(engine, key, ours[key], current, dry_run=True)
            outcomes[key] = RenameOutcome(key, HUMAN_RENAMED, reason, current, canonical)
        elif dry_run and planned_budget is not None and not planned_budget.take():
            limit = planned_budget.budget.limit
            outcomes[key] = RenameOutcome(key, DEFERRED, deferred_reason(limit), current, canonical)
        elif dry_run:
            outcomes[key] = RenameOutcome(
                key, WOULD_RENAME, _why_rename(plan, threshold), current, canonical
            )
        else:
            outcome = rename_on_smugmug(
                engine,
                client,
                key,
                expected_current=current,
                new_name=canonical,
                changed_by=changed_by,
                source=source,
                recheck_for=recheck_for,
                max_renames_per_day=max_renames_per_day,
            )
            if outcome.action == RENAMED and outcome.error is None:
                outcome = replace(
                    outcome, reason=f"{outcome.reason}: {_why_rename(plan, threshold)}"
                )
            outcomes[key] = outcome
    if not dry_run:
        record_decisions_safely(
            engine,
            [
                decision(
                    key,
                    outcome.action,
                    outcome.reason,
                    current_name=plans[key].current_name if key in plans else outcome.old_name,
                    canonical_name=plans[key].canonical_name if key in plans else None,
                    drift_score=plans[key].drift_score if key in plans else None,
                    threshold=threshold,
                )
                for key, outcome in outcomes.items()
            ],
            decided_by=changed_by,
        )
    return outcomes


def _why_rename(plan: NamePlan, threshold: int) -> str:
    """``drift 55 > threshold 20 (prefix missing → HS Girls VB; date Sep 22 → 09-22-2026)``."""
    why = f"drift {plan.drift_score} > threshold {threshold}"
    return f"{why} ({'; '.join(plan.differences)})" if plan.differences else why


def repair_pending(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str] | None = None,
    *,
    changed_by: str = "albumsync",
) -> list[RepairOutcome]:
    """Settle every open change, pending or unknown (all, or of the albums given).

    SmugMug decides: if it carries the intended name the PATCH landed, so the rows follow and
    the change completes as our rename; if it carries another name a person renamed it (their
    choice: locked). If it still carries the old name, a pending change never reached SmugMug
    (failed); an unknown one may still land, so it stays open until its ``recheck_until``.
    """
    open_now = retry_on_connection_loss(
        lambda: name_changes.open_changes(engine, album_keys), what="reading the open renames"
    )
    results: list[RepairOutcome] = []
    for change in open_now:
        try:
            with album_mutex(engine, change.album_key, wait_seconds=1):
                outcome = _settle(engine, client, change, changed_by)
            if outcome is not None:
                results.append(outcome)
        except AlbumBusy:
            results.append(
                RepairOutcome(change.id, change.album_key, SKIPPED, "another process holds it")
            )
        except SmugMugError as exc:
            results.append(RepairOutcome(change.id, change.album_key, SKIPPED, str(exc)))
        except sa.exc.DBAPIError as exc:
            # One stuck change must not stop the batch: it stays open for the next run.
            reason = database_failure(exc, f"album {change.album_key}: repair")
            results.append(RepairOutcome(change.id, change.album_key, SKIPPED, reason))
    return results


def _settle(
    engine: Engine, client: SmugMugClient, change: name_changes.NameChange, changed_by: str
) -> RepairOutcome | None:
    """Settle one open change from SmugMug's name (the mutex held); None if already settled."""
    current = name_changes.get_change(engine, change.id)
    if current is None or current.status not in name_changes.OPEN:
        return None  # the renamer holding the mutex settled it meanwhile
    key = change.album_key
    try:
        album = client.get_album(key)
    except SmugMugNotFound:
        name_changes.fail(engine, change.id, "album not found on SmugMug during repair")
        return RepairOutcome(change.id, key, FAILED, "album gone")
    if album.name == change.new_name:
        rows = _complete_change(engine, change.id, key, change.new_name, changed_by)
        return RepairOutcome(
            change.id, key, COMPLETED, "rename had reached SmugMug; rows updated", rows
        )
    if album.name == change.old_name:
        until = current.recheck_until
        if current.status == Status.UNKNOWN and until is not None and datetime.now(UTC) < until:
            return RepairOutcome(
                change.id,
                key,
                UNKNOWN,
                f"SmugMug still shows the old name; re-checked until {until:%Y-%m-%d %H:%M %Z}"
                " (a PATCH can land late)",
            )
        name_changes.fail(engine, change.id, "the rename never reached SmugMug")
        return RepairOutcome(change.id, key, FAILED, "rename not applied")
    # A person renamed it after our PATCH (or instead of it): their choice.
    name_changes.fail(
        engine,
        change.id,
        f"SmugMug's name changed since to {album.name!r}",
        renamed=SmugMugRenamed.UNKNOWN,
    )
    accept_human_rename(engine, key, change.new_name, album.name)
    with engine.begin() as conn:
        store_albums(conn, [album])
    return RepairOutcome(change.id, key, FAILED, "renamed by a person since; locked")
