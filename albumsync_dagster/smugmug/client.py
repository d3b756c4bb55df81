"""``SmugMugClient``: the project's one way to talk to the SmugMug API v2.

Shaped like an httpx client: one object holding the connection pool, explicit timeouts,
a swappable transport, typed errors. It signs every request with OAuth 1.0a, spaces
requests out (client-side rate limit plus SmugMug's ``X-RateLimit-*`` headers), retries
what is worth retrying (429 after ``Retry-After``; 5xx, timeouts and connection errors
with exponential backoff and jitter), re-signs redirects, and pages lists itself with
``start``/``count`` so an album of n images costs 1 + ceil(n / image_page_size) requests
(the album, then its image pages; an empty album's listing is still one request), and a
rename is one PATCH.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import quote, urljoin

import httpx

from albumsync_dagster.numbers import bounded_number
from albumsync_dagster.smugmug.envelope import Envelope, error_for_status, parse_envelope
from albumsync_dagster.smugmug.errors import (
    SmugMugConfigError,
    SmugMugError,
    SmugMugInvalidName,
    SmugMugResponseError,
    SmugMugUnavailable,
)
from albumsync_dagster.smugmug.models import (
    ALBUM_FIELDS,
    ALBUM_IMAGE_FIELDS,
    MAX_ALBUM_NAME_LENGTH,
    USER_FIELDS,
    Album,
    AlbumImage,
    User,
    album_name_problem,
    parse_album,
    parse_album_image,
    parse_user,
)
from albumsync_dagster.smugmug.oauth import Credentials, OAuth1Signer
from albumsync_dagster.smugmug.ratelimit import RateLimiter, RequestRateLimiter

logger = logging.getLogger("albumsync.smugmug")

_Model = TypeVar("_Model", Album, AlbumImage, User)

DEFAULT_BASE_URL = "https://api.smugmug.com"
# SmugMug publishes no number; 10/s keeps a full account walk short without bursting.
DEFAULT_REQUESTS_PER_SECOND = 10.0
# Page sizes asked for: user!albums clamps count to 100; album!images takes larger pages
# (the emulator: 1000). SmugMug clamps a count above its maximum, and paging follows the
# Pages it sends, so asking for much is safe and saves requests.
DEFAULT_ALBUM_PAGE_SIZE = 100
DEFAULT_IMAGE_PAGE_SIZE = 1000
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=DEFAULT_CONNECT_TIMEOUT)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CREDENTIAL_VARIABLES = (
    "SMUGMUG_API_KEY",
    "SMUGMUG_API_SECRET",
    "SMUGMUG_ACCESS_TOKEN",
    "SMUGMUG_ACCESS_TOKEN_SECRET",
)


def validate_album_name(name: object, *, album_key: str | None = None) -> str:
    """Return ``name`` if SmugMug would accept it as an album Name, else raise.

    The rule is :func:`~albumsync_dagster.smugmug.models.album_name_problem` (0 to 255
    characters, no control characters or unpaired surrogates). Raises
    :class:`SmugMugInvalidName` (also a ``ValueError``) naming the album.
    """
    problem = album_name_problem(name)
    if problem is None:
        return name  # type: ignore[return-value]  # album_name_problem checked it is text
    where = f"album {album_key}" if album_key else "the album"
    hint = None
    if isinstance(name, str):
        hint = (
            "shorten the name (team or event names) and try again"
            if len(name) > MAX_ALBUM_NAME_LENGTH
            else "remove line breaks, tabs and other control characters"
        )
    raise SmugMugInvalidName(f"the new name for {where} {problem}", album_key=album_key, hint=hint)


def _path_segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_rate_limit_reset(value: str | None) -> float | None:
    """Seconds until ``X-RateLimit-Reset``: epoch seconds, a delay, or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        return _parse_retry_after(text)
    # Epoch timestamps are huge; anything smaller is a delay in seconds.
    if number > 1_000_000_000:
        return max(0.0, number - time.time())
    return max(0.0, number)


@cache
def _tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process: loading it costs ~20 ms, and a client
    is built for every Dagster run."""
    return httpx.create_ssl_context()


def timeout_seconds_setting(raw: str | None) -> float:
    """``SMUGMUG_TIMEOUT_SECONDS``: the per-request time-out, 0.1-600 s (unset: 30);
    a bad value raises ValueError naming the variable."""
    return bounded_number("SMUGMUG_TIMEOUT_SECONDS", raw, DEFAULT_TIMEOUT_SECONDS, 0.1, 600.0)


def requests_per_second_setting(raw: str | None) -> float | None:
    """``SMUGMUG_REQUESTS_PER_SECOND`` as the client takes it: unset gives the default of
    10, ``0`` gives None (no client-side limit); anything else not a number >= 0 is refused."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_REQUESTS_PER_SECOND
    try:
        value = float(text)
    except ValueError:
        raise SmugMugConfigError(
            f"SMUGMUG_REQUESTS_PER_SECOND must be a number, got {text!r}"
        ) from None
    if value < 0:
        raise SmugMugConfigError("SMUGMUG_REQUESTS_PER_SECOND must not be negative")
    return value or None


class SmugMugClient:
    """A SmugMug API v2 client for one account's albums and images.

    Use as a context manager or call :meth:`close`. Thread-safe: one client can be
    shared by threads (the connection pool, rate limit and counter are shared).

    Parameters beyond the credentials:
    ``base_url`` the API origin; ``nickname`` the account (default: the token's user);
    ``requests_per_second`` the client-side limit (None or 0: none); ``burst`` requests
    allowed at once; ``album_page_size`` and ``image_page_size`` the ``count`` asked for
    when listing albums and an album's images (SmugMug may clamp it; paging follows what
    it sends); ``timeout`` httpx timeouts; ``transport`` an httpx transport
    (tests, proxies); ``max_attempts`` tries per call before giving up; ``backoff_base``
    and ``backoff_max`` the exponential backoff (seconds) for 5xx and network errors;
    ``max_retry_after`` the cap on waits asked by SmugMug (``Retry-After``,
    ``X-RateLimit-Reset``); ``max_redirects`` redirects followed per call; ``limiter`` a rate
    limiter to use instead of the client's own (e.g. one shared by processes).
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        nickname: str | None = None,
        requests_per_second: float | None = DEFAULT_REQUESTS_PER_SECOND,
        burst: int | None = None,
        album_page_size: int = DEFAULT_ALBUM_PAGE_SIZE,
        image_page_size: int = DEFAULT_IMAGE_PAGE_SIZE,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = 60.0,
        max_redirects: int = 5,
        limiter: RateLimiter | None = None,
    ) -> None:
        if album_page_size < 1 or image_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._credentials = Credentials(api_key, api_secret, access_token, access_token_secret)
        self._base = httpx.URL(self._normalise_base_url(base_url))
        self.nickname = nickname or None
        self.album_page_size = album_page_size
        self.image_page_size = image_page_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.max_redirects = max_redirects
        # A limiter given (one shared by processes, say) replaces the client's own.
        self._limiter: RateLimiter = limiter or RequestRateLimiter(requests_per_second, burst=burst)
        self._random = random.Random()
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._rate_limit_remaining: int | None = None
        self._server_time: datetime | None = None
        self._http = httpx.Client(
            auth=OAuth1Signer(self._credentials),
            headers={"Accept": "application/json", "User-Agent": "albumsync/0.1"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            verify=_tls_context(),
        )

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> SmugMugClient:
        """Build a client from ``SMUGMUG_*`` variables (``environ`` defaults to ``os.environ``).

        Reads SMUGMUG_BASE_URL (default https://api.smugmug.com), the four credentials
        (required), SMUGMUG_NICKNAME (default: the token's user) and
        SMUGMUG_REQUESTS_PER_SECOND (default 10; 0 disables the limit), SMUGMUG_TIMEOUT_SECONDS
        (per request, default 30; connecting at most 10 of them). Keyword
        ``options`` override them and reach the constructor (``transport``, ``timeout``...).
        """
        env = os.environ if environ is None else environ
        missing = [name for name in _CREDENTIAL_VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise SmugMugConfigError(
                f"missing SmugMug credential variable(s): {', '.join(missing)}",
                hint="set them to the OAuth 1.0a API key/secret and access token/secret",
            )
        settings: dict[str, Any] = {
            "api_key": env["SMUGMUG_API_KEY"].strip(),
            "api_secret": env["SMUGMUG_API_SECRET"].strip(),
            "access_token": env["SMUGMUG_ACCESS_TOKEN"].strip(),
            "access_token_secret": env["SMUGMUG_ACCESS_TOKEN_SECRET"].strip(),
            "base_url": env.get("SMUGMUG_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            "nickname": env.get("SMUGMUG_NICKNAME", "").strip() or None,
        }
        settings["requests_per_second"] = requests_per_second_setting(
            env.get("SMUGMUG_REQUESTS_PER_SECOND")
        )
        try:
            timeout = timeout_seconds_setting(env.get("SMUGMUG_TIMEOUT_SECONDS"))
        except ValueError as exc:
            raise SmugMugConfigError(str(exc)) from None
        settings["timeout"] = httpx.Timeout(timeout, connect=min(timeout, DEFAULT_CONNECT_TIMEOUT))
        settings.update(options)
        return cls(**settings)

    @staticmethod
    def _normalise_base_url(base_url: str) -> str:
        url = base_url.strip().rstrip("/")
        # Accept the API root as well as the origin the design documents.
        if url.endswith("/api/v2"):
            url = url[: -len("/api/v2")]
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise SmugMugConfigError(
                f"SMUGMUG_BASE_URL must be an http(s) origin such as {DEFAULT_BASE_URL}, "
                f"got {base_url!r}"
            )
        return url

    # ---------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SmugMugClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SmugMugClient(base_url={str(self._base)!r}, nickname={self.nickname!r}, "
            f"credentials=***, {self._limiter!r})"
        )

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("SmugMugClient holds credentials and a connection pool; not picklable")

    @property
    def base_url(self) -> str:
        return str(self._base)

    @property
    def requests_per_second(self) -> float | None:
        return self._limiter.requests_per_second

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (retries and redirect hops included)."""
        with self._count_lock:
            return self._request_count

    @property
    def account_id(self) -> str:
        """Names the account's request budget: the origin and a digest of the API key."""
        digest = hashlib.sha256(self._credentials.secrets()[0].encode()).hexdigest()[:16]
        return f"{self._base}#{digest}"

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def use_limiter(self, limiter: RateLimiter) -> None:
        """Space requests with ``limiter`` from now on (one shared by processes, say)."""
        self._limiter = limiter

    @property
    def rate_limit_remaining(self) -> int | None:
        """SmugMug's ``X-RateLimit-Remaining`` in its last answer (None: never sent)."""
        return self._rate_limit_remaining

    @property
    def server_time(self) -> datetime | None:
        """SmugMug's clock at its last answer (its ``Date`` header, whole seconds, UTC);
        None before any answer, or when the answer had no valid ``Date``."""
        return self._server_time

    def reset_request_count(self) -> None:
        with self._count_lock:
            self._request_count = 0

    # ---------------------------------------------------------------- API

    def get_authuser(self) -> User:
        """The user the access token belongs to (``GET /api/v2!authuser``)."""
        envelope = self._request("GET", "/api/v2!authuser", params=self._filter(USER_FIELDS))
        return parse_user(envelope.object())

    def resolve_nickname(self) -> str:
        """The configured nickname, or the token user's (asked once, then remembered)."""
        if self.nickname is None:
            self.nickname = self.get_authuser().nickname
        return self.nickname

    def get_user(self, nickname: str | None = None) -> User:
        """A user by nickname (default: the configured account)."""
        nick = _path_segment(nickname or self.resolve_nickname(), "nickname")
        envelope = self._request("GET", f"/api/v2/user/{nick}", params=self._filter(USER_FIELDS))
        return parse_user(envelope.object())

    def get_album(self, album_key: str) -> Album:
        """One album by key. Raises :class:`SmugMugNotFound` for an unknown key."""
        key = _path_segment(album_key, "album_key")
        envelope = self._request(
            "GET", f"/api/v2/album/{key}", params=self._filter(ALBUM_FIELDS), album_key=album_key
        )
        return self._parse(parse_album, envelope.object(), album_key)

    def iter_album_images(self, album_key: str) -> Iterator[AlbumImage]:
        """Every image listed in the album, collected ones included, page by page."""
        key = _path_segment(album_key, "album_key")
        for item in self._paged(
            f"/api/v2/album/{key}!images",
            ALBUM_IMAGE_FIELDS,
            self.image_page_size,
            album_key=album_key,
        ):
            yield self._parse(parse_album_image, item, album_key)

    def list_album_images(self, album_key: str) -> list[AlbumImage]:
        """:meth:`iter_album_images` as a list."""
        return list(self.iter_album_images(album_key))

    def iter_user_albums(self, nickname: str | None = None) -> Iterator[Album]:
        """Every album of the account (default: the configured one), page by page."""
        nick = _path_segment(nickname or self.resolve_nickname(), "nickname")
        for item in self._paged(f"/api/v2/user/{nick}!albums", ALBUM_FIELDS, self.album_page_size):
            yield self._parse(parse_album, item, None)

    def list_user_albums(self, nickname: str | None = None) -> list[Album]:
        """:meth:`iter_user_albums` as a list."""
        return list(self.iter_user_albums(nickname))

    def iter_albums_changed_since(
        self, since: datetime | None, nickname: str | None = None
    ) -> Iterator[Album]:
        """The account's albums newest-changed first, down to the first one whose
        ``LastUpdated`` is older than ``since`` (None: every album).

        One ``album!search`` walk (``Scope`` the user, ``SortMethod=LastUpdated``,
        ``SortDirection=Descending``), 100 albums a page, stopped at that album: n albums
        changed since ``since`` cost ceil((n + 1) / 100) requests. An album moved to the
        front while the walk runs may be listed twice by SmugMug; it is yielded once. An
        album without ``LastUpdated`` is yielded and does not stop the walk.

        ``LastUpdated`` moves with edits (a rename, a new UrlName), not with uploads: an
        album whose photos changed keeps its place (its ``ImagesLastUpdated`` moves), as
        the recorded answers show. Find those by comparing ``ImagesLastUpdated``.
        """
        bound = since if since is None or since.tzinfo is not None else since.replace(tzinfo=UTC)
        seen: set[str] = set()
        for album in self._search_albums_by_last_updated(nickname):
            if album.album_key in seen:
                continue
            seen.add(album.album_key)
            changed = album.last_updated
            if bound is not None and changed is not None and changed < bound:
                return
            yield album

    def _search_albums_by_last_updated(self, nickname: str | None) -> Iterator[Album]:
        nick = nickname or self.resolve_nickname()
        _path_segment(nick, "nickname")
        search = {
            "Scope": f"/api/v2/user/{quote(nick, safe='')}",
            "SortDirection": "Descending",
            "SortMethod": "LastUpdated",
        }
        for item in self._paged(
            "/api/v2/album!search", ALBUM_FIELDS, self.album_page_size, query=search
        ):
            yield self._parse(parse_album, item, None)

    def get_image(self, image_key: str) -> AlbumImage:
        """One image by key (``ImageKey`` or ``ImageKey-Serial``); ``origin`` is None.

        SmugMug answers a bare key with a redirect to ``{key}-0``; it is re-signed.
        """
        key = _path_segment(image_key, "image_key")
        envelope = self._request(
            "GET", f"/api/v2/image/{key}", params=self._filter(ALBUM_IMAGE_FIELDS)
        )
        return self._parse(parse_album_image, envelope.object(), None)

    def rename_album(self, album_key: str, name: str) -> Album:
        """Set the album's Name with one PATCH; its UrlName (web address) stays.

        The name is checked first (:func:`validate_album_name`); nothing is sent when it
        is refused. Returns the album as SmugMug holds it after the change.
        """
        key = _path_segment(album_key, "album_key")
        validate_album_name(name, album_key=album_key)
        envelope = self._request(
            "PATCH",
            f"/api/v2/album/{key}",
            params=self._filter(ALBUM_FIELDS),
            json_body={"Name": name},
            album_key=album_key,
        )
        album = self._parse(parse_album, envelope.object(), album_key)
        logger.info("renamed SmugMug album %s to %r", album.album_key, album.name)
        return album

    # ---------------------------------------------------------------- paging

    @staticmethod
    def _filter(fields: tuple[str, ...]) -> dict[str, str]:
        return {"_filter": ",".join(fields)}

    def _paged(
        self,
        path: str,
        fields: tuple[str, ...],
        page_size: int,
        *,
        album_key: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Every object of every page (``query``: parameters beside the paging ones)."""
        start = 1
        while True:
            params = {
                **(query or {}),
                **self._filter(fields),
                "start": str(start),
                "count": str(page_size),
            }
            envelope = self._request("GET", path, params=params, album_key=album_key)
            items = envelope.objects()
            yield from items
            if envelope.pages is None:
                return
            following = envelope.pages.next_start(len(items))
            if following is None or following <= start:
                return
            start = following

    @staticmethod
    def _parse(parser: Callable[[object], _Model], obj: object, album_key: str | None) -> _Model:
        try:
            return parser(obj)
        except SmugMugResponseError as exc:
            raise SmugMugResponseError(exc.message, album_key=album_key) from exc

    # ---------------------------------------------------------------- transport

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: Any,
    ) -> httpx.Response:
        waited = self._limiter.acquire()
        if waited > 0.05:
            logger.debug("rate limit: waited %.2f s before %s %s", waited, method, url)
        with self._count_lock:
            self._request_count += 1
        request = self._http.build_request(method, url, params=params, json=json_body)
        return self._http.send(request)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (failures - 1)))
        # Half fixed, half random: retries from many workers spread out, yet always wait.
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)

    def _note_server_time(self, response: httpx.Response) -> None:
        stamp = response.headers.get("Date")
        try:
            when = parsedate_to_datetime(stamp) if stamp else None
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            self._server_time = when.astimezone(UTC)

    def _note_rate_headers(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is None:
            return
        try:
            left = int(float(remaining))
        except ValueError:
            return
        self._rate_limit_remaining = left
        if left > 0:
            return
        delay = _parse_rate_limit_reset(response.headers.get("X-RateLimit-Reset"))
        if delay is None:
            delay = 1.0
        delay = min(delay, self.max_retry_after)
        logger.info("SmugMug rate limit used up; pausing requests for %.2f s", delay)
        self._limiter.pause_for(delay)

    def _redirect_target(
        self, response: httpx.Response, method: str, path: str, album_key: str | None
    ) -> httpx.URL:
        location = response.headers.get("Location")
        if not location:
            raise SmugMugResponseError(
                "SmugMug redirected without a Location",
                status=response.status_code,
                method=method,
                path=path,
                album_key=album_key,
            )
        target = httpx.URL(urljoin(str(response.request.url), location))
        if (target.scheme, target.host, target.port) != (
            self._base.scheme,
            self._base.host,
            self._base.port,
        ):
            # Signed requests go to SmugMug's origin only; never hand a signature elsewhere.
            raise SmugMugError(
                f"SmugMug redirected to another origin ({target.scheme}://{target.host}); refused",
                status=response.status_code,
                method=method,
                path=path,
                album_key=album_key,
            )
        return target

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        album_key: str | None = None,
    ) -> Envelope:
        url = str(self._base.join(path))
        current_path = path
        current_params: Mapping[str, str] | None = params
        failures = 0
        redirects = 0
        while True:
            started = time.monotonic()
            try:
                response = self._send(method, url, current_params, json_body)
            except httpx.TransportError as exc:
                failures += 1
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if failures >= self.max_attempts:
                    raise SmugMugUnavailable(
                        f"SmugMug could not be reached after {failures} attempt(s) ({reason})",
                        method=method,
                        path=current_path,
                        album_key=album_key,
                        hint="check SMUGMUG_BASE_URL and the network, then run again",
                    ) from exc
                wait = self._backoff(failures)
                logger.warning(
                    "%s %s failed (%s); retry %d/%d in %.2f s",
                    method,
                    current_path,
                    reason,
                    failures,
                    self.max_attempts - 1,
                    wait,
                )
                time.sleep(wait)
                continue

            status = response.status_code
            logger.debug(
                "%s %s -> %d in %.3f s", method, current_path, status, time.monotonic() - started
            )
            self._note_rate_headers(response)
            self._note_server_time(response)

            if status in _REDIRECT_STATUSES:
                redirects += 1
                if redirects > self.max_redirects:
                    raise SmugMugError(
                        f"SmugMug redirected more than {self.max_redirects} times",
                        status=status,
                        method=method,
                        path=path,
                        album_key=album_key,
                    )
                target = self._redirect_target(response, method, current_path, album_key)
                response.close()
                # Keep our query (filter, paging) unless the Location carries its own.
                if target.query:
                    current_params = None
                    url = str(target)
                else:
                    url = str(target.copy_with(query=None))
                current_path = target.path
                if status == 303:
                    method, json_body = "GET", None
                logger.debug("following redirect %d to %s (re-signed)", status, current_path)
                continue

            if status == 429 or status >= 500:
                failures += 1
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                if failures >= self.max_attempts:
                    raise error_for_status(
                        status,
                        self._smugmug_message(response),
                        method=method,
                        path=current_path,
                        album_key=album_key,
                        retry_after=retry_after,
                        attempts=failures,
                    )
                if status == 429 and retry_after is not None:
                    wait = min(retry_after, self.max_retry_after)
                else:
                    wait = self._backoff(failures)
                logger.warning(
                    "%s %s answered %d; retry %d/%d in %.2f s",
                    method,
                    current_path,
                    status,
                    failures,
                    self.max_attempts - 1,
                    wait,
                )
                response.close()
                if status == 429:
                    # The limit is the account's: hold back every thread of this client.
                    self._limiter.pause_for(wait)
                else:
                    time.sleep(wait)
                continue

            return parse_envelope(
                self._json(response, method, current_path, album_key),
                http_status=status,
                method=method,
                path=current_path,
                album_key=album_key,
            )

    @staticmethod
    def _json(response: httpx.Response, method: str, path: str, album_key: str | None) -> object:
        try:
            return response.json()
        except ValueError:
            if response.status_code >= 400:
                raise error_for_status(
                    response.status_code, None, method=method, path=path, album_key=album_key
                ) from None
            raise SmugMugResponseError(
                "SmugMug answered with something that is not JSON",
                status=response.status_code,
                method=method,
                path=path,
                album_key=album_key,
            ) from None

    @staticmethod
    def _smugmug_message(response: httpx.Response) -> str | None:
        try:
            data = response.json()
        except ValueError:
            return response.reason_phrase or None
        if isinstance(data, Mapping) and isinstance(data.get("Message"), str):
            return str(data["Message"])
        return response.reason_phrase or None
