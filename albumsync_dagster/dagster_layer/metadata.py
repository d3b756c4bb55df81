"""Metadata helpers: markdown tables, per-album errors, bounded lists of album keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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


def listed(keys: Sequence[str]) -> str:
    """Keys for a metadata line: all of them up to ``MAX_LISTED``, then a count."""
    shown = ", ".join(keys[:MAX_LISTED])
    more = len(keys) - MAX_LISTED
    return shown + (f" … and {more} more" if more > 0 else "") if keys else "none"
