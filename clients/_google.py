"""What the Google API clients share: a bearer token from the credentials on every attempt,
Google's error shape, and a 409 concurrentUpdate counted among the retryable answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

import httpx

from clients._auth import AccessTokenSource, SourcedAuth
from clients._base import BaseClient, Options, json_body
from clients._retry import Retry, transient

__all__ = ["AccessTokenSource", "GoogleApiClient", "google_error", "is_conflict"]


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

    The token is asked of the credentials (which cache it) before each attempt; a 401 drops it
    and the request is made once more with a fresh one (the SourcedAuth flow). Besides 429 and
    5xx, a 409 `concurrentUpdate` (or status ABORTED) means "not processed" and is retried by the
    same loop. `aclose()` also lets the credentials drop their connections (they reopen on the
    next refresh).
    """

    extra_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    default_timeout: ClassVar[float] = 30.0

    def __init__(
        self, base_url: str, credentials: AccessTokenSource, **options: Unpack[Options]
    ) -> None:
        super().__init__(base_url, auth=SourcedAuth(credentials), **options)
        self._credentials = credentials

    async def aclose(self) -> None:
        await super().aclose()
        close = getattr(self._credentials, "aclose", None)
        if close is not None:
            await close()

    # -- hooks -----------------------------------------------------------------------------------

    def _retry_on(self, response: httpx.Response) -> Retry | None:
        if is_conflict(response):
            return Retry(lost=False)
        return transient(response)

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        status, reason, reasons, message = google_error(json_body(response))
        if status is None and reason is None and not message:
            return None, self._excerpt(response.text)
        detail = f"{status}: {message}" if status else message
        if reasons:
            detail = f"{detail} [{', '.join(reasons)}]"
        return reason or status, detail


def is_conflict(response: httpx.Response) -> bool:
    """A 409 concurrentUpdate (status ABORTED): not processed; the resource changed meanwhile."""
    if response.status_code != 409:
        return False
    status, _, reasons, _ = google_error(json_body(response))
    return "concurrentUpdate" in reasons or status == "ABORTED"
