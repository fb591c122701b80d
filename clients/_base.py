"""What every provider client shares: the httpx seam, the Auth, the one request path with its
retry loop, and error mapping."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ClassVar, Self, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from clients._auth import SecretAuth, StaticAuth
from clients._errors import NotFoundError, ProviderError, redact
from clients._retry import Exhausted, Recovered, Retry, RetryPolicy, send_with_retry, transient

T = TypeVar("T")

_USER_AGENT = "release-orchestrator-clients/0.1"


class Options(TypedDict, total=False):
    """What every client takes besides its address and credentials, all optional: the httpx
    seam (`http` borrowed, or our own client on `transport`), the retry policy and the
    per-attempt timeout (the class's `default_retry` and `default_timeout` otherwise)."""

    http: httpx.AsyncClient | None
    transport: httpx.AsyncBaseTransport | None
    retry: RetryPolicy
    timeout: float


class Body(TypedDict, total=False):
    """What a request carries besides its method and URL (httpx's own argument names)."""

    params: Mapping[str, str | int] | None
    json: Any
    files: Any
    content: bytes | None
    headers: Mapping[str, str] | None


def segment(value: str | int) -> str:
    """One URL path segment: a branch named `release/1.0` must stay one segment."""
    return quote(str(value), safe="")


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when there is none or it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class Closing:
    """`async with` closes it (`aclose`)."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class BaseClient(Closing):
    """Owns (or borrows) the httpx.AsyncClient and runs every request through one path: the Auth
    flow, then the retry loop, whose retryable answers the `_retry_on` hook decides."""

    provider: ClassVar[str]
    # Sent on every request, besides User-Agent and what the Auth adds.
    extra_headers: ClassVar[Mapping[str, str]] = {}
    default_retry: ClassVar[RetryPolicy] = RetryPolicy()
    default_timeout: ClassVar[float] = 10.0

    def __init__(
        self, base_url: str = "", *, auth: SecretAuth | None = None, **options: Unpack[Options]
    ) -> None:
        http, transport = options.get("http"), options.get("transport")
        if http is not None and transport is not None:
            raise ValueError("pass either http or transport, not both")
        self._base_url = base_url.rstrip("/")
        self._retry = options.get("retry", self.default_retry)
        self._timeout = options.get("timeout", self.default_timeout)
        self._owns_http = http is None
        # Redirects are followed on our own client: httpx drops Authorization on a change of host.
        self._http = http or httpx.AsyncClient(
            transport=transport, timeout=self._timeout, follow_redirects=True
        )
        self._auth = auth

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        if not self._base_url:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        """Close the underlying httpx client, unless the caller passed it in (then it is theirs)."""
        if self._owns_http:
            await self._http.aclose()

    # -- hooks a provider overrides ------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        return self._auth.secrets() if self._auth is not None else ()

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """The provider's error code and a human detail for an error answer."""
        return None, self._excerpt(response.text, 500)

    def _excerpt(self, text: str, limit: int = 300) -> str:
        """At most `limit` characters of an answer's text, redacted before it is cut: cut first,
        an echoed token straddling the limit would leave its head behind, which no longer
        matches the token (nor the shape of an auth header value)."""
        return redact(text, self._secrets())[:limit]

    def _retry_on(self, response: httpx.Response) -> Retry | None:
        """Whether this answer is worth sending again (and how): the one retry decision."""
        return transient(response)

    # -- shared machinery ----------------------------------------------------------------------

    def _url(self, *segments: str | int) -> str:
        return self._base_url + "".join("/" + segment(s) for s in segments)

    def _fail(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        detail: str = "",
        retry_after: float | None = None,
        not_found: bool | None = None,
    ) -> ProviderError:
        if not_found is None:
            not_found = status == 404
        cls = NotFoundError if not_found else ProviderError
        return cls(
            self.provider,
            operation,
            status=status,
            code=code,
            detail=redact(detail, self._secrets()),
            retry_after=retry_after,
        )

    def _follow(self, operation: str, response: httpx.Response, link: str) -> str:
        """A next page's URL, refused if it leaves our host: it would carry our token along."""
        target = response.url.join(link)
        base = httpx.URL(self.base_url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise self._fail(operation, detail=f"refusing to follow a page link to {target.host}")
        return str(target)

    @contextmanager
    def _parsing(self, operation: str) -> Iterator[None]:
        """Turn an answer of unexpected shape into a ProviderError instead of a KeyError."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            detail = f"unexpected answer: {type(error).__name__}: {error}"
            raise self._fail(operation, detail=detail) from None

    async def _exchange(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        read_back: Callable[[], Awaitable[T | None]] | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        **body: Unpack[Body],
    ) -> httpx.Response | Recovered[T]:
        """One logical request, retried per policy (`retry` and the per-attempt `timeout` default
        to the client's). The answer may still be a 4xx."""
        headers = {"User-Agent": _USER_AGENT, **self.extra_headers, **(body.get("headers") or {})}
        body = {**body, "headers": headers}
        per_attempt = timeout if timeout is not None else self._timeout
        auth = self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT

        async def send(budget: float) -> httpx.Response:
            request = self._http.build_request(
                method, url, timeout=min(per_attempt, budget), **body
            )
            return await self._http.send(request, auth=auth)

        try:
            return await send_with_retry(
                retry or self._retry,
                send,
                classify=self._retry_on,
                label=f"{self.provider} {operation}",
                idempotent=idempotent,
                read_back=read_back,
            )
        except Exhausted as exhausted:
            raise self._exhausted(operation, exhausted) from None
        except httpx.HTTPError as error:
            # Not retryable (bad URL, decoding, redirect loop): still a provider failure.
            raise self._fail(operation, detail=f"{type(error).__name__}: {error}") from None

    def _error_for(
        self,
        operation: str,
        response: httpx.Response,
        *,
        note: str = "",
        retry_after: float | None = None,
    ) -> ProviderError:
        code, detail = self._describe(response)
        if note:
            detail = f"{note}: {detail}" if detail else note
        return self._fail(
            operation,
            status=response.status_code,
            code=code,
            detail=detail,
            retry_after=retry_after,
        )

    def _exhausted(self, operation: str, exhausted: Exhausted) -> ProviderError:
        note = f"{exhausted.reason} after {exhausted.attempts} attempt(s)"
        if exhausted.response is not None:
            return self._error_for(
                operation, exhausted.response, note=note, retry_after=exhausted.retry_after
            )
        cause = exhausted.error
        what = f"{type(cause).__name__}: {cause}" if cause is not None else "no answer"
        return self._fail(operation, detail=f"{note}: {what}", retry_after=exhausted.retry_after)

    async def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        **body: Unpack[Body],
    ) -> httpx.Response:
        """A request with no read-back: retried freely if idempotent, else never after a lost
        answer. The answer may still be a 4xx."""
        outcome: httpx.Response | Recovered[None] = await self._exchange(
            operation, method, url, idempotent=idempotent, **body
        )
        assert isinstance(outcome, httpx.Response)  # no read-back, so nothing was recovered
        return outcome

    async def _call(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        ok: Callable[[httpx.Response], bool] = lambda r: r.is_success,
        **body: Unpack[Body],
    ) -> httpx.Response:
        """A request that is safe to repeat (a read): retried freely, errors raised."""
        response = await self._send(operation, method, url, **body)
        if not ok(response):
            raise self._error_for(operation, response)
        return response

    async def _write(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        parse: Callable[[httpx.Response], T],
        read_back: Callable[[], Awaitable[T | None]] | None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        **body: Unpack[Body],
    ) -> T:
        """A request not safe to repeat blindly: after a lost answer, `read_back` decides whether
        it took effect; without one, a lost answer is final."""
        outcome = await self._exchange(
            operation,
            method,
            url,
            idempotent=False,
            read_back=read_back,
            timeout=timeout,
            retry=retry,
            **body,
        )
        if isinstance(outcome, Recovered):
            return outcome.value
        if not outcome.is_success:
            raise self._error_for(operation, outcome)
        return parse(outcome)


class TokenClient(BaseClient):
    """A provider client authenticated by a fixed token that never leaves the Auth flow."""

    # How the token goes in `Authorization`; PagerDuty wants `Token token={}`.
    auth_template: ClassVar[str] = "Bearer {}"

    def __init__(self, base_url: str, token: str | SecretStr, **options: Unpack[Options]) -> None:
        super().__init__(base_url, auth=StaticAuth(token, self.auth_template), **options)
