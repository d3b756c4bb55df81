"""Materialization metadata a person reads in the UI, and the per-album errors read back.

A run over several albums records one table per asset (a row per album). Each step also
records its per-album errors under ``ERRORS``; later steps and the check of the same run read
them back from the run's events, since a range run passes no values between steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

ERRORS = "albumsync/errors"
MAX_LISTED = 50


def cell(value: object) -> str:
    """A markdown table cell: None as a dash, pipes and line breaks escaped."""
    if value is None:
        return "—"
    text = str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))


def errors_entry(errors: Mapping[str, str]) -> dict[str, dg.MetadataValue]:
    """The per-album errors of a step (always present, so an empty dict says none)."""
    return {ERRORS: dg.MetadataValue.json(dict(sorted(errors.items())))}


def album_errors_in_run(
    instance: dg.DagsterInstance, run_id: str, asset_keys: Iterable[dg.AssetKey]
) -> dict[str, str]:
    """Per-album errors recorded by the given assets earlier in this run: ``{key: error}``."""
    wanted = set(asset_keys)
    errors: dict[str, str] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is None or materialization.asset_key not in wanted:
            continue
        value: Any = materialization.metadata.get(ERRORS)
        for key, error in (getattr(value, "value", None) or {}).items():
            errors.setdefault(key, error)
    return errors


def listed(keys: Sequence[str]) -> str:
    """Keys for a metadata line: all of them up to ``MAX_LISTED``, then a count."""
    shown = ", ".join(keys[:MAX_LISTED])
    more = len(keys) - MAX_LISTED
    return shown + (f" … and {more} more" if more > 0 else "") if keys else "none"
