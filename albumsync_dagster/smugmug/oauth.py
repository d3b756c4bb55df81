"""OAuth 1.0a (HMAC-SHA1) request signing for SmugMug, as an ``httpx.Auth``.

oauthlib computes the signature; this module only feeds it the request. The query string
is signed (SmugMug checks it); a JSON body is not form data, so it is sent untouched and
left out of the signature, as OAuth 1.0a prescribes.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client


def _drop_debug(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


# oauthlib's signing client logs, at DEBUG, the collected parameters and the signature
# base string: the API key and access token in clear. Credentials are never logged here,
# so those records are dropped at their source logger (only records of that logger).
logging.getLogger("oauthlib.oauth1.rfc5849").addFilter(_drop_debug)


class Credentials:
    """The four OAuth 1.0a secrets. Its repr and str show none of them."""

    __slots__ = ("_api_key", "_api_secret", "_access_token", "_access_token_secret")

    def __init__(
        self, api_key: str, api_secret: str, access_token: str, access_token_secret: str
    ) -> None:
        self._api_key = api_key
        self._api_secret = api_secret
        self._access_token = access_token
        self._access_token_secret = access_token_secret

    def secrets(self) -> tuple[str, str, str, str]:
        """Every credential value, for checks such as "never logged"."""
        return (self._api_key, self._api_secret, self._access_token, self._access_token_secret)

    def oauth_client(self) -> Client:
        """A fresh oauthlib client (fresh nonce and timestamp per signature)."""
        return Client(
            self._api_key,
            client_secret=self._api_secret,
            resource_owner_key=self._access_token,
            resource_owner_secret=self._access_token_secret,
            signature_method=SIGNATURE_HMAC_SHA1,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        )

    def __repr__(self) -> str:
        return "Credentials(api_key=***, api_secret=***, access_token=***, access_token_secret=***)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        # Pickling would carry the secrets into files and queues; refuse it.
        raise TypeError("SmugMug credentials cannot be pickled")


class OAuth1Signer(httpx.Auth):
    """Signs every request, including each one re-sent after a redirect or a retry."""

    requires_request_body = False

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # body=None and no Content-Type: only the URL (with its query) and the OAuth
        # parameters enter the signature base string.
        _, headers, _ = self._credentials.oauth_client().sign(
            str(request.url), http_method=request.method, body=None, headers={}
        )
        request.headers["Authorization"] = headers["Authorization"]
        yield request

    def __repr__(self) -> str:
        return "OAuth1Signer(credentials=***)"
