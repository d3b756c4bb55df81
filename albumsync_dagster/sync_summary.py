"""What a photographer reads at the end of ``make demo`` and ``albumsync sync``.

Every album lands in exactly one group, so the counts add up to the albums synced: renamed
(old → new), kept as they were (and why, with a few examples), or needing a person (failed,
deferred, locked, changed on SmugMug meanwhile, no canonical name). Names that look like
template placeholders are listed apart, whatever their group. Album keys appear only with
``verbose``. Lines break between names, never inside one: a line is as wide as the terminal,
or as wide as the one name that does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console

EXAMPLES = 3  # names shown per group of kept albums or albums needing a person
MAX_RENAMES_LISTED = 50  # beyond this the renames are counted, the rest is in the report

# (action, how a person reads it), in the order a person should deal with them.
NEEDS_A_PERSON = (
    ("failed", "failed (the next run tries again)"),
    ("deferred", "deferred: over the daily rename budget (a later run renames them)"),
    ("human_renamed", "renamed by a person on SmugMug, now locked (their name is kept)"),
    ("locked", "locked (`albumsync unlock KEY` lets the pipeline rename them again)"),
    ("changed_since_planned", "renamed on SmugMug while this run worked (left as they are)"),
    ("no_canonical", "no canonical name (no enrichment and no dated photo to name them by)"),
)
RENAMED_ACTIONS = ("renamed", "would_rename")

# Words a template leaves behind: "Tournament Name", "Team A vs Team B", "{event}", "TBD".
_PLACEHOLDER = re.compile(
    r"\b(?:tournament|event|team|album|game|school|opponent)\s+name\b|\bteam\s+[ab]\b"
    r"|\b(?:tbd|tba|xxx|placeholder|lorem ipsum)\b|[{}<>]|\$\w+",
    re.IGNORECASE,
)


def looks_like_placeholder(name: str | None) -> bool:
    """Whether a name carries what a template leaves behind (``Tournament Name``, ``TBD``)."""
    return bool(name and _PLACEHOLDER.search(name))


@dataclass(frozen=True)
class SyncedAlbum:
    """One album as the summary needs it."""

    album_key: str
    action: str
    reason: str
    name_before: str | None  # SmugMug's name when the run read it
    name_now: str | None  # SmugMug's name after the run
    canonical_name: str | None
    drift_score: int | None
    failed: bool = False


def group_of(album: SyncedAlbum) -> str:
    """``renamed``, ``kept``, or the NEEDS_A_PERSON action the album waits on."""
    if album.failed or album.action == "failed":
        return "failed"
    if album.action in RENAMED_ACTIONS:
        return "renamed"
    if album.action in dict(NEEDS_A_PERSON):
        return album.action
    return "kept"


def quoted(name: str | None) -> str:
    return "(no name)" if name is None else repr(name)


def lay_out(first: str, pieces: Sequence[str], *, width: int, indent: str) -> list[str]:
    """``first`` then ``pieces`` over lines of at most ``width``, breaking only between pieces.

    A piece that does not fit on a fresh line gets a line of its own, longer than ``width``.
    """
    lines: list[str] = []
    current = first
    for piece in pieces:
        joined = f"{current} {piece}" if current.strip() else current + piece
        if len(joined) <= width or not current.strip():
            current = joined
        else:
            lines.append(current)
            current = indent + piece
    lines.append(current)
    return lines


class SummaryPrinter:
    """Prints plain lines (no Rich wrapping, no markup in names) at the console's width."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.width = max(40, console.width)

    def heading(self, text: str) -> None:
        self.console.print(f"\n[bold]{text}[/bold]", soft_wrap=True)

    def line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def pieces(self, first: str, pieces: Sequence[str], indent: str = "      ") -> None:
        for text in lay_out(first, pieces, width=self.width, indent=indent):
            self.line(text)


def _examples(albums: Sequence[SyncedAlbum], *, verbose: bool, drift: bool = False) -> list[str]:
    shown = albums if verbose else albums[:EXAMPLES]
    pieces = []
    for i, album in enumerate(shown):
        text = quoted(album.name_now)
        if drift and album.drift_score:
            text += f" (drift {album.drift_score})"
        if verbose:
            text = f"{album.album_key} {text}"
        last = i == len(shown) - 1
        pieces.append(text + ("" if last else ","))
    if len(albums) > len(shown):
        pieces[-1] = pieces[-1] + ","
        pieces.append(f"and {len(albums) - len(shown)} more")
    return pieces


def print_sync_summary(
    console: Console,
    albums: Iterable[SyncedAlbum],
    *,
    threshold: int,
    dry_run: bool = False,
    verbose: bool = False,
) -> dict[str, int]:
    """Print the summary; returns the albums per group (they add up to the albums given)."""
    out = SummaryPrinter(console)
    albums = list(albums)
    groups: dict[str, list[SyncedAlbum]] = {}
    for album in albums:
        groups.setdefault(group_of(album), []).append(album)
    renamed = groups.get("renamed", [])
    kept = groups.get("kept", [])
    waiting = [a for action, _ in NEEDS_A_PERSON for a in groups.get(action, [])]
    counts = {group: len(members) for group, members in groups.items()}

    verb = "would be renamed" if dry_run else "renamed on SmugMug"
    out.heading(f"What happened to the {len(albums)} album(s)")
    out.line(
        f"  {len(renamed)} {verb}, {len(kept)} kept as they were, {len(waiting)} need a person"
    )

    out.heading(f"{'Would rename' if dry_run else 'Renamed'} ({len(renamed)})")
    if not renamed:
        out.line(
            "  No album renamed on SmugMug: every name was already right or waits for a person."
        )
    listed = renamed if verbose else renamed[:MAX_RENAMES_LISTED]
    for album in listed:
        before = quoted(album.name_before)
        after = quoted(album.canonical_name if dry_run else album.name_now)
        first = f"  {album.album_key}  {before}" if verbose else f"  {before}"
        out.pieces(first, [f"→ {after}"])
    if len(listed) < len(renamed):
        out.line(f"  … and {len(renamed) - len(listed)} more (the album report lists them all)")

    out.heading(f"Kept as they were ({len(kept)})")
    exact = [a for a in kept if a.drift_score == 0]
    close = [a for a in kept if a.drift_score is not None and a.drift_score > 0]
    other = [a for a in kept if a.drift_score is None]
    if exact:
        out.pieces(
            f"  {len(exact)} already carry their canonical name, e.g.",
            _examples(exact, verbose=verbose),
        )
    if close:
        out.pieces(
            f"  {len(close)} close enough (drift at most {threshold}: case, dashes, 'vs',"
            " team order), e.g.",
            _examples(close, verbose=verbose, drift=True),
        )
    if other:
        out.pieces(
            f"  {len(other)} for another reason ({other[0].reason}), e.g.",
            _examples(other, verbose=verbose),
        )
    if not kept:
        out.line("  none")

    out.heading(f"Needs a person ({len(waiting)})")
    for action, meaning in NEEDS_A_PERSON:
        members = groups.get(action, [])
        if members:
            out.pieces(f"  {len(members)} {meaning}:", _examples(members, verbose=verbose))
    if not waiting:
        out.line("  nothing")

    suspicious = [a for a in albums if looks_like_placeholder(a.name_now or a.canonical_name)]
    if suspicious:
        out.heading(f"Names that look like a template's placeholders ({len(suspicious)})")
        out.pieces("  check:", _examples(suspicious, verbose=verbose))
    return counts
