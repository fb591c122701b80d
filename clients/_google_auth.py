"""Google OAuth 2.0 for a service account: an RS256 JWT exchanged for an access token (the
JWT-bearer grant), cached process-wide until shortly before it expires.

Credentials are cheap to build again (each task does): the RSA key is parsed once per process per
key, and the access token is shared by every credentials object of the same account, scopes and
token endpoint, so a new one does not mean a new grant. The token request goes through the same
BaseClient path (and retry loop) as every API request.

The private key is held only as a key object: it is never logged, never put in an error, and
never shown by repr. The signed assertion and the access token are redacted from every error.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Unpack
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pydantic import SecretStr

from clients._base import BaseClient, Closing, Options, json_body
from clients._google import google_error
from clients._keys import private_key

__all__ = [
    "GOOGLE_TOKEN_URI",
    "PLAY_PUBLISHER_SCOPE",
    "PLAY_REPORTING_SCOPE",
    "ServiceAccountCredentials",
]

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
PLAY_PUBLISHER_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
PLAY_REPORTING_SCOPE = "https://www.googleapis.com/auth/playdeveloperreporting"

_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ASSERTION_LIFETIME_S = 3600  # Google's maximum for the assertion (exp <= iat + 1 h)
_REFRESH_EARLY_S = 300.0  # a token is replaced this long before it expires...
_DEFAULT_LIFETIME_S = 600.0  # ...and one answered without `expires_in` is trusted this long

# -- once per process ------------------------------------------------------------------------------


def _private_key(pem: str) -> RSAPrivateKey:
    loaded = private_key(pem, "the service account private_key")
    if not isinstance(loaded, RSAPrivateKey):
        raise ValueError("a service account key must be an RSA private key")
    return loaded


CacheKey = tuple[str, tuple[str, ...], str]  # (client email, scopes, token uri)


@dataclass(frozen=True)
class _Token:
    access: SecretStr
    refresh_at: float


class TokenCache:
    """Access tokens by (client email, scopes, token uri), shared by every credentials object in
    the process; one refresh at a time per key and event loop. Thread-safe: Prefect runs sync
    tasks in threads and async ones on more than one loop."""

    def __init__(self) -> None:
        self._tokens: dict[CacheKey, _Token] = {}
        self._guard = threading.Lock()
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[CacheKey, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def get(self, key: CacheKey, now: float) -> str | None:
        with self._guard:
            held = self._tokens.get(key)
        if held is not None and now < held.refresh_at:
            return held.access.get_secret_value()
        return None

    def put(self, key: CacheKey, access: str, refresh_at: float) -> None:
        with self._guard:
            self._tokens[key] = _Token(SecretStr(access), refresh_at)

    def drop(self, key: CacheKey, access: str) -> None:
        """Forget `access`, unless a newer token has replaced it already."""
        with self._guard:
            held = self._tokens.get(key)
            if held is not None and held.access.get_secret_value() == access:
                del self._tokens[key]

    def held(self, key: CacheKey) -> str | None:
        """The token held for `key`, fresh or not (to redact an echo of it)."""
        with self._guard:
            token = self._tokens.get(key)
        return token.access.get_secret_value() if token is not None else None

    def refresh_lock(self, key: CacheKey) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            locks = self._locks.setdefault(loop, {})
            return locks.setdefault(key, asyncio.Lock())

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()


TOKENS = TokenCache()


# -- the token endpoint ------------------------------------------------------------------------------


class _TokenEndpoint(BaseClient):
    """POSTs the grant through BaseClient's one request path; RFC 6749 §5.2 errors."""

    provider = "google-oauth"

    extra_headers: ClassVar[Mapping[str, str]] = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }

    def __init__(self, secrets: Callable[[], tuple[str, ...]], **options: Unpack[Options]) -> None:
        super().__init__(**options)
        self._known = secrets

    def _secrets(self) -> tuple[str, ...]:
        return self._known()

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            # RFC 6749 §5.2: {"error": "invalid_grant", "error_description": "..."}
            return body["error"], str(body.get("error_description") or "")
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            status, reason, _, message = google_error(body)
            return reason or status, message
        return None, self._excerpt(response.text)

    async def grant(self, token_uri: str, assertion: str) -> tuple[str, float]:
        """(access token, lifetime in seconds). Minting a second token is harmless, so a lost
        answer is simply asked again."""
        op = "token"
        form = urlencode({"grant_type": _GRANT_TYPE, "assertion": assertion}).encode()
        response = await self._call(op, "POST", token_uri, content=form)
        body = json_body(response)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise self._fail(op, status=response.status_code, detail="answer has no access_token")
        try:
            lifetime = max(0.0, float(body.get("expires_in", _DEFAULT_LIFETIME_S)))
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_S
        return access, lifetime


class CredentialOptions(Options, total=False):
    """The token endpoint's Options, the `clock` tokens are timed by (epoch seconds), and the
    token cache (the process-wide one unless a test brings its own)."""

    clock: Callable[[], float]
    cache: TokenCache


class ServiceAccountCredentials(Closing):
    """Access tokens for one service account and one set of scopes (an AccessTokenSource).

    `await token()` returns the cached token or mints a new one; concurrent callers share one
    refresh, and so do other credentials objects for the same account, scopes and token endpoint
    (the process-wide `cache`). Token endpoint failures raise ProviderError(provider=
    "google-oauth"): its error code (`invalid_grant`, `unauthorized_client`, ...) in `code`,
    `error_description` in `detail`.
    """

    def __init__(
        self,
        client_email: str,
        private_key: RSAPrivateKey,
        scopes: Sequence[str],
        *,
        token_uri: str = GOOGLE_TOKEN_URI,
        private_key_id: str | None = None,
        **options: Unpack[CredentialOptions],
    ) -> None:
        if options.get("http") is not None and options.get("transport") is not None:
            raise ValueError("pass either http or transport, not both")
        if not isinstance(private_key, RSAPrivateKey):
            raise ValueError("a service account key must be an RSA private key")
        scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
        if not scopes or not all(isinstance(s, str) and s for s in scopes):
            raise ValueError("at least one OAuth scope is needed")
        self._client_email = client_email
        self._key = private_key
        self._key_id = private_key_id
        self._scopes = scopes
        self._token_uri = token_uri
        self._cache = options.pop("cache", TOKENS)
        self._cache_key: CacheKey = (client_email, tuple(sorted(set(scopes))), token_uri)
        self._clock = options.pop("clock", time.time)
        self._options: Options = options
        self._endpoint: _TokenEndpoint | None = None
        self._endpoint_loop: asyncio.AbstractEventLoop | None = None
        self._assertion: SecretStr | None = None

    @classmethod
    def from_info(
        cls,
        info: Mapping[str, Any],
        scopes: Sequence[str],
        *,
        token_uri: str | None = None,
        **options: Unpack[CredentialOptions],
    ) -> ServiceAccountCredentials:
        """From a service account key file's JSON (`client_email`, `private_key`, optional
        `private_key_id` and `token_uri`). `token_uri` given here wins over the file's."""
        email = info.get("client_email")
        pem = info.get("private_key")
        if not isinstance(email, str) or not email:
            raise ValueError("the service account info has no client_email")
        if not isinstance(pem, str) or not pem:
            raise ValueError("the service account info has no private_key")
        key_id = info.get("private_key_id")
        return cls(
            email,
            _private_key(pem),
            scopes,
            token_uri=token_uri or info.get("token_uri") or GOOGLE_TOKEN_URI,
            private_key_id=key_id if isinstance(key_id, str) and key_id else None,
            **options,
        )

    @property
    def client_email(self) -> str:
        return self._client_email

    @property
    def scopes(self) -> tuple[str, ...]:
        return self._scopes

    @property
    def token_uri(self) -> str:
        return self._token_uri

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_email={self._client_email!r}, "
            f"scopes={self._scopes!r}, token_uri={self._token_uri!r})"
        )

    async def aclose(self) -> None:
        """Drop our own connections (a later refresh opens new ones); a borrowed `http` stays
        open. Safe to call more than once, and from every client sharing these credentials."""
        endpoint, self._endpoint, self._endpoint_loop = self._endpoint, None, None
        if endpoint is not None:
            await endpoint.aclose()

    # -- tokens ----------------------------------------------------------------------------------

    async def token(self) -> str:
        """A valid access token: the cached one, or a new one when it is near its expiry."""
        cached = self._cache.get(self._cache_key, self._clock())
        if cached is not None:
            return cached
        async with self._cache.refresh_lock(self._cache_key):
            # another caller (or another credentials object) may have refreshed while we waited
            cached = self._cache.get(self._cache_key, self._clock())
            if cached is not None:
                return cached
            return await self._refresh()

    def invalidate(self, token: str) -> None:
        """Forget `token` (an API refused it), unless a newer one has replaced it already."""
        self._cache.drop(self._cache_key, token)

    def _sign(self, issued: int) -> str:
        claims = {
            "iss": self._client_email,
            "scope": " ".join(self._scopes),
            "aud": self._token_uri,
            "iat": issued,
            "exp": issued + _ASSERTION_LIFETIME_S,
        }
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    async def _refresh(self) -> str:
        issued = self._clock()
        assertion = self._sign(int(issued))
        self._assertion = SecretStr(assertion)
        access, lifetime = await self._token_endpoint().grant(self._token_uri, assertion)
        refresh_at = issued + lifetime - min(_REFRESH_EARLY_S, lifetime / 2)
        self._cache.put(self._cache_key, access, refresh_at)
        return access

    def _secrets(self) -> tuple[str, ...]:
        held = self._cache.held(self._cache_key)
        assertion = self._assertion.get_secret_value() if self._assertion is not None else None
        return tuple(s for s in (held, assertion) if s is not None)

    def _token_endpoint(self) -> _TokenEndpoint:
        loop = asyncio.get_running_loop()
        if self._endpoint is None or self._endpoint_loop is not loop:
            # A client's connections belong to the loop that opened them.
            self._endpoint = _TokenEndpoint(self._secrets, **self._options)
            self._endpoint_loop = loop
        return self._endpoint
