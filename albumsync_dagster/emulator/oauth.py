"""OAuth 1.0a HMAC-SHA1 verification of incoming requests, computed by oauthlib.

The signature base string is rebuilt from what the client signed: the scheme, the Host
header (behind uvicorn the server's own address is not what the client used), the raw
path, the raw query string, the OAuth header parameters and, only for form-encoded
bodies, the body. A JSON body is not part of an OAuth 1.0a signature.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from oauthlib.oauth1.rfc5849 import signature, utils

from albumsync_dagster.emulator.store import EmulatorCredentials

# oauthlib's own default; SmugMug publishes none.
TIMESTAMP_TOLERANCE_SECONDS = 600
_NONCE_MEMORY = 50_000
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request that an OAuth 1.0a signature covers."""

    method: str
    scheme: str
    host: str
    raw_path: str
    raw_query: str
    authorization: str | None
    form_body: str | None = None


class OAuthProblem(Exception):
    """Why a request's signature was refused (an ``oauth_problem`` value and a sentence)."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class SignatureVerifier:
    """Checks requests against one consumer key/secret and one access token/secret."""

    def __init__(self, credentials: EmulatorCredentials) -> None:
        self._credentials = credentials
        self._nonces: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, request: SignedRequest, now: float | None = None) -> None:
        """Return if the request is correctly signed; raise ``OAuthProblem`` otherwise."""
        header = request.authorization
        if not header or not header.strip().lower().startswith("oauth "):
            raise OAuthProblem("parameter_absent", "missing OAuth Authorization header")
        try:
            # The header's values are percent-encoded (RFC 5849 3.5.1).
            oauth_params = {
                utils.unescape(k): utils.unescape(v)
                for k, v in utils.parse_authorization_header(header)
            }
        except (ValueError, IndexError) as exc:
            raise OAuthProblem("parameter_rejected", "malformed Authorization header") from exc
        missing = [name for name in _REQUIRED if not oauth_params.get(name)]
        if missing:
            raise OAuthProblem("parameter_absent", f"missing {', '.join(missing)}")
        creds = self._credentials
        if oauth_params["oauth_signature_method"] != "HMAC-SHA1":
            raise OAuthProblem("signature_method_rejected", "only HMAC-SHA1 is accepted")
        if not hmac.compare_digest(oauth_params["oauth_consumer_key"], creds.api_key):
            raise OAuthProblem("consumer_key_unknown", "unknown consumer key")
        if not hmac.compare_digest(oauth_params["oauth_token"], creds.access_token):
            raise OAuthProblem("token_rejected", "unknown access token")
        self._check_timestamp(oauth_params["oauth_timestamp"], now)

        params = signature.collect_parameters(
            uri_query=request.raw_query,
            body=request.form_body or None,
            headers={"Authorization": header},
            exclude_oauth_signature=True,
        )
        base_uri = signature.base_string_uri(
            f"{request.scheme}://{request.host}{request.raw_path}", host=request.host
        )
        base = signature.signature_base_string(
            request.method.upper(), base_uri, signature.normalize_parameters(params)
        )
        expected = signature.sign_hmac_sha1(base, creds.api_secret, creds.access_token_secret)
        if not hmac.compare_digest(expected, oauth_params["oauth_signature"]):
            raise OAuthProblem("signature_invalid", "signature does not match")
        self._check_nonce(oauth_params["oauth_nonce"], oauth_params["oauth_timestamp"])

    def _check_timestamp(self, value: str, now: float | None) -> None:
        try:
            stamp = int(value)
        except ValueError as exc:
            raise OAuthProblem("timestamp_refused", "oauth_timestamp is not a number") from exc
        current = time.time() if now is None else now
        if abs(current - stamp) > TIMESTAMP_TOLERANCE_SECONDS:
            raise OAuthProblem("timestamp_refused", "oauth_timestamp too far from now")

    def _check_nonce(self, nonce: str, stamp: str) -> None:
        # A replayed (nonce, timestamp) pair is refused, as a provider must (RFC 5849 3.3).
        key = (nonce, stamp)
        with self._lock:
            if key in self._nonces:
                raise OAuthProblem("nonce_used", "oauth_nonce already used")
            self._nonces[key] = None
            while len(self._nonces) > _NONCE_MEMORY:
                self._nonces.popitem(last=False)
