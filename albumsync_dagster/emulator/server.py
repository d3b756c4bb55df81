"""Running the emulator: uvicorn in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import uvicorn

from albumsync_dagster.emulator.app import EmulatorState, create_app
from albumsync_dagster.emulator.faults import Faults
from albumsync_dagster.emulator.requests_log import RecordedRequest, RequestLog
from albumsync_dagster.emulator.store import EmulatorStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0


class EmulatorStartError(RuntimeError):
    """The emulator's HTTP server did not start (port taken, or it crashed starting)."""


@dataclass
class RunningEmulator:
    """A live emulator: where it listens, its account, its fault knobs and request log."""

    host: str
    port: int
    state: EmulatorState

    @property
    def base_url(self) -> str:
        """The API origin, e.g. ``http://127.0.0.1:54321`` (clients append ``/api/v2/...``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def store(self) -> EmulatorStore:
        """The account served (edit it to change what SmugMug "has")."""
        return self.state.store

    @property
    def faults(self) -> Faults:
        """The fault knobs."""
        return self.state.faults

    @property
    def log(self) -> RequestLog:
        """The request log (``count(...)``, ``clear()``)."""
        return self.state.log

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        return self.state.log.entries()

    @property
    def credentials(self) -> dict[str, str]:
        """``SMUGMUG_API_KEY``, ``..._SECRET``, ``..._ACCESS_TOKEN[_SECRET]``, ``..._NICKNAME``."""
        return {**self.store.credentials.as_env(), "SMUGMUG_NICKNAME": self.store.nickname}

    def env(self) -> dict[str, str]:
        """``credentials`` plus ``SMUGMUG_BASE_URL``: ready for ``os.environ`` or monkeypatch."""
        return {**self.credentials, "SMUGMUG_BASE_URL": self.base_url}


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the thread is not the main thread
        return None


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EmulatorStartError(f"cannot listen on {host}:{port}: {exc}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(state: EmulatorState, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(state),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        date_header=False,  # the app sends Date from the store's clock
    )


@contextlib.contextmanager
def run_emulator(
    store: EmulatorStore,
    *,
    port: int = 0,
    host: str = DEFAULT_HOST,
    faults: Faults | None = None,
) -> Iterator[RunningEmulator]:
    """Serve ``store`` over HTTP in a background thread for the ``with`` block.

    ``port=0`` picks a free port. The block starts once the server accepts connections;
    on exit the server is stopped and its thread joined (bounded waits).
    """
    state = EmulatorState(store=store, faults=faults or Faults())
    sock = _bind(host, port)
    server = _ThreadedServer(_config(state, "warning"))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            failure.append(exc)

    thread = threading.Thread(
        target=run, name=f"smugmug-emulator-{sock.getsockname()[1]}", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread, failure)
        yield RunningEmulator(host=host, port=sock.getsockname()[1], state=state)
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        sock.close()


def _wait_started(
    server: uvicorn.Server, thread: threading.Thread, failure: list[BaseException]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    if not server.started:
        detail = f": {failure[0]!r}" if failure else ""
        raise EmulatorStartError(
            f"the emulator did not start within {STARTUP_TIMEOUT_SECONDS:.0f} s{detail}"
        )


def serve(
    port: int = DEFAULT_PORT,
    data_file: str | Path | None = None,
    *,
    host: str = DEFAULT_HOST,
    seed: int = 0,
    faults: Faults | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve the emulator in the foreground until interrupted (Ctrl-C).

    Serves ``data_file`` (JSON, see ``albumsync_dagster.emulator.store``) or, without one,
    the generated demo account (``seed``), with ``faults`` (none by default; see
    :func:`faults_from_flags`). Prints the base URL and the ``SMUGMUG_*`` lines.
    """
    from albumsync_dagster.emulator.demo_account import build_demo_store

    out = out or sys.stdout
    store = EmulatorStore.from_file(data_file) if data_file else build_demo_store(seed=seed)
    state = EmulatorState(store=store, faults=faults or Faults(seed=seed))
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    running = RunningEmulator(host=host, port=bound_port, state=state)
    source = str(data_file) if data_file else f"demo account (seed {seed})"
    print(
        f"SmugMug emulator serving {source}: {len(store.albums)} albums, "
        f"{store.image_count} images, account {store.nickname!r}",
        file=out,
    )
    print(f"Base URL: {running.base_url}  (API at {running.base_url}/api/v2)", file=out)
    print("Environment for the client:", file=out)
    for name, value in running.env().items():
        print(f"export {name}={value}", file=out)
    out.flush()
    server = uvicorn.Server(_config(state, "info"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def faults_from_flags(
    *,
    seed: int = 0,
    rate_limit: int | None = None,
    rate_window: float = 1.0,
    error_rate: float = 0.0,
    fail_next: int = 0,
    latency_ms: float = 0.0,
    fail_albums: Iterable[str] = (),
    deleted_albums: Iterable[str] = (),
    late_patch_albums: Iterable[str] = (),
    late_patch_seconds: float = 5.0,
) -> Faults:
    """Fault knobs from command-line style values (see ``serve``)."""
    faults = Faults(seed=seed)
    if rate_limit is not None:
        faults.set_rate_limit(rate_limit, rate_window)
    if error_rate:
        faults.set_error_rate(error_rate, seed=seed)
    if fail_next:
        faults.fail_next(fail_next)
    if latency_ms:
        faults.set_latency(latency_ms)
    for key in fail_albums:
        faults.fail_album(key)
    for key in deleted_albums:
        faults.delete_album(key)
    for key in late_patch_albums:
        faults.lose_patch_answer(key, status=504, land_after=late_patch_seconds)
    return faults
