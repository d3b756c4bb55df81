"""Images made on demand: how the emulator holds 10,000,000 photos in little memory.

An album's ``GeneratedImages`` is a formula, not a list: image ``i`` (0-based) has the key
``generated_image_key(series, i)``, the file name ``IMG_{i+1:04d}.JPG`` and the capture time
``first + i * step_seconds`` (none when ``first`` is None or ``i`` is in ``undated``). Each
album's entry objects are built only while a request reads them, so an account of 100,000
albums of 100 photos costs what its 100,000 album records cost.

Keys are realistic 7-character SmugMug-style ImageKeys that decode back to (series, index):
``image/{key}`` finds its album without an index of every image. ``series`` numbers the
generated albums of an account (one each); index < 2**20.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

KEY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KEY_LENGTH = 7
_BASE = len(KEY_ALPHABET)
_SPACE = _BASE**KEY_LENGTH
_INDEX_BITS = 20
MAX_IMAGES_PER_SERIES = 1 << _INDEX_BITS
MAX_SERIES = _SPACE >> _INDEX_BITS
# An affine bijection of the key space (gcd(_MULTIPLIER, 57**7) == 1): neighbouring images
# get unrelated-looking keys, and the mapping still inverts exactly.
_MULTIPLIER = 1_000_000_007
_OFFSET = 389_912_047_113
_INVERSE = pow(_MULTIPLIER, -1, _SPACE)
_DIGIT = {ch: i for i, ch in enumerate(KEY_ALPHABET)}


def stable_token(seed: str, length: int) -> str:
    """A token of ``length`` key characters derived from ``seed`` (same seed, same token)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(KEY_ALPHABET[b % _BASE] for b in digest[:length])


def image_key_for(album_key: str, index: int) -> str:
    """A stable, realistic 7-character ImageKey for image ``index`` listed in an album."""
    return stable_token(f"{album_key}/{index}", KEY_LENGTH)


def generated_image_key(series: int, index: int) -> str:
    """The ImageKey of image ``index`` of generated series ``series``."""
    if not 1 <= series < MAX_SERIES:
        raise ValueError(f"series must be within 1..{MAX_SERIES - 1}, got {series}")
    if not 0 <= index < MAX_IMAGES_PER_SERIES:
        raise ValueError(f"index must be within 0..{MAX_IMAGES_PER_SERIES - 1}, got {index}")
    value = ((series << _INDEX_BITS | index) * _MULTIPLIER + _OFFSET) % _SPACE
    chars = []
    for _ in range(KEY_LENGTH):
        value, digit = divmod(value, _BASE)
        chars.append(KEY_ALPHABET[digit])
    return "".join(reversed(chars))


def decode_generated_key(image_key: str) -> tuple[int, int] | None:
    """(series, index) a generated ImageKey stands for; None when it cannot be one."""
    if len(image_key) != KEY_LENGTH:
        return None
    value = 0
    for ch in image_key:
        digit = _DIGIT.get(ch)
        if digit is None:
            return None
        value = value * _BASE + digit
    plain = ((value - _OFFSET) * _INVERSE) % _SPACE
    series, index = plain >> _INDEX_BITS, plain & (MAX_IMAGES_PER_SERIES - 1)
    return (series, index) if series >= 1 else None


@dataclass(frozen=True, slots=True)
class GeneratedImages:
    """The formula for an album's first ``count`` images (see the module docstring)."""

    series: int
    count: int
    first: datetime | None
    step_seconds: int
    uploaded: datetime
    undated: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not 1 <= self.series < MAX_SERIES:
            raise ValueError(f"series must be within 1..{MAX_SERIES - 1}, got {self.series}")
        if not 0 <= self.count <= MAX_IMAGES_PER_SERIES:
            raise ValueError(f"count must be within 0..{MAX_IMAGES_PER_SERIES}")

    def key(self, index: int) -> str:
        """The ImageKey of image ``index``."""
        return generated_image_key(self.series, index)

    def keys(self) -> Iterator[str]:
        """Every ImageKey, in album order."""
        for i in range(self.count):
            yield generated_image_key(self.series, i)

    def taken(self, index: int) -> datetime | None:
        """The capture time of image ``index`` (None: the photo has no DateTimeOriginal)."""
        if self.first is None or index in self.undated:
            return None
        return self.first + timedelta(seconds=index * self.step_seconds)

    def file_name(self, index: int) -> str:
        """The FileName of image ``index``."""
        return f"IMG_{index + 1:04d}.JPG"
