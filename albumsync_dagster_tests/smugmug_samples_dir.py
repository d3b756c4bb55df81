"""Where the recorded SmugMug answers are: ``shared/smugmug-samples`` beside the checkout.

A clone has it at ``../shared``; a git worktree under ``wt/NAME`` one level further up.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()


def samples_dir() -> Path:
    """The first ``shared/smugmug-samples`` found above this file (the usual one if none)."""
    for parent in _HERE.parents[1:4]:
        candidate = parent / "shared" / "smugmug-samples"
        if candidate.is_dir():
            return candidate
    return _HERE.parents[2] / "shared" / "smugmug-samples"
