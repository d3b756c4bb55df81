"""What a drift score is made of, in words a person reads: which parts of the name differ."""

from __future__ import annotations

from dataclasses import dataclass

ARROW = "\u2192"


@dataclass(frozen=True, slots=True)
class PartDifference:
    """One part of a name (``prefix``, ``middle``, ``title`` or ``date``) that differs.

    ``current``/``canonical`` are the part as each name has it ("" when it has none);
    ``kind`` is ``missing``, ``different``, ``notation`` (same date, other notation),
    ``extra`` (the canonical name has none) or ``default`` (a made-up name such as Untitled).
    """

    part: str
    kind: str
    current: str
    canonical: str

    def describe(self) -> str:
        """``date 09-21-2026 → 09-22-2026``, ``prefix missing → HS Girls VB``."""
        if self.kind == "missing" or not self.current:
            return f"{self.part} missing {ARROW} {self.canonical}"
        if self.kind == "extra" or not self.canonical:
            return f"{self.part} {self.current} {ARROW} (none)"
        return f"{self.part} {self.current} {ARROW} {self.canonical}"


@dataclass(frozen=True, slots=True)
class DriftExplanation:
    """A drift score with its parts.

    ``title_drift`` is what the title (seed) or the prefix and middle (the other standards)
    add, ``date_drift`` what the date adds, ``date_relation`` how the dates relate
    (``same``, ``notation``, ``missing``, ``wrong``, ...), ``differences`` the parts that
    differ, in name order.
    """

    score: int
    title_drift: float
    date_drift: int
    date_relation: str
    differences: tuple[PartDifference, ...] = ()
    standard: str = "seed"

    @property
    def differing_parts(self) -> tuple[str, ...]:
        """The names of the parts that differ: ``("prefix", "date")``."""
        return tuple(d.part for d in self.differences)

    def describe(self) -> str:
        """The differences in one line: ``prefix missing → HS Girls VB; date Sep 22 → ...``."""
        return "; ".join(d.describe() for d in self.differences)
