"""Statements whose parameter count does not grow with the account.

PostgreSQL takes at most 65,535 parameters per statement, and SQLAlchemy's ``IN`` binds one
per value: a list of album keys is therefore sent as one array (``= ANY(:keys)``), and rows
as one array per column (``unnest``), in chunks of :data:`CHUNK_ROWS` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

T = TypeVar("T")

# Rows per unnest statement: one statement's arrays stay a few MB, whatever the account.
CHUNK_ROWS = 10_000


def any_of(column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column = ANY(:array)``: one parameter however many values."""
    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))


def chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
