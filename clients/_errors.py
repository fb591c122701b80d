"""The one exception family every client raises, and the redaction that keeps tokens out of it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["NotFoundError", "ProviderError", "redact"]

_REDACTED = "[REDACTED]"
# Servers and proxies sometimes echo the request's Authorization header back in an error body.
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=\-]{16,}")
_MAX_DETAIL = 1000


# A run of the characters tokens, keys and JWTs are made of, long enough to be part of one.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9._~+/\-]{12,}")  # "=" splits: token=<value>
_MIN_FRAGMENT = 12


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every occurrence of `secrets`, every piece of one (12 characters or more: what a
    tool that shortens a long answer — `cf-scenario-SECR...` — leaves of it), and anything
    shaped like an auth header value."""
    known = [s for s in secrets if len(s) >= 4]  # a shorter "secret" would shred ordinary words
    for secret in known:
        text = text.replace(secret, _REDACTED)
    long = [s for s in known if len(s) >= _MIN_FRAGMENT]
    if long:

        def piece(match: re.Match[str]) -> str:
            run = match.group(0)
            core = run.strip("._~+/-")  # a piece cut short ends in "..." or a separator
            if len(core) >= _MIN_FRAGMENT and any(core in s for s in long):
                return _REDACTED
            return run

        text = _TOKEN_RUN.sub(piece, text)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {_REDACTED}", text)


class ProviderError(Exception):
    """A provider call failed: an error answer, or no usable answer within the retry budget.

    `status` is the HTTP status (None when no answer came), `code` the provider's own error code
    (Cloudflare `errors[0].code`, GitHub GraphQL `errors[0].type`), `retry_after` the seconds the
    provider asked us to wait when it was rate limiting and the budget could not cover it.
    """

    def __init__(
        self,
        provider: str,
        operation: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        detail: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.operation = operation
        self.status = status
        self.code = code
        # Last line of defence: whatever built the detail, it never carries an auth header value.
        self.detail = redact(detail)[:_MAX_DETAIL]
        self.retry_after = retry_after
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.provider} {self.operation} failed"
        facts = []
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        if self.code is not None:
            facts.append(f"code {self.code}")
        if self.retry_after is not None:
            facts.append(f"retry after {self.retry_after:.0f}s")
        head = f"{where} ({', '.join(facts)})" if facts else where
        return f"{head}: {self.detail}" if self.detail else head

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message()!r})"

    # Keyword-only __init__ defeats Exception's default pickling, and Prefect pickles task failures.
    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._state()))

    def _state(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "operation": self.operation,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "retry_after": self.retry_after,
        }


class NotFoundError(ProviderError):
    """The provider answered 404 (or GraphQL NOT_FOUND): the thing asked for does not exist."""


def _rebuild(cls: type[ProviderError], state: dict[str, Any]) -> ProviderError:
    return cls(**state)
