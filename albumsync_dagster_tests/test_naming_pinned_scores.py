"""Drift scores pinned: a fixed sample scored by the code before the drift speed-up (issue 11).

``data/drift_pinned.json`` holds 3,500 (standard, current, canonical) triples with the score
and the explanation (score, title drift, date drift, date relation, differing parts) that the
naming code gave at commit 90b7ffa: the benchmark's realistic mix under ``seed`` and
``level-event-date``, the same names with random edits (dash styles, controls, ``at``/``@``,
accents, emoji, extra dates), names composed by a template standard, names over the cache
length limits, and hand-picked awkward names against every kind of canonical name. Making the
scorer faster must not move any of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from albumsync_dagster.naming import (
    NamingStandard,
    clear_caches,
    drift_score,
    explain_drift,
    template_standard,
)

DATA = Path(__file__).parent / "data" / "drift_pinned.json"
TEMPLATE = "{middle} - {date:%b %-d, %Y}"


def _rows() -> list[list[Any]]:
    rows: list[list[Any]] = json.loads(DATA.read_text(encoding="utf-8"))
    return rows


def _standard(name: str) -> str | NamingStandard:
    return template_standard(TEMPLATE) if name == "template" else name


def _mismatches(rows: list[list[Any]]) -> list[str]:
    wrong = []
    for standard, current, canonical, score, explained in rows:
        chosen = _standard(standard)
        got = drift_score(current, canonical, standard=chosen)
        e = explain_drift(current, canonical, standard=chosen)
        parts = [[d.part, d.kind, d.current, d.canonical] for d in e.differences]
        got_explained = [e.score, e.title_drift, e.date_drift, e.date_relation, parts]
        if got != score or got_explained != explained:
            wrong.append(f"{standard} {current!r} vs {canonical!r}: {got} {got_explained}")
    return wrong


def test_the_sample_covers_every_standard() -> None:
    rows = _rows()
    assert len(rows) > 3000
    assert {row[0] for row in rows} == {"seed", "level-event-date", "template"}
    assert len({row[3] for row in rows}) > 20  # many distinct scores, not just 0 and 100


@pytest.mark.parametrize("order", ["as stored", "reversed"])
def test_pinned_scores_cold_and_warm(order: str) -> None:
    rows = _rows()
    if order == "reversed":
        rows.reverse()  # other names reach the caches first
    clear_caches()
    cold = _mismatches(rows)
    warm = _mismatches(rows)
    assert not cold, f"{len(cold)} scores changed (cold), first: {cold[:5]}"
    assert not warm, f"{len(warm)} scores changed (warm), first: {warm[:5]}"
