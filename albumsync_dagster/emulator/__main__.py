"""``python -m albumsync_dagster.emulator``: serve the SmugMug emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from albumsync_dagster.emulator.demo_account import build_demo
from albumsync_dagster.emulator.server import DEFAULT_HOST, DEFAULT_PORT, faults_from_flags, serve


def parser() -> argparse.ArgumentParser:
    """The command's flags (the same names ``albumsync emulator`` takes)."""
    p = argparse.ArgumentParser(
        prog="python -m albumsync_dagster.emulator",
        description="Serve a local SmugMug API v2 emulator (the demo account without --data).",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (0: any free one)")
    p.add_argument("--host", default=DEFAULT_HOST, help="interface to listen on")
    p.add_argument("--data", help="JSON data file of the account (default: the demo account)")
    p.add_argument("--seed", type=int, default=0, help="demo account and error-rate seed")
    p.add_argument("--rate-limit", type=int, help="requests allowed per window, then 429")
    p.add_argument("--rate-window", type=float, default=1.0, help="rate-limit window, seconds")
    p.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests failing 500")
    p.add_argument("--fail-next", type=int, default=0, help="fail the first N requests with 503")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every answer")
    p.add_argument(
        "--fail-album", action="append", default=[], help="album key answering 500 (repeatable)"
    )
    p.add_argument(
        "--deleted-album", action="append", default=[], help="album key answering 404 (repeatable)"
    )
    p.add_argument(
        "--late-patch",
        action="append",
        default=[],
        help="album key whose PATCH answers 504 yet lands --late-patch-seconds later (repeatable)",
    )
    p.add_argument(
        "--late-patch-seconds", type=float, default=5.0, help="delay of a --late-patch rename"
    )
    p.add_argument(
        "--write-demo", metavar="FILE", help="write the demo account as a data file and exit"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags and serve until interrupted."""
    args = parser().parse_args(argv)
    if args.write_demo:
        build_demo(args.seed).store().to_file(args.write_demo)
        print(f"wrote the demo account (seed {args.seed}) to {args.write_demo}")
        return 0
    try:
        faults = faults_from_flags(
            seed=args.seed,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            error_rate=args.error_rate,
            fail_next=args.fail_next,
            latency_ms=args.latency_ms,
            fail_albums=args.fail_album,
            deleted_albums=args.deleted_album,
            late_patch_albums=args.late_patch,
            late_patch_seconds=args.late_patch_seconds,
        )
        serve(args.port, args.data, host=args.host, seed=args.seed, faults=faults)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
