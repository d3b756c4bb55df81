"""Runs the installed ``albumsync`` command as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def albumsync_executable() -> str:
    beside = Path(sys.executable).with_name("albumsync")
    return str(beside) if beside.exists() else (shutil.which("albumsync") or "albumsync")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(
        [albumsync_executable(), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def one_error_line(result: CliResult) -> str:
    """The one line a refused command printed (exit code 2, no traceback)."""
    assert result.code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]
