"""Pytest fixtures that serve the SmugMug emulator over real HTTP.

- ``smugmug_emulator``: a small account (3 albums) on a fresh emulator, see ``small_account()``.
- ``smugmug_emulator_factory``: ``start(albums | data=dict | store=EmulatorStore) -> emulator``.
- ``smugmug_env``: ``smugmug_emulator`` with its ``SMUGMUG_*`` variables set (monkeypatch).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from albumsync_dagster.emulator import EmulatorStore, RunningEmulator, run_emulator
from albumsync_dagster.emulator import account_builder as ab

EAGLES = "Ea9Lk2"
UNTITLED = "Un7Tq4"
EMPTY = "Em3Pt8"


def small_account() -> dict[str, Any]:
    """Three albums: 150 photos of an evening game (2 undated), a misnamed one holding two
    collected images of the first, and an empty one."""
    eagles_images = ab.images(EAGLES, 150, first="2024-05-30T22:30:00+00:00", undated=(7, 90))
    return ab.account(
        [
            ab.album(EAGLES, "Eagles vs Lions - May 30", eagles_images),
            ab.album(
                UNTITLED,
                "Untitled",
                ab.images(UNTITLED, 12, first="2024-06-08T14:00:00+00:00")
                + ab.collected([eagles_images[0]["image_key"], eagles_images[1]["image_key"]]),
            ),
            ab.album(EMPTY, "New Album"),
        ]
    )


StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def smugmug_emulator_factory() -> Iterator[StartEmulator]:
    """Start emulators (each on its own free port); all stop at the end of the test.

    ``start(albums)`` with album dicts (``account_builder.album``), or ``start(data=...)``
    with a whole data-file dict, or ``start(store=...)``; ``nickname=`` for albums.
    """
    with contextlib.ExitStack() as stack:

        def start(
            albums: Sequence[dict[str, Any]] | None = None,
            *,
            data: dict[str, Any] | None = None,
            store: EmulatorStore | None = None,
            nickname: str = "test-account",
        ) -> RunningEmulator:
            if store is None:
                if data is None:
                    data = ab.account(list(albums or []), nickname=nickname)
                store = EmulatorStore.from_dict(data)
            return stack.enter_context(run_emulator(store))

        yield start


@pytest.fixture
def smugmug_emulator(smugmug_emulator_factory: StartEmulator) -> RunningEmulator:
    """A fresh emulator serving ``small_account()``."""
    return smugmug_emulator_factory(data=small_account())


@pytest.fixture
def smugmug_env(
    smugmug_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> RunningEmulator:
    """``smugmug_emulator`` with ``SMUGMUG_*`` set in the environment for the test."""
    for name, value in smugmug_emulator.env().items():
        monkeypatch.setenv(name, value)
    return smugmug_emulator
