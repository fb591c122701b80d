"""Google OAuth 2.0 for a service account: an RS256 JWT exchanged for an access token (the
JWT-bearer grant), cached until shortly before it expires.

The private key is held only as a key object: it is never logged, never put in an error, and
never shown by repr. The signed assertion and the access token are redacted from every error.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import SecretStr

from clients._base import json_body
from clients._errors import NotFoundError, ProviderError, redact
from clients._google import google_error
from clients._retry import Exhausted, Recovered, RetryPolicy, send_with_retry

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


class ServiceAccountCredentials:
    """Access tokens for one service account and one set of scopes.

    `await token()` returns the cached token or mints a new one; concurrent callers share one
    refresh (an asyncio.Lock per event loop; the cache itself is guarded by a thread lock).
    Token endpoint failures raise ProviderError(provider="google-oauth"): its error code
    (`invalid_grant`, `unauthorized_client`, ...) in `code`, `error_description` in `detail`.
    """

    provider = "google-oauth"

    def __init__(
        self,
        client_email: str,
        private_key: RSAPrivateKey,
        scopes: Sequence[str],
        *,
        token_uri: str = GOOGLE_TOKEN_URI,
        private_key_id: str | None = None,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
        timeout: float = 10.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if http is not None and transport is not None:
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
        self._borrowed_http = http
        self._transport = transport
        self._retry = retry
        self._timeout = timeout
        self._clock = clock or time.time
        self._own_http: httpx.AsyncClient | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._access: SecretStr | None = None
        self._assertion: SecretStr | None = None
        self._refresh_at = 0.0
        self._guard = threading.Lock()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def from_info(
        cls,
        info: Mapping[str, Any],
        scopes: Sequence[str],
        *,
        token_uri: str | None = None,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
        timeout: float = 10.0,
        clock: Callable[[], float] | None = None,
    ) -> ServiceAccountCredentials:
        """From a service account key file's JSON (`client_email`, `private_key`, optional
        `private_key_id` and `token_uri`). `token_uri` given here wins over the file's."""
        email = info.get("client_email")
        pem = info.get("private_key")
        if not isinstance(email, str) or not email:
            raise ValueError("the service account info has no client_email")
        if not isinstance(pem, str) or not pem:
            raise ValueError("the service account info has no private_key")
        try:
            key = load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # The loader's own message is dropped: nothing about the key text may travel on.
            raise ValueError("the service account private_key is not a PEM private key") from None
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("a service account key must be an RSA private key")
        key_id = info.get("private_key_id")
        return cls(
            email,
            key,
            scopes,
            token_uri=token_uri or info.get("token_uri") or GOOGLE_TOKEN_URI,
            private_key_id=key_id if isinstance(key_id, str) and key_id else None,
            http=http,
            transport=transport,
            retry=retry,
            timeout=timeout,
            clock=clock,
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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Drop our own connections (a later refresh opens new ones); a borrowed `http` stays
        open. Safe to call more than once, and from every client sharing these credentials."""
        own, self._own_http, self._own_loop = self._own_http, None, None
        if own is not None:
            await own.aclose()

    # -- tokens ----------------------------------------------------------------------------------

    async def token(self) -> str:
        """A valid access token: the cached one, or a new one when it is near its expiry."""
        cached = self._cached()
        if cached is not None:
            return cached
        async with self._refresh_lock():
            cached = self._cached()  # another caller may have refreshed while we waited
            if cached is not None:
                return cached
            return await self._refresh()

    def invalidate(self, token: str) -> None:
        """Forget `token` (an API refused it), unless a newer one has replaced it already."""
        with self._guard:
            if self._access is not None and self._access.get_secret_value() == token:
                self._access = None
                self._refresh_at = 0.0

    def _cached(self) -> str | None:
        with self._guard:
            if self._access is not None and self._clock() < self._refresh_at:
                return self._access.get_secret_value()
            return None

    def _refresh_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = asyncio.Lock()
            return lock

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
        op = "token"
        issued = self._clock()
        assertion = self._sign(int(issued))
        self._assertion = SecretStr(assertion)
        form = urlencode({"grant_type": _GRANT_TYPE, "assertion": assertion}).encode()
        response = await self._post(op, form)
        if not response.is_success:
            raise self._error(op, response)
        body = json_body(response)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise self._fail(op, status=response.status_code, detail="answer has no access_token")
        try:
            lifetime = max(0.0, float(body.get("expires_in", _DEFAULT_LIFETIME_S)))
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_S
        with self._guard:
            self._access = SecretStr(access)
            self._refresh_at = issued + lifetime - min(_REFRESH_EARLY_S, lifetime / 2)
        return access

    # -- HTTP ------------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._borrowed_http is not None:
            return self._borrowed_http
        loop = asyncio.get_running_loop()
        if self._own_http is None or self._own_loop is not loop or self._own_http.is_closed:
            # A client's connections belong to the loop that opened them.
            self._own_http = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
            self._own_loop = loop
        return self._own_http

    async def _post(self, operation: str, form: bytes) -> httpx.Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "release-orchestrator-clients/0.1",
        }

        async def send(budget: float) -> httpx.Response:
            http = self._http()
            request = http.build_request(
                "POST",
                self._token_uri,
                content=form,
                headers=headers,
                timeout=min(self._timeout, budget),
            )
            return await http.send(request)

        try:
            # Minting a second token is harmless, so a lost answer is simply asked again.
            outcome: httpx.Response | Recovered[None] = await send_with_retry(
                self._retry, send, label=f"{self.provider} {operation}", idempotent=True
            )
        except Exhausted as exhausted:
            note = f"{exhausted.reason} after {exhausted.attempts} attempt(s)"
            if exhausted.response is not None:
                raise self._error(
                    operation, exhausted.response, note=note, retry_after=exhausted.retry_after
                ) from None
            cause = exhausted.error
            what = f"{type(cause).__name__}: {cause}" if cause is not None else "no answer"
            raise self._fail(
                operation, detail=f"{note}: {what}", retry_after=exhausted.retry_after
            ) from None
        except httpx.HTTPError as error:
            raise self._fail(operation, detail=f"{type(error).__name__}: {error}") from None
        assert isinstance(outcome, httpx.Response)  # no read-back, so nothing was recovered
        return outcome

    def _error(
        self,
        operation: str,
        response: httpx.Response,
        *,
        note: str = "",
        retry_after: float | None = None,
    ) -> ProviderError:
        body = json_body(response)
        code: str | None = None
        detail = ""
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            # RFC 6749 §5.2: {"error": "invalid_grant", "error_description": "..."}
            code = body["error"]
            detail = str(body.get("error_description") or "")
        elif isinstance(body, dict) and isinstance(body.get("error"), dict):
            status, reason, _, message = google_error(body)
            code = reason or status
            detail = message
        else:
            detail = response.text[:300]
        if note:
            detail = f"{note}: {detail}" if detail else note
        return self._fail(
            operation,
            status=response.status_code,
            code=code,
            detail=detail,
            retry_after=retry_after,
        )

    def _fail(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str = "",
        retry_after: float | None = None,
    ) -> ProviderError:
        cls = NotFoundError if status == 404 else ProviderError
        secrets = tuple(
            s.get_secret_value() for s in (self._access, self._assertion) if s is not None
        )
        return cls(
            self.provider,
            operation,
            status=status,
            code=code,
            detail=redact(detail, secrets),
            retry_after=retry_after,
        )
