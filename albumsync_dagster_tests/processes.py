"""Long-lived subprocesses for tests (``dagster dev``, ``dagster-daemon``): their output goes to
a log file, so a test that fails says what the process printed, and they are stopped (whole
process group) whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Logged:
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-chars:]

    def report(self, what: str) -> str:
        """``what`` and the process's state and last output, for an assertion message."""
        code = self.process.poll()
        state = "still running" if code is None else f"exited with {code}"
        return f"{what}; the process is {state}. Its output ends:\n{self.tail()}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the process group; kill it if it does not exit within ``timeout``."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


@contextmanager
def logged_process(
    command: Sequence[str], log: Path, *, env: dict[str, str], cwd: Path | None = None
) -> Iterator[Logged]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: stopped below whatever happens
        )
    logged = Logged(process, log)
    try:
        yield logged
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
