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
from dataclasses import dataclass, field

from rich.console import Console

EXAMPLES = 3  # names shown per group of kept albums or albums needing a person
MAX_RENAMES_LISTED = 50  # beyond this the renames are counted, the rest is in the report

# (action, how a person reads it), in the order a person should deal with them.
NEEDS_A_PERSON = (
    ("failed", "failed (the next run tries again)"),
    ("deferred", "deferred by the daily rename budget (a later run renames them)"),
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


@dataclass
class Sample:
    """How many albums a line of the summary counts, and the ones it may show: the first
    ``limit`` (every one when ``limit`` is None)."""

    limit: int | None
    count: int = 0
    shown: list[SyncedAlbum] = field(default_factory=list)

    def add(self, album: SyncedAlbum) -> None:
        self.count += 1
        if self.limit is None or len(self.shown) < self.limit:
            self.shown.append(album)


class SummaryTally:
    """The summary's figures, taken album by album as a run reports them: counts and the
    few names the summary shows, not every album (every album with ``verbose``). A run of
    100,000 albums holds a few hundred."""

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        examples = None if verbose else EXAMPLES
        self.renamed = Sample(None if verbose else MAX_RENAMES_LISTED)
        self.exact = Sample(examples)  # kept: already canonical
        self.close = Sample(examples)  # kept: drift at most the threshold
        self.other = Sample(examples)  # kept: for another reason
        self.waiting = {action: Sample(examples) for action, _ in NEEDS_A_PERSON}
        self.suspicious = Sample(examples)

    @classmethod
    def of(cls, albums: Iterable[SyncedAlbum], *, verbose: bool = False) -> SummaryTally:
        tally = cls(verbose=verbose)
        for album in albums:
            tally.add(album)
        return tally

    def add(self, album: SyncedAlbum) -> None:
        group = group_of(album)
        if group == "renamed":
            self.renamed.add(album)
        elif group != "kept":
            self.waiting[group].add(album)
        elif album.drift_score == 0:
            self.exact.add(album)
        elif album.drift_score is not None and album.drift_score > 0:
            self.close.add(album)
        else:
            self.other.add(album)
        if looks_like_placeholder(album.name_now or album.canonical_name):
            self.suspicious.add(album)

    @property
    def kept(self) -> int:
        return self.exact.count + self.close.count + self.other.count

    @property
    def needing_a_person(self) -> int:
        return sum(sample.count for sample in self.waiting.values())

    @property
    def albums(self) -> int:
        return self.renamed.count + self.kept + self.needing_a_person

    def counts(self) -> dict[str, int]:
        """Albums per group (``renamed``, ``kept`` and each NEEDS_A_PERSON action present)."""
        groups = {"renamed": self.renamed.count, "kept": self.kept}
        groups.update({action: sample.count for action, sample in self.waiting.items()})
        return {group: count for group, count in groups.items() if count}


def _examples(sample: Sample, *, verbose: bool, drift: bool = False) -> list[str]:
    shown = sample.shown
    pieces = []
    for i, album in enumerate(shown):
        text = quoted(album.name_now)
        if drift and album.drift_score:
            text += f" (drift {album.drift_score})"
        if verbose:
            text = f"{album.album_key} {text}"
        last = i == len(shown) - 1
        pieces.append(text + ("" if last else ","))
    if sample.count > len(shown):
        pieces[-1] = pieces[-1] + ","
        pieces.append(f"and {sample.count - len(shown)} more")
    return pieces


def print_sync_summary(
    console: Console, tally: SummaryTally, *, threshold: int, dry_run: bool = False
) -> dict[str, int]:
    """Print the summary of the albums tallied (every one of them with the tally's
    ``verbose``); returns the albums per group (they add up to the albums tallied)."""
    verbose = tally.verbose
    out = SummaryPrinter(console)
    renamed = tally.renamed

    verb = "would be renamed" if dry_run else "renamed on SmugMug"
    out.heading(f"What happened to the {tally.albums} album(s)")
    out.line(
        f"  {renamed.count} {verb}, {tally.kept} kept as they were, "
        f"{tally.needing_a_person} need a person"
    )

    out.heading(f"{'Would rename' if dry_run else 'Renamed'} ({renamed.count})")
    if not renamed.count:
        out.line(
            "  No album renamed on SmugMug: every name was already right or waits for a person."
        )
    for album in renamed.shown:
        before = quoted(album.name_before)
        after = quoted(album.canonical_name if dry_run else album.name_now)
        first = f"  {album.album_key}  {before}" if verbose else f"  {before}"
        out.pieces(first, [f"→ {after}"])
    if len(renamed.shown) < renamed.count:
        out.line(
            f"  … and {renamed.count - len(renamed.shown)} more (the album report lists them all)"
        )

    out.heading(f"Kept as they were ({tally.kept})")
    if tally.exact.count:
        out.pieces(
            f"  {tally.exact.count} already carry their canonical name, e.g.",
            _examples(tally.exact, verbose=verbose),
        )
    if tally.close.count:
        out.pieces(
            f"  {tally.close.count} close enough (drift at most {threshold}: case, dashes, 'vs',"
            " team order), e.g.",
            _examples(tally.close, verbose=verbose, drift=True),
        )
    if tally.other.count:
        out.pieces(
            f"  {tally.other.count} for another reason ({tally.other.shown[0].reason}), e.g.",
            _examples(tally.other, verbose=verbose),
        )
    if not tally.kept:
        out.line("  none")

    out.heading(f"Needs a person ({tally.needing_a_person})")
    for action, meaning in NEEDS_A_PERSON:
        members = tally.waiting[action]
        if members.count:
            out.pieces(f"  {members.count} {meaning}:", _examples(members, verbose=verbose))
    if not tally.needing_a_person:
        out.line("  nothing")

    if tally.suspicious.count:
        out.heading(f"Names that look like a template's placeholders ({tally.suspicious.count})")
        out.pieces("  check:", _examples(tally.suspicious, verbose=verbose))
    return tally.counts()
