"""A local SmugMug API v2 emulator: a real HTTP server (starlette + uvicorn) for tests and demos.

It serves the subset of API v2 the project uses, with the real envelope, field names and
paging (see ``../shared/smugmug-samples``)::

    GET   /api/v2!authuser
    GET   /api/v2/user/{nick}                 GET /api/v2/user/{nick}!albums   (count <= 100)
    GET   /api/v2/album/{key}                 PATCH /api/v2/album/{key}  {"Name": ...}
    GET   /api/v2/album/{key}!images          (count <= 1000)
    GET   /api/v2/album!search?Scope=/api/v2/user/{nick}&SortMethod=LastUpdated
          &SortDirection=Descending&Text=...  (Rank|LastUpdated; count <= 100, default 10)
    GET   /api/v2/image/{key}-{serial}        GET /api/v2/image/{key} -> 301 to {key}-{serial}

Requests must carry a valid OAuth 1.0a HMAC-SHA1 signature (query parameters signed) for
the account's credentials, else 401 in SmugMug's envelope. ``_filter`` and ``_filteruri``
trim objects; ``start`` (1-based) and ``count`` page lists.

Programmatic use::

    from albumsync_dagster.emulator import EmulatorStore, run_emulator, build_demo_store

    store = EmulatorStore.from_file(path)         # or .from_dict(d), or build_demo_store(seed=0)
    with run_emulator(store, port=0) as emu:      # uvicorn in a thread on 127.0.0.1
        emu.base_url                              # "http://127.0.0.1:PORT"
        emu.credentials                           # SMUGMUG_API_KEY, ..._SECRET, ..._ACCESS_TOKEN,
                                                  # ..._ACCESS_TOKEN_SECRET, SMUGMUG_NICKNAME
        emu.env()                                 # credentials + SMUGMUG_BASE_URL
        emu.store.rename_by_hand(key, "New name") # a person renames on smugmug.com (no API call)
        emu.store.upload_images(key, 3)           # new photos: ImagesLastUpdated moves
        emu.store.remove_images(key, [image_key]) # (LastUpdated does not, as on SmugMug)
        emu.store.delete_album(key)               # gone: 404, out of every listing
        emu.store.touch(key, last_updated=when)   # set the clocks outright
        emu.store.clock = lambda: when            # the time edits are stamped with
        emu.store.album_name(key)                 # what SmugMug holds now
        emu.faults.set_rate_limit(5, per_seconds=1.0)   # then 429 + Retry-After
        emu.faults.set_error_rate(0.2, seed=1)          # seeded random 5xx
        emu.faults.fail_next(2, status=503)             # the next 2 requests fail
        emu.faults.set_latency(50)                      # ms added to every answer
        emu.faults.fail_album(key, status=500, methods=("PATCH",), apply_patch=False)
        emu.faults.delete_album(key)                    # 404 for it, gone from user!albums
        emu.faults.reset()
        emu.requests                              # [RecordedRequest(method, path, query, status)]
        emu.log.count("PATCH", path_contains="/album/")  ;  emu.log.clear()

A large account: albums with ``generated_images`` (``account_builder.generated``) hold no
object per photo; 100,000 albums of 100 photos take about 160 MB (``generated_images.py``).

From a shell: ``serve(port, data_file, faults=faults_from_flags(...))`` (what ``albumsync
emulator`` runs) or ``python -m albumsync_dagster.emulator --help``.
"""

from albumsync_dagster.emulator.demo_account import DemoAccount, build_demo, build_demo_store
from albumsync_dagster.emulator.faults import AlbumFault, Faults, LostPatchAnswer
from albumsync_dagster.emulator.generated_images import (
    GeneratedImages,
    decode_generated_key,
    generated_image_key,
)
from albumsync_dagster.emulator.requests_log import RecordedRequest, RequestLog
from albumsync_dagster.emulator.server import (
    DEFAULT_PORT,
    EmulatorStartError,
    RunningEmulator,
    faults_from_flags,
    run_emulator,
    serve,
)
from albumsync_dagster.emulator.store import (
    DataFileError,
    EmulatorAlbum,
    EmulatorCredentials,
    EmulatorImage,
    EmulatorStore,
)

__all__ = [
    "DEFAULT_PORT",
    "AlbumFault",
    "LostPatchAnswer",
    "DataFileError",
    "DemoAccount",
    "EmulatorAlbum",
    "EmulatorCredentials",
    "EmulatorImage",
    "EmulatorStartError",
    "EmulatorStore",
    "Faults",
    "GeneratedImages",
    "RecordedRequest",
    "RequestLog",
    "RunningEmulator",
    "build_demo",
    "build_demo_store",
    "decode_generated_key",
    "faults_from_flags",
    "generated_image_key",
    "run_emulator",
    "serve",
]
