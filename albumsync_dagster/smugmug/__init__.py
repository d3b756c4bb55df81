"""SmugMug API v2 client: typed albums and images, OAuth 1.0a, retries and rate limits.

    with SmugMugClient.from_env() as client:
        for album in client.iter_user_albums():
            images = client.list_album_images(album.album_key)

Configuration (``from_env``): SMUGMUG_BASE_URL, SMUGMUG_API_KEY, SMUGMUG_API_SECRET,
SMUGMUG_ACCESS_TOKEN, SMUGMUG_ACCESS_TOKEN_SECRET, SMUGMUG_NICKNAME (default: the token's
user), SMUGMUG_REQUESTS_PER_SECOND (default 10; 0 disables the client-side limit).
"""

from albumsync_dagster.smugmug.client import (
    DEFAULT_ALBUM_PAGE_SIZE,
    DEFAULT_BASE_URL,
    DEFAULT_IMAGE_PAGE_SIZE,
    DEFAULT_REQUESTS_PER_SECOND,
    SmugMugClient,
    requests_per_second_setting,
    validate_album_name,
)
from albumsync_dagster.smugmug.envelope import Envelope, Pages, parse_envelope
from albumsync_dagster.smugmug.errors import (
    SmugMugAuthError,
    SmugMugConfigError,
    SmugMugError,
    SmugMugInvalidName,
    SmugMugNotFound,
    SmugMugRateLimited,
    SmugMugResponseError,
    SmugMugUnavailable,
)
from albumsync_dagster.smugmug.models import (
    MAX_ALBUM_NAME_LENGTH,
    Album,
    AlbumImage,
    User,
    album_name_problem,
    parse_album,
    parse_album_image,
    parse_datetime,
    parse_user,
)
from albumsync_dagster.smugmug.oauth import Credentials
from albumsync_dagster.smugmug.ratelimit import RequestRateLimiter

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ALBUM_PAGE_SIZE",
    "DEFAULT_IMAGE_PAGE_SIZE",
    "DEFAULT_REQUESTS_PER_SECOND",
    "MAX_ALBUM_NAME_LENGTH",
    "Album",
    "AlbumImage",
    "Credentials",
    "Envelope",
    "Pages",
    "RequestRateLimiter",
    "SmugMugAuthError",
    "SmugMugClient",
    "SmugMugConfigError",
    "SmugMugError",
    "SmugMugInvalidName",
    "SmugMugNotFound",
    "SmugMugRateLimited",
    "SmugMugResponseError",
    "SmugMugUnavailable",
    "User",
    "album_name_problem",
    "parse_album",
    "parse_album_image",
    "parse_datetime",
    "parse_envelope",
    "parse_user",
    "requests_per_second_setting",
    "validate_album_name",
]
