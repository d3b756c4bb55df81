"""The seed's verify-album-sync report: overview, one line per album, totals.

An album is in sync when all its rows carry one name and, where the SmugMug catalog snapshot
knows the album, that name is SmugMug's; and every other copy of its name
(``ALBUMSYNC_NAME_COPIES``) carries that name too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync, name_copies
from albumsync_dagster.catalog import smugmug_names


@dataclass(frozen=True)
class AlbumLine:
    album_key: str
    photo_count: int
    names: list[tuple[str | None, int]]
    smugmug_name: str | None
    synced: bool
    issues: list[str]


@dataclass(frozen=True)
class VerifyReport:
    stats: album_sync.SyncStats
    albums: list[AlbumLine]
    without_album_key_sample: list[album_sync.PhotoWithoutAlbumKey] = field(default_factory=list)

    @property
    def all_synced(self) -> bool:
        return all(a.synced for a in self.albums)

    @property
    def out_of_sync(self) -> list[AlbumLine]:
        return [a for a in self.albums if not a.synced]

    def as_dict(self) -> dict[str, Any]:
        return {
            "stats": self.stats.__dict__,
            "all_synced": self.all_synced,
            "albums_checked": len(self.albums),
            "albums_in_sync": len(self.albums) - len(self.out_of_sync),
            "albums_out_of_sync": len(self.out_of_sync),
            "albums": [
                {
                    "album_key": a.album_key,
                    "photo_count": a.photo_count,
                    "names": [{"name": n, "photos": c} for n, c in a.names],
                    "smugmug_name": a.smugmug_name,
                    "synced": a.synced,
                    "issues": a.issues,
                }
                for a in self.albums
            ],
        }


def build_verify_report(engine: Engine, album_key: str | None = None) -> VerifyReport:
    """Check every album (or one) for rows with several names or not SmugMug's name."""
    keys = [album_key] if album_key else None
    names_by_key = {n.album_key: n for n in album_sync.album_names(engine, keys)}
    smugmug = smugmug_names(engine, keys)
    # Other copies of the name (ALBUMSYNC_NAME_COPIES) must carry SmugMug's name, or where the
    # snapshot does not know the album, the name its rows carry.
    copies = name_copies.copy_disagreements(
        engine,
        {
            key: smugmug.get(key, names.prevailing_name)
            for key, names in names_by_key.items()
            if smugmug.get(key, names.prevailing_name) is not None
        },
    )
    lines = []
    for key in sorted(set(names_by_key) | ({album_key} if album_key else set())):
        names = names_by_key.get(key)
        issues: list[str] = []
        smugmug_name = smugmug.get(key)
        if names is None:
            issues.append(f"album {key}: no photo rows carry this album key")
            lines.append(AlbumLine(key, 0, [], smugmug_name, False, issues))
            continue
        if not names.consistent:
            listed = ", ".join(
                f"{'(no name)' if n is None else repr(n)} ({c})" for n, c in names.names
            )
            issues.append(f"album {key}: rows carry {len(names.names)} names: {listed}")
        elif smugmug_name is not None and names.prevailing_name != smugmug_name:
            issues.append(
                f"album {key}: rows say {names.prevailing_name!r}, SmugMug says {smugmug_name!r}"
            )
        issues += copies.get(key, [])
        lines.append(
            AlbumLine(key, names.photo_count, names.names, smugmug_name, not issues, issues)
        )
    return VerifyReport(
        stats=album_sync.get_sync_stats(engine),
        albums=lines,
        without_album_key_sample=album_sync.get_photos_without_album_key(engine, limit=20),
    )


def print_verify_report(console: Console, report: VerifyReport, *, verbose: bool) -> None:
    """Print the report as the seed's script did, in rich text."""
    s = report.stats
    console.print("[bold]Album sync verification[/bold]")
    console.print()
    console.print("[bold]Overview[/bold]")
    console.print(f"  Albums: {s.total_albums:,}   Photos: {s.total_photos:,}")
    console.print(
        f"  With album key: {s.photos_with_album_key:,}   "
        f"Without album key: {s.photos_without_album_key:,}   "
        f"Updated in last 24 h: {s.recently_updated:,}"
    )
    console.print()
    console.print("[bold]Albums[/bold]")
    shown = report.albums if verbose or len(report.albums) <= 50 else report.out_of_sync
    if shown is not report.albums:
        console.print(f"  (showing the {len(shown)} out of sync; --verbose lists every album)")
    for line in shown:
        mark = "[green]✓[/green]" if line.synced else "[red]✗[/red]"
        name = line.names[0][0] if line.names else None
        label = "(no name)" if name is None else repr(name)
        console.print(
            f"  {mark} {escape(line.album_key)}  {escape(label)}  ({line.photo_count:,} photos)"
        )
        if verbose and len(line.names) > 1:
            for other, count in line.names:
                console.print(f"       {escape(repr(other))}: {count:,}")
        for issue in line.issues:
            console.print(f"       [red]{escape(issue)}[/red]")
    if verbose and report.without_album_key_sample:
        console.print()
        console.print("[bold]Photos without album key[/bold] (first 20)")
        for photo in report.without_album_key_sample:
            console.print(f"  {escape(photo.image_key)}  {escape(photo.album_name or '')}")
    console.print()
    console.print("[bold]Totals[/bold]")
    out = len(report.out_of_sync)
    console.print(
        f"  {len(report.albums) - out:,} album(s) in sync, {out:,} out of sync"
        + ("" if out == 0 else "  [red]✗[/red]")
    )
