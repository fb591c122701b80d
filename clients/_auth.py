"""Authentication as httpx.Auth flows: the one seam every client's requests pass through.

A client hands its Auth to BaseClient, which passes it to every send; the Auth also names the
secret values it put on the wire (`secrets()`), so that error text can be scrubbed of them.

- `StaticAuth`: a fixed secret in `Authorization` (GitHub and Cloudflare `Bearer <token>`,
  PagerDuty `Token token=<key>`).
- `SourcedAuth`: a bearer token asked of an `AccessTokenSource` before each attempt; a 401 drops
  it (`invalidate`) and the request is sent once more with a fresh one. Google's service-account
  credentials are such a source; an App Store Connect ES256 JWT signer would be another (its
  `token()` signs a short-lived JWT, no exchange needed) and plugs in unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Protocol, runtime_checkable

import httpx
from pydantic import SecretStr

__all__ = ["AccessTokenSource", "SecretAuth", "SourcedAuth", "StaticAuth"]

_KEEP_TOKENS = 2  # the one in use and the one before it, so an echo of either is redacted


@runtime_checkable
class AccessTokenSource(Protocol):
    """Anything that hands out bearer tokens (ServiceAccountCredentials does).

    Optional: `invalidate(token)` (drop a token the API refused) and `aclose()`.
    """

    async def token(self) -> str: ...


class SecretAuth(httpx.Auth):
    """An Auth that can say which secret values it sends, for redaction."""

    def secrets(self) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class StaticAuth(SecretAuth):
    """`Authorization: <template with the secret>`, the same on every request."""

    def __init__(self, secret: str | SecretStr, template: str = "Bearer {}") -> None:
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._template = template

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._template.format(self._secret.get_secret_value())
        yield request

    def secrets(self) -> tuple[str, ...]:
        return (self._secret.get_secret_value(),)


class SourcedAuth(SecretAuth):
    """`Authorization: Bearer <token from the source>`; one re-authentication after a 401."""

    requires_request_body = True  # read first, so the body can be sent again after a 401

    def __init__(self, source: AccessTokenSource) -> None:
        self.source = source
        self._seen: tuple[SecretStr, ...] = ()

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("SourcedAuth needs an async client: its token source is async")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._authorize(request)
        response = yield request
        invalidate = getattr(self.source, "invalidate", None)
        if response.status_code == 401 and invalidate is not None:
            invalidate(token)
            # A new request, not the first one changed: what was sent stays as it was sent.
            again = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content,
                extensions=request.extensions,
            )
            await self._authorize(again)
            yield again

    async def _authorize(self, request: httpx.Request) -> str:
        token = await self.source.token()
        if not self._seen or self._seen[-1].get_secret_value() != token:
            self._seen = (*self._seen, SecretStr(token))[-_KEEP_TOKENS:]
        request.headers["Authorization"] = f"Bearer {token}"
        return token

    def secrets(self) -> tuple[str, ...]:
        return tuple(token.get_secret_value() for token in self._seen)
