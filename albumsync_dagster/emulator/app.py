"""The emulator's ASGI app (starlette): SmugMug API v2's album subset, envelope and paging.

Every request is logged, delayed by the configured latency, checked for an OAuth 1.0a
signature (401), counted by the rate limiter (429 + ``Retry-After``), possibly failed by
a fault knob (5xx), then answered. Answers carry ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (epoch seconds).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from albumsync_dagster.emulator.faults import Faults, RateDecision
from albumsync_dagster.emulator.oauth import OAuthProblem, SignatureVerifier, SignedRequest
from albumsync_dagster.emulator.representations import (
    ALBUM_DOC,
    API,
    IMAGE_DOC,
    SEARCH_SORT_DIRECTIONS,
    SEARCH_SORT_METHODS,
    USER_DOC,
    album_image_fields,
    album_image_object,
    album_object,
    album_search_options,
    image_object,
    options_for,
    root_node_id,
    user_object,
)
from albumsync_dagster.emulator.requests_log import RecordedRequest, RequestLog
from albumsync_dagster.emulator.store import AlbumEntry, EmulatorAlbum, EmulatorStore
from albumsync_dagster.smugmug.models import MAX_ALBUM_NAME_LENGTH

# Page sizes: user!albums clamps count to 100; album!images accepts up to 1000.
ALBUMS_PAGE_MAX = 100
IMAGES_PAGE_MAX = 1000
DEFAULT_PAGE_COUNT = 100
# album!search: the recorded first page asked no count and got 10. Its maximum is not
# documented; 100, as for user!albums, is assumed.
SEARCH_PAGE_MAX = 100
SEARCH_DEFAULT_COUNT = 10
URL_NAME_MAX_CHARS = 60
_URL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_PAGING_DROPPED = {"start", "count", "_expand", "_verbosity"}
_MESSAGES = {
    200: "Ok",
    301: "Moved Permanently",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# A proxy in front of the service answers these with an HTML page, not the JSON envelope.
_HTML_STATUSES = {502, 504}

_ALBUM = re.compile(r"^/album/(?P<key>[^/!]+)$")
_ALBUM_IMAGES = re.compile(r"^/album/(?P<key>[^/!]+)!images$")
_USER = re.compile(r"^/user/(?P<nick>[^/!]+)$")
_USER_ALBUMS = re.compile(r"^/user/(?P<nick>[^/!]+)!albums$")
_IMAGE_SERIAL = re.compile(r"^/image/(?P<key>[^/!-]+)-(?P<serial>\d+)$")
_IMAGE = re.compile(r"^/image/(?P<key>[^/!-]+)$")
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class EmulatorState:
    """What the app serves and how it misbehaves; shared with the test thread."""

    store: EmulatorStore
    faults: Faults = field(default_factory=Faults)
    log: RequestLog = field(default_factory=RequestLog)
    verifier: SignatureVerifier | None = None

    def __post_init__(self) -> None:
        if self.verifier is None:
            self.verifier = SignatureVerifier(self.store.credentials)

    def land_held_patch(self, album_key: str) -> bool:
        """Apply the held PATCH of this album now (a rename landing late); False if none."""
        name = self.faults.take_held_patch(album_key)
        if name is None:
            return False
        self.store.rename(album_key, name)
        return True

    def land_held_patches(self) -> list[str]:
        """Apply every held PATCH; the album keys renamed."""
        return [key for key in self.faults.held_patches() if self.land_held_patch(key)]


@dataclass(slots=True)
class _Call:
    """One request being answered."""

    method: str
    path: str  # below /api/v2, e.g. "/album/AbC123" or "!authuser"
    full_path: str  # /api/v2/...
    raw_query: str
    params: dict[str, str]
    started: float
    scheme: str
    host: str
    body: bytes = b""
    content_type: str = ""

    def request_block(self) -> dict[str, str]:
        uri = self.full_path + (f"?{self.raw_query}" if self.raw_query else "")
        return {"Version": "v2", "Method": self.method, "Uri": uri}

    def timing(self) -> dict[str, Any]:
        elapsed = round(time.perf_counter() - self.started, 5)
        return {"Total": {"time": elapsed, "cycles": 1, "objects": 0}}


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """How an endpoint describes itself in ``Response`` and ``Options``."""

    locator: str
    locator_type: str
    description: str
    endpoint_type: str
    doc: str | None
    methods: tuple[str, ...]
    path_parts: tuple[tuple[str, str, str], ...]  # (type, name, value)
    fixed_options: dict[str, Any] | None = None

    def options(self) -> dict[str, Any]:
        if self.fixed_options is not None:
            return self.fixed_options
        parts: list[dict[str, str]] = []
        for kind, name, value in self.path_parts:
            if kind == "singleparam":
                parts.append({"type": kind, "param_name": name, "param_value": value})
            else:
                parts.append({"type": kind, "text": value})
        return options_for(parts, ["OPTIONS", *self.methods], "PATCH" in self.methods)


def _album_endpoint(key: str) -> _Endpoint:
    return _Endpoint(
        "Album",
        "Object",
        "Album by key",
        "Album",
        ALBUM_DOC,
        ("GET", "PATCH"),
        (("path", "", "album"), ("singleparam", "albumkey", key)),
    )


def _album_images_endpoint(key: str) -> _Endpoint:
    return _Endpoint(
        "AlbumImage",
        "Objects",
        "Images from album",
        "AlbumImages",
        None,
        ("GET",),
        (("path", "", "album"), ("singleparam", "albumkey", key), ("action", "", "images")),
    )


def _user_endpoint(nick: str) -> _Endpoint:
    return _Endpoint(
        "User",
        "Object",
        "User By Nickname",
        "User",
        USER_DOC,
        ("GET",),
        (("path", "", "user"), ("singleparam", "nickname", nick)),
    )


def _authuser_endpoint() -> _Endpoint:
    return _Endpoint(
        "User",
        "Object",
        "Authenticated user",
        "AuthUser",
        USER_DOC,
        ("GET",),
        (("action", "", "authuser"),),
    )


def _user_albums_endpoint(nick: str) -> _Endpoint:
    return _Endpoint(
        "Album",
        "Objects",
        "All of user's albums",
        "UserAlbums",
        None,
        ("GET",),
        (("path", "", "user"), ("singleparam", "nickname", nick), ("action", "", "albums")),
    )


def _album_search_endpoint(params: dict[str, str]) -> _Endpoint:
    return _Endpoint(
        "Album",
        "Objects",
        "Search for albums",
        "AlbumSearch",
        None,
        ("GET",),
        (("path", "", "album"), ("action", "", "search")),
        album_search_options(params),
    )


def _image_endpoint(key: str) -> _Endpoint:
    return _Endpoint(
        "Image",
        "Object",
        "Image by key",
        "Image",
        IMAGE_DOC,
        ("GET",),
        (("path", "", "image"), ("singleparam", "imagekey", key)),
    )


# ---------------------------------------------------------------------- responses


def _envelope(
    call: _Call,
    endpoint: _Endpoint | None,
    *,
    code: int = 200,
    message: str | None = None,
    body: dict[str, Any] | None = None,
    pages: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    uri: str | None = None,
) -> Response:
    response: dict[str, Any] = {"Uri": uri or call.full_path}
    if endpoint is not None:
        response["Locator"] = endpoint.locator
        response["LocatorType"] = endpoint.locator_type
    if body:
        response.update(body)
    if endpoint is not None:
        response["UriDescription"] = endpoint.description
        response["EndpointType"] = endpoint.endpoint_type
        if endpoint.doc and endpoint.locator_type == "Object":
            response["DocUri"] = endpoint.doc
    if pages is not None:
        response["Pages"] = pages
    response["Timing"] = call.timing()
    payload: dict[str, Any] = {"Request": call.request_block()}
    if endpoint is not None:
        payload["Options"] = endpoint.options()
    payload["Response"] = response
    payload["Code"] = code
    payload["Message"] = message or _MESSAGES.get(code, "Error")
    return JSONResponse(payload, status_code=code, headers=headers)


def _error(
    call: _Call,
    code: int,
    message: str | None = None,
    endpoint: _Endpoint | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if code in _HTML_STATUSES:
        title = f"{code} {_MESSAGES.get(code, 'Error')}"
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return HTMLResponse(page, status_code=code, headers=headers)
    return _envelope(call, endpoint, code=code, message=message, headers=headers)


def _shape(obj: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """Apply ``_filter`` (keep these fields) and ``_filteruri`` (keep these Uris)."""
    if "_filteruri" in params and isinstance(obj.get("Uris"), dict):
        wanted_uris = {u for u in params["_filteruri"].split(",") if u}
        kept = {k: v for k, v in obj["Uris"].items() if k in wanted_uris}
        obj = {k: v for k, v in obj.items() if k != "Uris"}
        if kept:
            obj["Uris"] = kept
    if "_filter" in params:
        wanted = {f.strip() for f in params["_filter"].split(",") if f.strip()}
        obj = {k: v for k, v in obj.items() if k in wanted}
    return obj


def _paging(
    call: _Call, total: int, maximum: int, default_count: int = DEFAULT_PAGE_COUNT
) -> tuple[int, int, dict[str, Any]]:
    """(start, count, Pages) for a list endpoint; start is 1-based, count clamped."""
    start = _int_param(call.params.get("start"), 1)
    start = max(start, 1)
    count = _int_param(call.params.get("count"), default_count)
    count = min(max(count, 1), maximum)
    shown = max(0, min(count, total - start + 1))
    kept = [
        (k, v)
        for k, v in parse_qsl(call.raw_query, keep_blank_values=True)
        if k not in _PAGING_DROPPED
    ]

    def page(at: int) -> str:
        return f"{call.full_path}?{urlencode([*kept, ('start', at), ('count', count)])}"

    last = ((max(total, 1) - 1) // count) * count + 1
    pages: dict[str, Any] = {
        "Total": total,
        "Start": start,
        "Count": shown,
        "RequestedCount": count,
        "FirstPage": page(1),
        "LastPage": page(last),
    }
    if start > 1:
        pages["PrevPage"] = page(max(1, start - count))
    if start + count <= total:
        pages["NextPage"] = page(start + count)
    return start, count, pages


def _int_param(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        return default


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return "Name must be a string"
    if len(name) > MAX_ALBUM_NAME_LENGTH:
        return f"Name is {len(name)} characters; at most {MAX_ALBUM_NAME_LENGTH} are allowed"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "Name must not contain control characters"
    return None


def _url_name_problem(url_name: object) -> str | None:
    if not isinstance(url_name, str):
        return "UrlName must be a string"
    if not 1 <= len(url_name) <= URL_NAME_MAX_CHARS:
        return f"UrlName must be 1 to {URL_NAME_MAX_CHARS} characters"
    if not _URL_NAME.match(url_name):
        return "UrlName must start with a letter or digit and hold only letters, digits and -"
    return None


# ---------------------------------------------------------------------- handlers


class _Handlers:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    @property
    def store(self) -> EmulatorStore:
        return self.state.store

    def authuser(self, call: _Call) -> Response:
        endpoint = _authuser_endpoint()
        body = {"User": _shape(user_object(self.store), call.params)}
        return _envelope(call, endpoint, body=body)

    def user(self, call: _Call, nick: str) -> Response:
        endpoint = _user_endpoint(nick)
        if nick != self.store.nickname:
            return _error(call, 404, endpoint=endpoint)
        return _envelope(
            call, endpoint, body={"User": _shape(user_object(self.store), call.params)}
        )

    def user_albums(self, call: _Call, nick: str) -> Response:
        endpoint = _user_albums_endpoint(nick)
        if nick != self.store.nickname:
            return _error(call, 404, endpoint=endpoint)
        hidden = self.state.faults.hidden_album_keys()
        with self.store.lock:
            albums = self.store.albums
            if hidden:
                albums = [a for a in albums if a.album_key not in hidden]
            start, count, pages = _paging(call, len(albums), ALBUMS_PAGE_MAX)
            if failing := self.state.faults.listing_page_fault(start):
                return _error(call, failing, endpoint=endpoint)
            chosen = albums[start - 1 : start - 1 + count]
            items = [_shape(album_object(self.store, a), call.params) for a in chosen]
        body = {"Album": items} if items else None
        return _envelope(call, endpoint, body=body, pages=pages)

    def album_search(self, call: _Call) -> Response:
        """``album!search``: Scope, Text, SortMethod (Rank|LastUpdated), SortDirection, paging."""
        params = call.params
        endpoint = _album_search_endpoint(params)
        uri = call.full_path + (f"?{call.raw_query}" if call.raw_query else "")
        method = params.get("SortMethod") or "Rank"
        direction = params.get("SortDirection") or "Descending"
        if method not in SEARCH_SORT_METHODS:
            problem = f"SortMethod must be one of {', '.join(SEARCH_SORT_METHODS)}"
            return _error(call, 400, f"Bad Request: {problem}", endpoint)
        if direction not in SEARCH_SORT_DIRECTIONS:
            problem = f"SortDirection must be one of {', '.join(SEARCH_SORT_DIRECTIONS)}"
            return _error(call, 400, f"Bad Request: {problem}", endpoint)
        hidden = self.state.faults.hidden_album_keys()
        words = [w.casefold() for w in _WORD.findall(params.get("Text", ""))]
        with self.store.lock:
            in_scope = self._search_scope(params.get("Scope", ""))
            if isinstance(in_scope, str):
                code = 404 if in_scope == "Not Found" else 400
                message = None if code == 404 else f"Bad Request: {in_scope}"
                return _error(call, code, message, endpoint)
            # Oldest-changed first: LastUpdated ascending, ties by AlbumKey.
            found = self.store.albums_by_last_updated()
            if hidden or in_scope is not None or words:
                found = [
                    a
                    for a in found
                    if a.album_key not in hidden
                    and (in_scope is None or in_scope(a))
                    and (not words or _matches(a, words))
                ]
            if method == "Rank" and words:
                # Stable: equal ranks keep the LastUpdated order.
                found = sorted(found, key=lambda a: _rank(a, words))
            start, count, pages = _paging(call, len(found), SEARCH_PAGE_MAX, SEARCH_DEFAULT_COUNT)
            if failing := self.state.faults.listing_page_fault(start):
                return _error(call, failing, endpoint=endpoint)
            chosen = _page_of(found, start, count, descending=direction == "Descending")
            items = [_shape(album_object(self.store, a), params) for a in chosen]
        body = {"Album": items} if items else None
        return _envelope(call, endpoint, body=body, pages=pages, uri=uri)

    def _search_scope(self, scope: str) -> Callable[[EmulatorAlbum], bool] | str | None:
        """None: the whole account; a test of an album; or why the Scope is refused."""
        path = re.sub(r"^https?://[^/]+", "", scope.strip()).rstrip("/")
        if not path:
            return None
        nick = self.store.nickname
        user_uri = f"{API}/user/{nick}"
        folder_root = f"{API}/folder/user/{nick}"
        if path == user_uri or path == f"{API}/node/{root_node_id(self.store)}":
            return None
        if path.startswith(f"{API}/user/") and "!" not in path:
            return "Not Found"
        if path == folder_root or path.startswith(folder_root + "/"):
            folder = path[len(folder_root) :].strip("/")
            if not folder:
                return None
            return lambda a: (a.folder.strip("/") + "/").startswith(folder + "/")
        if path.startswith(f"{API}/node/"):
            node = path[len(f"{API}/node/") :]
            keys = {a.album_key for a in self.store.albums if a.node_id == node}
            return (lambda a: a.album_key in keys) if keys else "Not Found"
        return "Scope must be the URI of a Folder, Node, or User"

    def album_or_error(
        self, call: _Call, key: str, endpoint: _Endpoint
    ) -> EmulatorAlbum | Response:
        """The album the call is about, or the answer when a fault or its absence stops the
        call (a fault that lets the PATCH apply first answers in :meth:`patch_album`)."""
        fault = self.state.faults.album_fault(key, call.method)
        if fault is not None and not fault.apply_patch:
            return _error(call, fault.status, endpoint=endpoint)
        album = self.store.album(key)
        if album is None:
            return _error(call, 404, endpoint=endpoint)
        return album

    def album(self, call: _Call, key: str) -> Response:
        endpoint = _album_endpoint(key)
        album = self.album_or_error(call, key, endpoint)
        if isinstance(album, Response):
            return album
        with self.store.lock:
            body = {"Album": _shape(album_object(self.store, album), call.params)}
        return _envelope(call, endpoint, body=body)

    def patch_album(self, call: _Call, key: str) -> Response:
        endpoint = _album_endpoint(key)
        found = self.album_or_error(call, key, endpoint)
        if isinstance(found, Response):
            return found
        try:
            changes = _patch_fields(call.body, call.content_type)
        except ValueError as exc:
            return _error(call, 400, f"Bad Request: {exc}", endpoint)
        for field_name, check in (("Name", _name_problem), ("UrlName", _url_name_problem)):
            if field_name in changes:
                problem = check(changes[field_name])
                if problem:
                    return _error(call, 400, f"Bad Request: {problem}", endpoint)
        with self.store.lock:
            album = self.store.album(key)
            if album is None:
                return _error(call, 404, endpoint=endpoint)
            if "UrlName" in changes and any(
                other.url_name == changes["UrlName"]
                and other.folder == album.folder
                and other.album_key != key
                for other in self.store.albums
            ):
                return _error(call, 409, "Conflict: UrlName already used in this folder", endpoint)
            lost = self.state.faults.lost_patch_answer(key)
            if "Name" in changes and lost is not None and lost.land_after != 0:
                # Received, not applied yet: it lands later, whatever the client hears.
                self.state.faults.hold_patch(key, changes["Name"])
                if lost.land_after is not None:
                    timer = threading.Timer(lost.land_after, self.state.land_held_patch, [key])
                    timer.daemon = True
                    timer.start()
            elif "Name" in changes:
                self.store.rename(key, changes["Name"])
            if "UrlName" in changes:
                self.store.set_url_name(key, changes["UrlName"])
            body = {"Album": _shape(album_object(self.store, album), call.params)}
        fault = self.state.faults.album_fault(key, "PATCH")
        if fault is not None and fault.apply_patch:
            return _error(call, fault.status, endpoint=endpoint)
        if lost is not None:
            return _error(call, lost.status, endpoint=endpoint)
        return _envelope(call, endpoint, body=body)

    def album_images(self, call: _Call, key: str) -> Response:
        endpoint = _album_images_endpoint(key)
        album = self.album_or_error(call, key, endpoint)
        if isinstance(album, Response):
            return album
        with self.store.lock:
            start, count, pages = _paging(call, len(album.entries), IMAGES_PAGE_MAX)
            chosen = album.entries[start - 1 : start - 1 + count]
            items = [self._album_image(album, e, call.params) for e in chosen]
        body = {"AlbumImage": items} if items else None
        return _envelope(call, endpoint, body=body, pages=pages)

    def _album_image(
        self, album: EmulatorAlbum, entry: AlbumEntry, params: dict[str, str]
    ) -> dict[str, Any]:
        if "_filter" in params and "_filteruri" not in params:
            wanted = frozenset(f.strip() for f in params["_filter"].split(",") if f.strip())
            selected = album_image_fields(self.store, album, entry, wanted)
            if selected is not None:
                return selected
        return _shape(album_image_object(self.store, album, entry), params)

    def image(self, call: _Call, key: str, serial: int) -> Response:
        endpoint = _image_endpoint(f"{key}-{serial}")
        found = self.store.image(key)
        if found is None or found[0].serial != serial:
            return _error(call, 404, endpoint=endpoint)
        image, home = found
        with self.store.lock:
            body = {"Image": _shape(image_object(self.store, image, home), call.params)}
        return _envelope(call, endpoint, body=body)

    def image_redirect(self, call: _Call, key: str) -> Response:
        endpoint = _image_endpoint(key)
        found = self.store.image(key)
        if found is None:
            return _error(call, 404, endpoint=endpoint)
        target = f"{API}/image/{key}-{found[0].serial}"
        location = f"{call.scheme}://{call.host}{target}" + (
            f"?{call.raw_query}" if call.raw_query else ""
        )
        return _envelope(call, endpoint, code=301, headers={"Location": location})


def _page_of(
    ascending: list[EmulatorAlbum], start: int, count: int, *, descending: bool
) -> list[EmulatorAlbum]:
    """Items ``start``..``start + count - 1`` (1-based) of the list in the asked direction."""
    if not descending:
        return ascending[start - 1 : start - 1 + count]
    total = len(ascending)
    high = total - start + 1  # exclusive end in the ascending list
    low = max(0, high - count)
    return ascending[low:high][::-1] if high > 0 else []


def _search_text(album: EmulatorAlbum) -> str:
    # Name, Title (the same here), UrlName; Description and Keywords are empty.
    return f"{album.name} {album.url_name}".casefold()


def _matches(album: EmulatorAlbum, words: list[str]) -> bool:
    text = _search_text(album)
    return all(w in text for w in words)


def _rank(album: EmulatorAlbum, words: list[str]) -> tuple[int, int]:
    """Ascending sort key: whole words of the Name count most, then the phrase."""
    name_words = [w.casefold() for w in _WORD.findall(album.name)]
    whole = sum(1 for w in words if w in name_words)
    phrase = 1 if " ".join(words) in album.name.casefold() else 0
    return (whole, phrase)


def _patch_fields(raw_body: bytes, content_type: str) -> dict[str, Any]:
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True))
    if not raw_body.strip():
        return {}
    try:
        data = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _route(handlers: _Handlers, call: _Call) -> Response:
    routes: list[tuple[re.Pattern[str] | str, dict[str, Callable[..., Response]]]] = [
        ("!authuser", {"GET": handlers.authuser}),
        ("/album!search", {"GET": handlers.album_search}),
        (_USER, {"GET": handlers.user}),
        (_USER_ALBUMS, {"GET": handlers.user_albums}),
        (_ALBUM, {"GET": handlers.album, "PATCH": handlers.patch_album}),
        (_ALBUM_IMAGES, {"GET": handlers.album_images}),
        (_IMAGE_SERIAL, {"GET": handlers.image}),
        (_IMAGE, {"GET": handlers.image_redirect}),
    ]
    for pattern, by_method in routes:
        args: dict[str, Any] = {}
        if isinstance(pattern, str):
            if call.path not in (pattern, "/" + pattern):
                continue
        else:
            found = pattern.match(call.path)
            if found is None:
                continue
            args = found.groupdict()
        handler = by_method.get(call.method)
        if handler is None:
            return _error(call, 405)
        if "serial" in args:
            args["serial"] = int(args["serial"])
        return handler(call, **args)
    return _error(call, 404)


def _rate_headers(decision: RateDecision) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_epoch),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after)
    return headers


# An album's own record (``/api/v2/album/KEY``), not its images: what ``slow_album`` delays.
_ALBUM_RECORD = re.compile(rf"^{re.escape(API)}/album/(?P<key>[^/!]+)$")


def create_app(state: EmulatorState) -> Starlette:
    """The starlette app serving ``state`` under ``/api/v2``."""
    handlers = _Handlers(state)

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        scope = request.scope
        full_path: str = scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        entry = RecordedRequest.of(request.method, full_path, raw_query, time.time())
        state.log.add(entry)
        delay = state.faults.current_latency()
        record = _ALBUM_RECORD.match(full_path)
        if record is not None:
            delay += state.faults.album_delay(record["key"], request.method)
        if delay > 0:
            await asyncio.sleep(delay)
        raw_body = await request.body()
        response = _answer(state, handlers, request, full_path, raw_query, raw_body, started)
        stall = _patch_stall(state, request.method, full_path)
        if stall > 0:
            await asyncio.sleep(stall)  # the client's time-out comes first: the answer is lost
        entry.status = response.status_code
        # Every answer carries the emulator's clock, as SmugMug's carry its own: a client
        # knows SmugMug's time of a listing from it.
        response.headers["Date"] = format_datetime(state.store.now(), usegmt=True)
        return response

    return Starlette(
        routes=[
            Route(
                "/{rest:path}",
                endpoint,
                methods=["GET", "PATCH", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"],
            )
        ]
    )


def _patch_stall(state: EmulatorState, method: str, full_path: str) -> float:
    """Seconds a PATCH of an album waits before its answer (a lost-answer fault)."""
    if method != "PATCH" or not full_path.startswith(API + "/album/"):
        return 0.0
    key = full_path[len(API + "/album/") :]
    if "/" in key or "!" in key:
        return 0.0
    lost = state.faults.lost_patch_answer(key)
    return lost.stall_seconds if lost else 0.0


def _answer(
    state: EmulatorState,
    handlers: _Handlers,
    request: Request,
    full_path: str,
    raw_query: str,
    raw_body: bytes,
    started: float,
) -> Response:
    scope = request.scope
    host = request.headers.get("host") or "{}:{}".format(*scope.get("server", ("127.0.0.1", 80)))
    scheme = scope.get("scheme", "http")
    sub_path = full_path[len(API) :] if full_path.startswith(API) else None
    call = _Call(
        method=request.method,
        path=sub_path or "",
        full_path=full_path,
        raw_query=raw_query,
        params=dict(parse_qsl(raw_query, keep_blank_values=True)),
        started=started,
        scheme=scheme,
        host=host,
        body=raw_body,
        content_type=request.headers.get("content-type", ""),
    )
    if sub_path is None:
        return _error(call, 404)
    content_type = call.content_type
    raw_path = scope.get("raw_path") or full_path.encode()
    signed = SignedRequest(
        method=request.method,
        scheme=scheme,
        host=host,
        raw_path=raw_path.decode("latin-1"),
        raw_query=raw_query,
        authorization=request.headers.get("authorization"),
        form_body=(
            raw_body.decode("utf-8", "replace")
            if "application/x-www-form-urlencoded" in content_type
            else None
        ),
    )
    assert state.verifier is not None
    try:
        state.verifier.verify(signed)
    except OAuthProblem as problem:
        return _error(
            call,
            401,
            headers={
                "WWW-Authenticate": (
                    f'OAuth realm="{scheme}://{host}/", oauth_problem="{problem.problem}"'
                )
            },
        )
    decision = state.faults.take_rate()
    headers = _rate_headers(decision)
    if not decision.allowed:
        response = _error(call, 429)
    else:
        forced = state.faults.take_forced_error()
        response = _error(call, forced) if forced else _route(handlers, call)
    response.headers.update(headers)
    return response
