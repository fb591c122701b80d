"""What the Google API clients share: a bearer token minted per request from the credentials,
Google's error shape, uploads (raw bodies, their own timeout), and the conflict retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import SecretStr

from clients._base import BaseClient, json_body, segment
from clients._retry import Exhausted, Recovered, RetryPolicy, send_with_retry

__all__ = ["AccessTokenSource", "GoogleApiClient", "google_error", "is_conflict"]

T = TypeVar("T")

_KEEP_TOKENS = 2  # the one in use and the one before it, so an echo of either is redacted


class AccessTokenSource(Protocol):
    """Anything that hands out OAuth access tokens (ServiceAccountCredentials does).

    Optional: `invalidate(token)` (drop a token the API refused) and `aclose()`.
    """

    async def token(self) -> str: ...


def google_error(body: Any) -> tuple[str | None, str | None, list[str], str]:
    """(status, first reason, every reason, message) of a Google JSON error body.

    Reasons come from `details[].reason` (google.rpc.ErrorInfo) first, then from the legacy
    `errors[].reason`, e.g. CHANGES_ALREADY_IN_REVIEW, concurrentUpdate.
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, [], ""
    reasons: list[str] = []
    for key in ("details", "errors"):
        items = error.get(key)
        for item in items if isinstance(items, list) else ():
            reason = item.get("reason") if isinstance(item, dict) else None
            if isinstance(reason, str) and reason and reason not in reasons:
                reasons.append(reason)
    status = error.get("status")
    status = status if isinstance(status, str) and status else None
    message = error.get("message")
    return status, (reasons[0] if reasons else None), reasons, str(message or "")


class GoogleApiClient(BaseClient):
    """A Google REST API at `base_url`, authenticated with a token from `credentials`.

    The token is fetched (cached by the credentials) before each logical request; a 401 drops it
    and the request is made once more with a fresh one. A 409 `concurrentUpdate` (or status
    ABORTED) means "not processed": it is retried, bounded by the policy's attempts. `aclose()`
    also lets the credentials drop their connections (they reopen on the next refresh).
    """

    def __init__(
        self,
        base_url: str,
        credentials: AccessTokenSource,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
        timeout: float = 30.0,
    ) -> None:
        super().__init__(http=http, transport=transport, retry=retry, timeout=timeout)
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._tokens: tuple[SecretStr, ...] = ()

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        await super().aclose()
        close = getattr(self._credentials, "aclose", None)
        if close is not None:
            await close()

    # -- hooks -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "Accept": "application/json"}

    def _secrets(self) -> tuple[str, ...]:
        return tuple(token.get_secret_value() for token in self._tokens)

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        status, reason, reasons, message = google_error(json_body(response))
        if status is None and reason is None and not message:
            return None, response.text[:300]
        detail = f"{status}: {message}" if status else message
        if reasons:
            detail = f"{detail} [{', '.join(reasons)}]"
        return reason or status, detail

    # -- plumbing --------------------------------------------------------------------------------

    def _url(self, *segments: str | int) -> str:
        return self._base_url + "".join("/" + segment(s) for s in segments)

    async def _exchange(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        read_back: Callable[[], Awaitable[T | None]] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        retry_conflicts: bool = True,
    ) -> httpx.Response | Recovered[T]:
        """BaseClient's exchange, plus: the bearer token, a raw `content` body, a per-call
        `timeout` and `retry` policy (uploads), one re-authentication after a 401, and bounded
        re-sends of a 409 concurrentUpdate (unless `retry_conflicts` is False: a conflict that
        only a new edit can get past is then the caller's to handle)."""
        policy = retry or self._retry
        per_attempt = timeout if timeout is not None else self._timeout
        reauthenticated = False
        conflicts = 0
        while True:
            token = await self._credentials.token()
            self._remember(token)
            all_headers = {
                **self._headers(),
                "Authorization": f"Bearer {token}",
                **(headers or {}),
            }
            outcome = await self._attempts(
                operation,
                policy,
                method,
                url,
                params=params,
                json=json,
                files=files,
                content=content,
                headers=all_headers,
                timeout=per_attempt,
                idempotent=idempotent,
                read_back=read_back,
            )
            if isinstance(outcome, httpx.Response):
                if outcome.status_code == 401 and not reauthenticated:
                    invalidate = getattr(self._credentials, "invalidate", None)
                    if invalidate is not None:
                        reauthenticated = True
                        invalidate(token)
                        continue
                if retry_conflicts and is_conflict(outcome) and conflicts < policy.max_attempts - 1:
                    conflicts += 1
                    await policy.sleep(policy.backoff(conflicts))
                    continue
            return outcome

    async def _attempts(
        self,
        operation: str,
        policy: RetryPolicy,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        json: Any,
        files: Any,
        content: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
        idempotent: bool,
        read_back: Callable[[], Awaitable[T | None]] | None,
    ) -> httpx.Response | Recovered[T]:
        async def send(budget: float) -> httpx.Response:
            request = self._http.build_request(
                method,
                url,
                params=params,
                json=json,
                files=files,
                content=content,
                headers=headers,
                timeout=min(timeout, budget),
            )
            return await self._http.send(request)

        try:
            return await send_with_retry(
                policy,
                send,
                label=f"{self.provider} {operation}",
                idempotent=idempotent,
                read_back=read_back,
            )
        except Exhausted as exhausted:
            raise self._exhausted(operation, exhausted) from None
        except httpx.HTTPError as error:
            raise self._fail(operation, detail=f"{type(error).__name__}: {error}") from None

    def _remember(self, token: str) -> None:
        if not self._tokens or self._tokens[-1].get_secret_value() != token:
            self._tokens = (*self._tokens, SecretStr(token))[-_KEEP_TOKENS:]


def is_conflict(response: httpx.Response) -> bool:
    """A 409 concurrentUpdate (status ABORTED): not processed; the resource changed meanwhile."""
    if response.status_code != 409:
        return False
    status, _, reasons, _ = google_error(json_body(response))
    return "concurrentUpdate" in reasons or status == "ABORTED"
