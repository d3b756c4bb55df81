"""SmugMug API v2 JSON shapes of the emulated objects, field for field as the samples show.

The keys and their order follow the recorded responses in ``../shared/smugmug-samples``
(``album_RM4BL2.json``, ``images_WpK3n2_expansions.json``, ``image_B2fHSt7-0.json``,
``user_cmac.json``). The owner is asking, so albums carry ``Date`` (creation time) and
images their ``Archived*`` fields; an image without a capture time has no
``DateTimeOriginal`` key at all, as the real service sends it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from albumsync_dagster.emulator.store import (
    AlbumEntry,
    EmulatorAlbum,
    EmulatorImage,
    EmulatorStore,
    format_time,
)

API = "/api/v2"
PHOTOS_HOST = "https://photos.smugmug.com"
ALBUM_DOC = "https://api.smugmug.com/api/v2/doc/reference/album.html"
IMAGE_DOC = "https://api.smugmug.com/api/v2/doc/reference/image.html"
USER_DOC = "https://api.smugmug.com/api/v2/doc/reference/user.html"
MEDIA_TYPES = [
    "application/json",
    "application/vnd.php.serialized",
    "application/x-msgpack",
    "text/html",
    "text/csv",
]


def link(
    uri: str,
    description: str,
    endpoint: str,
    locator: str | None = None,
    locator_type: str | None = None,
    doc: str | None = None,
) -> dict[str, str]:
    """One entry of a ``Uris`` map."""
    out = {"Uri": uri}
    if locator is not None:
        out["Locator"] = locator
        out["LocatorType"] = locator_type or "Object"
    out["UriDescription"] = description
    out["EndpointType"] = endpoint
    if doc is not None:
        out["DocUri"] = doc
    return out


def web_root(store: EmulatorStore) -> str:
    """The account's web site, e.g. ``https://demo-sports.smugmug.com``."""
    return f"https://{store.nickname}.smugmug.com"


def _folder_uri(store: EmulatorStore, album: EmulatorAlbum) -> str:
    folder = album.folder.strip("/")
    return f"{API}/folder/user/{store.nickname}" + (f"/{folder}" if folder else "")


# ---------------------------------------------------------------------- user


def user_object(store: EmulatorStore) -> dict[str, Any]:
    """The ``User`` object of the account."""
    nick = store.nickname
    base = f"{API}/user/{nick}"
    return {
        "NickName": nick,
        "ViewPassHint": "",
        "RefTag": _token(f"reftag:{nick}", 13),
        "Name": store.user_name,
        "QuickShare": True,
        "Uri": base,
        "WebUri": web_root(store),
        "UriDescription": "User By Nickname",
        "Uris": {
            "BioImage": link(f"{base}!bioimage", "User BioImage", "BioImage", "BioImage"),
            "CoverImage": link(f"{base}!coverimage", "User CoverImage", "CoverImage", "CoverImage"),
            "UserProfile": link(
                f"{base}!profile", "User's profile information", "UserProfile", "UserProfile"
            ),
            "Node": link(
                f"{API}/node/{root_node_id(store)}", "Node with the given id.", "Node", "Node"
            ),
            "Folder": link(
                f"{API}/folder/user/{nick}",
                "A folder or legacy (sub)category by UrlPath",
                "Folder",
                "Folder",
            ),
            "Features": link(
                f"{base}!features", "User's account features information", "Features", "Features"
            ),
            "SiteSettings": link(
                f"{base}!sitesettings", "User site settings", "SiteSettings", "SiteSettings"
            ),
            "UserAlbums": link(
                f"{base}!albums", "All of user's albums", "UserAlbums", "Album", "Objects"
            ),
            "UserCollections": link(
                f"{base}!collections",
                "All of user's collections",
                "UserCollections",
                "Collection",
                "Objects",
            ),
            "UserGeoMedia": link(
                f"{base}!geomedia", "Geotagged images for user", "UserGeoMedia", "Image", "Objects"
            ),
            "UserPopularMedia": link(
                f"{base}!popularmedia",
                "User's popular images",
                "UserPopularMedia",
                "Image",
                "Objects",
            ),
            "UserFeaturedAlbums": link(
                f"{base}!featuredalbums",
                "User's featured albums",
                "UserFeaturedAlbums",
                "Album",
                "Objects",
            ),
            "UserRecentImages": link(
                f"{base}!recentimages",
                "User's recent images",
                "UserRecentImages",
                "Image",
                "Objects",
            ),
            "UserImageSearch": link(
                f"{base}!imagesearch",
                "Search for user images",
                "UserImageSearch",
                "Image",
                "Objects",
            ),
            "UserTopKeywords": link(
                f"{base}!topkeywords", "User's top keywords", "UserTopKeywords", "UserTopKeywords"
            ),
            "UrlPathLookup": link(
                f"{base}!urlpathlookup",
                "Lookup user's folder, album, or page by path",
                "UrlPathLookup",
                "Folder,Album,Page",
            ),
        },
        "ResponseLevel": "Full",
    }


# ---------------------------------------------------------------------- album


def album_object(store: EmulatorStore, album: EmulatorAlbum) -> dict[str, Any]:
    """The ``Album`` object."""
    key = album.album_key
    base = f"{API}/album/{key}"
    node = f"{API}/node/{album.node_id}"
    folder = _folder_uri(store, album)
    return {
        "NiceName": album.url_name,
        "UrlName": album.url_name,
        "Title": album.name,
        "Name": album.name,
        "AllowDownloads": True,
        "Description": "",
        "EXIF": True,
        "External": True,
        "Filenames": False,
        "Geography": True,
        "Keywords": "",
        "PasswordHint": "",
        "Protected": False,
        "SortDirection": "Ascending",
        "SortMethod": "Date Taken",
        "SecurityType": "None",
        "CommerceLightbox": True,
        "AlbumKey": key,
        "CanBuy": True,
        "CanFavorite": False,
        "Date": format_time(album.date),
        "LastUpdated": format_time(album.last_updated),
        "ImagesLastUpdated": format_time(album.images_last_updated),
        "NodeID": album.node_id,
        "ImageCount": len(album.entries),
        "UrlPath": album.url_path,
        "CanShare": True,
        "HasDownloadPassword": False,
        "Packages": False,
        "Uri": base,
        "WebUri": web_root(store) + album.url_path,
        "UriDescription": "Album by key",
        "Uris": {
            "AlbumShareUris": link(
                f"{base}!shareuris",
                "URIs that are useful for sharing",
                "AlbumShareUris",
                "AlbumShareUris",
            ),
            "Node": link(node, "Node with the given id.", "Node", "Node"),
            "NodeCoverImage": link(
                f"{node}!cover",
                "Cover image for a folder, album, or page",
                "NodeCoverImage",
                "Image",
            ),
            "User": link(f"{API}/user/{store.nickname}", "User By Nickname", "User", "User"),
            "Folder": link(
                folder, "A folder or legacy (sub)category by UrlPath", "Folder", "Folder"
            ),
            "ParentFolders": link(
                f"{folder}!parents",
                "The sequence of parent folders, from the given folder to the root",
                "ParentFolders",
                "Folder",
                "Objects",
            ),
            "HighlightImage": link(
                f"{API}/highlight/node/{album.node_id}",
                "Highlight image for a folder, album, or page",
                "HighlightImage",
                "Image",
            ),
            "AddSamplePhotos": link(
                f"{base}!addsamplephotos", "Add sample photos to Album", "AddSamplePhotos"
            ),
            "AlbumHighlightImage": link(
                f"{base}!highlightimage",
                "Highlight image for album",
                "AlbumHighlightImage",
                "AlbumImage",
            ),
            "AlbumImages": link(
                f"{base}!images", "Images from album", "AlbumImages", "AlbumImage", "Objects"
            ),
            "AlbumPopularMedia": link(
                f"{base}!popularmedia",
                "Popular images from album",
                "AlbumPopularMedia",
                "AlbumImage",
                "Objects",
            ),
            "AlbumGeoMedia": link(
                f"{base}!geomedia",
                "Geotagged images from album",
                "AlbumGeoMedia",
                "AlbumImage",
                "Objects",
            ),
            "AlbumComments": link(
                f"{base}!comments", "Comments on album", "AlbumComments", "Comment", "Objects"
            ),
            "AlbumDownload": link(
                f"{base}!download", "Download album", "AlbumDownload", "Download", "Objects"
            ),
            "AlbumPrices": link(
                f"{base}!prices", "Purchasable Skus", "AlbumPrices", "CatalogSkuPrice", "Objects"
            ),
            "AlbumPricelistExclusions": link(
                f"{base}!pricelistexclusions",
                "Pricelist information for an Album",
                "AlbumPricelistExclusions",
                "AlbumPricelistExclusions",
            ),
        },
        "ResponseLevel": "Full",
    }


# ---------------------------------------------------------------------- images


def thumbnail_url(image_key: str, serial: int = 0) -> str:
    """``https://photos.smugmug.com/photos/i-{ImageKey}/{Serial}/Th/i-{ImageKey}-Th.jpg``."""
    return f"{PHOTOS_HOST}/photos/i-{image_key}/{serial}/Th/i-{image_key}-Th.jpg"


def _image_common(image: EmulatorImage) -> dict[str, Any]:
    """The fields an Image and an AlbumImage share, up to ``Serial`` (sample order)."""
    key = image.image_key
    width, height, size = _dimensions(key)
    out: dict[str, Any] = {
        "Title": "",
        "Caption": "",
        "Keywords": "",
        "KeywordArray": [],
        "Watermark": "No",
        "Latitude": "0.00000000000000",
        "Longitude": "0.00000000000000",
        "Altitude": 0,
        "Hidden": False,
        "ThumbnailUrl": thumbnail_url(key, image.serial),
        "FileName": image.file_name,
        "Processing": False,
        "UploadKey": str(int(hashlib.sha256(key.encode()).hexdigest()[:9], 16)),
        "Date": format_time(image.uploaded),
        "DateTimeUploaded": format_time(image.uploaded),
    }
    if image.date_time_original is not None:
        out["DateTimeOriginal"] = format_time(image.date_time_original)
    out.update(
        {
            "Format": "JPG",
            "OriginalHeight": height,
            "OriginalWidth": width,
            "OriginalSize": size,
            "LastUpdated": format_time(image.uploaded.replace(microsecond=0)),
            "Collectable": True,
            "IsArchive": False,
            "IsVideo": False,
            "ComponentFileTypes": [],
            "CanEdit": True,
            "CanBuy": True,
            "Protected": False,
            "Watermarked": False,
            "ImageKey": key,
            "Serial": image.serial,
            "ArchivedUri": _archived_uri(key, image.serial),
            "ArchivedSize": size,
            "ArchivedMD5": hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
            "CanShare": True,
            "Comments": True,
            "ShowKeywords": True,
            "FormattedValues": {
                "Caption": {"html": "", "text": ""},
                "FileName": {"html": _html(image.file_name), "text": image.file_name},
            },
        }
    )
    return out


def _image_links(key: str, serial: int) -> dict[str, dict[str, str]]:
    img = f"{API}/image/{key}"
    ser = f"{img}-{serial}"
    return {
        "LargestImage": link(
            f"{ser}!largestimage",
            "Largest size available for image",
            "LargestImage",
            "LargestImage",
        ),
        "ImageSizes": link(f"{ser}!sizes", "Sizes available for image", "ImageSizes", "ImageSizes"),
        "ImageSizeDetails": link(
            f"{ser}!sizedetails",
            "Detailed size information for image",
            "ImageSizeDetails",
            "ImageSizeDetails",
        ),
        "PointOfInterest": link(
            f"{img}!pointofinterest",
            "Point of interest for image",
            "PointOfInterest",
            "PointOfInterest",
        ),
        "PointOfInterestCrops": link(
            f"{img}!poicrops",
            "PointOfInterest Crops for image",
            "PointOfInterestCrops",
            "PointOfInterestCrops",
            "List",
        ),
        "Regions": link(f"{img}!regions", "Regions for image", "Regions", "Region", "Objects"),
    }


def _image_tail_links(key: str) -> dict[str, dict[str, str]]:
    img = f"{API}/image/{key}"
    return {
        "ImageComments": link(
            f"{img}!comments", "Comments on image", "ImageComments", "Comment", "Objects"
        ),
        "ImageMetadata": link(
            f"{img}!metadata", "Metadata for image", "ImageMetadata", "ImageMetadata"
        ),
        "ImagePrices": link(
            f"{img}!prices", "Purchasable Skus", "ImagePrices", "CatalogSkuPrice", "Objects"
        ),
        "ImagePricelistExclusions": link(
            f"{img}!pricelistexclusions",
            "Pricelist information for an image",
            "ImagePricelistExclusions",
            "ImagePricelistExclusions",
        ),
    }


def album_image_uri(album_key: str, image: EmulatorImage) -> str:
    """``/api/v2/album/{AlbumKey}/image/{ImageKey}-{Serial}``."""
    return f"{API}/album/{album_key}/image/{image.image_key}-{image.serial}"


def album_image_object(
    store: EmulatorStore, album: EmulatorAlbum, entry: AlbumEntry
) -> dict[str, Any]:
    """An ``AlbumImage``: the image as listed in ``album`` (its Origin says if it lives there)."""
    image = entry.image
    key = image.image_key
    uri = album_image_uri(album.album_key, image)
    out = _image_common(image)
    out["Uri"] = uri
    out["UriDescription"] = "Image from album"
    out["Uris"] = {
        **_image_links(key, image.serial),
        **_image_tail_links(key),
        "Album": link(
            f"{API}/album/{album.album_key}", "Album by key", "Album", "Album", doc=ALBUM_DOC
        ),
        "Image": link(f"{API}/image/{key}-{image.serial}", "Image by key", "Image", "Image"),
        "AlbumImagePricelistExclusions": link(
            f"{uri}!pricelistexclusions",
            "Pricelist information for an album image",
            "AlbumImagePricelistExclusions",
            "AlbumImagePricelistExclusions",
        ),
        "AlbumImageMetadata": link(
            f"{uri}!metadata", "Metadata for AlbumImage", "AlbumImageMetadata", "AlbumImageMetadata"
        ),
        "AlbumImageShareUris": link(
            f"{uri}!shareuris",
            "URIs that are useful for sharing",
            "AlbumImageShareUris",
            "AlbumImageShareUris",
        ),
    }
    out["Movable"] = entry.origin != "Collected"
    out["Origin"] = entry.origin
    out["WebUri"] = f"{web_root(store)}{album.url_path}/i-{key}"
    return out


# AlbumImage fields that cost no hashing: when a request's ``_filter`` asks only for these
# (the client's does), an image listing builds them alone (large accounts' listings).
_CHEAP_ALBUM_IMAGE_FIELDS = frozenset(
    {
        "Title",
        "Caption",
        "Keywords",
        "Hidden",
        "ThumbnailUrl",
        "FileName",
        "Date",
        "DateTimeUploaded",
        "DateTimeOriginal",
        "Format",
        "LastUpdated",
        "ImageKey",
        "Serial",
        "ArchivedUri",
        "Uri",
        "UriDescription",
        "Movable",
        "Origin",
        "WebUri",
    }
)


def album_image_fields(
    store: EmulatorStore, album: EmulatorAlbum, entry: AlbumEntry, wanted: frozenset[str]
) -> dict[str, Any] | None:
    """Only the ``wanted`` fields of :func:`album_image_object`, in its order; None when
    one of them is not cheap to make alone (then build the whole object and trim it)."""
    if not wanted <= _CHEAP_ALBUM_IMAGE_FIELDS:
        return None
    image = entry.image
    key = image.image_key
    out: dict[str, Any] = {}
    for name in _ALBUM_IMAGE_ORDER:
        if name not in wanted:
            continue
        if name in ("Title", "Caption", "Keywords"):
            out[name] = ""
        elif name == "Hidden":
            out[name] = False
        elif name == "ThumbnailUrl":
            out[name] = thumbnail_url(key, image.serial)
        elif name == "FileName":
            out[name] = image.file_name
        elif name in ("Date", "DateTimeUploaded", "LastUpdated"):
            out[name] = format_time(image.uploaded)
        elif name == "DateTimeOriginal":
            if image.date_time_original is not None:
                out[name] = format_time(image.date_time_original)
        elif name == "Format":
            out[name] = "JPG"
        elif name == "ImageKey":
            out[name] = key
        elif name == "Serial":
            out[name] = image.serial
        elif name == "ArchivedUri":
            out[name] = _archived_uri(key, image.serial)
        elif name == "Uri":
            out[name] = album_image_uri(album.album_key, image)
        elif name == "UriDescription":
            out[name] = "Image from album"
        elif name == "Movable":
            out[name] = entry.origin != "Collected"
        elif name == "Origin":
            out[name] = entry.origin
        elif name == "WebUri":
            out[name] = f"{web_root(store)}{album.url_path}/i-{key}"
    return out


def image_object(store: EmulatorStore, image: EmulatorImage, home: EmulatorAlbum) -> dict[str, Any]:
    """An ``Image`` (``image/{key}-{serial}``); ``ImageAlbum`` points to its home album."""
    key = image.image_key
    img = f"{API}/image/{key}"
    out = _image_common(image)
    out["Uri"] = f"{img}-{image.serial}"
    out["UriDescription"] = "Image by key"
    out["Uris"] = {
        **_image_links(key, image.serial),
        "ImageAlbum": link(
            f"{API}/album/{home.album_key}", "Album by key", "Album", "Album", doc=ALBUM_DOC
        ),
        "ImageDownload": link(
            f"{img}!download", "Download image", "ImageDownload", "ImageDownload"
        ),
        "ImageOwner": link(f"{API}/user/{store.nickname}", "User By Nickname", "User", "User"),
        "ImageComments": _image_tail_links(key)["ImageComments"],
        "RotateImage": link(f"{img}!rotate", "Rotate an image", "RotateImage"),
        "ColorImage": link(f"{img}!color", "Color an image", "ColorImage", "ColorImage"),
        "CopyImage": link(f"{img}!copy", "Copy an image", "CopyImage"),
        "CropImage": link(f"{img}!crop", "Crop an image", "CropImage"),
        "WatermarkImage": link(f"{img}!watermark", "Watermark Image", "WatermarkImage"),
        "ImageMetadata": _image_tail_links(key)["ImageMetadata"],
        "ImagePrices": _image_tail_links(key)["ImagePrices"],
        "ImagePricelistExclusions": _image_tail_links(key)["ImagePricelistExclusions"],
    }
    out["WebUri"] = f"{web_root(store)}{home.url_path}/i-{key}"
    return out


def options_for(
    path_parts: list[dict[str, str]], methods: list[str], patch: bool
) -> dict[str, Any]:
    """A short ``Options`` block (the real one also lists every field's schema)."""
    details: dict[str, Any] = {
        "OPTIONS": {"Permissions": ["Read"]},
        "GET": {"Permissions": ["Read"]},
    }
    if patch:
        details["PATCH"] = {"Permissions": ["Modify"]}
    return {
        "MethodDetails": details,
        "Methods": methods,
        "MediaTypes": MEDIA_TYPES,
        "Path": [{"type": "path", "text": "api"}, {"type": "path", "text": "v2"}, *path_parts],
    }


SEARCH_SORT_METHODS = ("Rank", "LastUpdated")
SEARCH_SORT_DIRECTIONS = ("Ascending", "Descending")


def album_search_options(values: dict[str, str]) -> dict[str, Any]:
    """``album!search``'s ``Options`` as the recorded answers show it, ``Value`` as asked."""
    return {
        "MethodDetails": {
            "OPTIONS": {"Permissions": ["Read"]},
            "GET": {"Permissions": ["Read"]},
        },
        "Methods": ["OPTIONS", "GET"],
        "ParameterDescription": {
            "Varchar": "Variable length text from MIN_CHARS to MAX_CHARS (MAX_CHARS = INFINITY "
            "meaning arbitrary length)",
            "Select": 'Select one option. Options should pass only the "Value".',
            "Uri": "Absolute or relative URL, restricted to Locator(s) of the supplied URL if "
            "not null.   Up to a MAX_LENGTH in length.",
        },
        "Parameters": {
            "GET": [
                {
                    "Name": "Text",
                    "Required": False,
                    "ReadOnly": False,
                    "Default": None,
                    "Description": "Search all text fields",
                    "Type": "Varchar",
                    "MIN_CHARS": 0,
                    "MAX_CHARS": "INFINITY",
                    "Value": values.get("Text", ""),
                },
                {
                    "Name": "SortMethod",
                    "Required": False,
                    "ReadOnly": False,
                    "Default": "_score",
                    "Type": "Select",
                    "OPTIONS": list(SEARCH_SORT_METHODS),
                    "MIN_COUNT": 1,
                    "MAX_COUNT": 1,
                    "Value": values.get("SortMethod", "Rank"),
                },
                {
                    "Name": "SortDirection",
                    "Required": False,
                    "ReadOnly": False,
                    "Default": "Descending",
                    "Type": "Select",
                    "OPTIONS": list(SEARCH_SORT_DIRECTIONS),
                    "MIN_COUNT": 1,
                    "MAX_COUNT": 1,
                    "Value": values.get("SortDirection", "Descending"),
                },
                {
                    "Name": "Scope",
                    "Required": False,
                    "ReadOnly": False,
                    "Default": None,
                    "Description": "The URI of a Folder, Node, or User to search within",
                    "Type": "Uri",
                    "MAX_LENGTH": "INFINITY",
                    "Locator": [],
                    "Value": values.get("Scope", ""),
                },
            ]
        },
        "MediaTypes": MEDIA_TYPES,
        "Notes": ["_multiargs does not work at this endpoint"],
    }


def root_node_id(store: EmulatorStore) -> str:
    """The NodeID of the account's root folder (the user's ``Node``)."""
    return _token(f"root:{store.nickname}", 5)


def _archived_uri(key: str, serial: int) -> str:
    token = _token(f"arch:{key}", 8, hexa=True)
    return f"{PHOTOS_HOST}/photos/i-{key}/{serial}/{token}/D/i-{key}-D.jpg"


def _dimensions(key: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(f"dim:{key}".encode()).digest()
    landscape = digest[0] % 4 != 0
    width, height = (6000, 4000) if landscape else (4000, 6000)
    size = 6_000_000 + int.from_bytes(digest[1:4], "big") % 9_000_000
    return width, height, size


def _token(seed: str, length: int, *, hexa: bool = False) -> str:
    digest = hashlib.sha256(seed.encode())
    if hexa:
        return digest.hexdigest()[:length]
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(alphabet[b % len(alphabet)] for b in digest.digest()[:length])


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _album_image_order() -> tuple[str, ...]:
    from datetime import UTC, datetime

    from albumsync_dagster.emulator.store import EmulatorStore as _Store

    when = datetime(2024, 1, 1, tzinfo=UTC)
    sample = EmulatorAlbum("Order1", "", "Order", when, when, when)
    image = AlbumEntry(EmulatorImage("Order12", "o.jpg", when, when))
    return tuple(album_image_object(_Store(nickname="order"), sample, image))


_ALBUM_IMAGE_ORDER = _album_image_order()
