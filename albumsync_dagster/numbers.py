"""Numbers read from settings text: one rule for every numeric setting.

Unset or blank gives the default; otherwise the text must be a number (a whole number where
asked) within the bounds. Anything else is a ``ValueError`` naming the variable and the value,
in one line.
"""

from __future__ import annotations

from typing import overload


@overload
def bounded_number(
    name: str, raw: str | None, default: int, low: int, high: int, *, whole: bool = True
) -> int: ...
@overload
def bounded_number(
    name: str, raw: str | None, default: float, low: float, high: float, *, whole: bool = False
) -> float: ...
def bounded_number(
    name: str,
    raw: str | None,
    default: float,
    low: float,
    high: float,
    *,
    whole: bool = False,
) -> float:
    """``raw`` (the variable ``name``'s text) as a number in ``low..high``, else ``default``."""
    text = (raw or "").strip()
    if not text:
        return default
    try:
        value: float = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name}={text!r} is not {kind}") from None
    if not low <= value <= high:
        shown = (
            (str(value), str(low), str(high)) if whole else (f"{value:g}", f"{low:g}", f"{high:g}")
        )
        raise ValueError(f"{name}={shown[0]} is outside {shown[1]}..{shown[2]}")
    return value
