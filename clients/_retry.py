"""Retry policy and the one retry loop every client request goes through, built from tenacity.

Which answers are worth sending again is the client's call (`BaseClient._retry_on`, a hook
returning a `Retry` or None); how long to wait and when to stop is the policy's, the same for
every client: tenacity's `wait_exponential_jitter` unless the server said `Retry-After`, stopped
by `stop_after_attempt` or by a deadline that the next wait would pass.

Reads are re-sent on any retryable outcome. Writes are not: when a write's answer is lost (5xx,
timeout, transport error after the request may have left) the loop asks the caller's `read_back`
whether the write took effect before it sends again. 429 means "not processed", so it is re-sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Generic, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

__all__ = ["Exhausted", "Recovered", "Retry", "RetryPolicy", "send_with_retry", "transient"]

log = logging.getLogger("clients")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
R = TypeVar("R")


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Retry:
    """A client's verdict on one answer: worth sending again. `lost`: the request may have been
    processed (a 5xx), so a write is read back first; not lost (429, a conflict): it was not."""

    retry_after: float | None = None
    lost: bool = False


Classify = Callable[[httpx.Response], "Retry | None"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded in attempts and in total elapsed time (waits and request timeouts included).

    `sleep` and `clock` are the seams tests use to run the whole schedule without waiting
    (tenacity's own `stop_after_delay` reads the real monotonic clock, hence our deadline stop).
    """

    max_attempts: int = 6
    max_total_s: float = 30.0
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    sleep: Sleep = field(default=_sleep, repr=False, compare=False, kw_only=True)
    clock: Clock = field(default=time.monotonic, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_s <= 0:
            raise ValueError("max_total_s must be positive")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("need 0 <= base_delay_s <= max_delay_s")

    def wait(self) -> wait_base:
        """`Retry-After` when the answer carried one, else capped exponential backoff with
        jitter (so that clients failing together do not retry together)."""
        half = self.base_delay_s / 2
        return _wait_retry_after(
            wait_exponential_jitter(multiplier=half, jitter=half, max=self.max_delay_s)
        )


@dataclass(frozen=True)
class Recovered(Generic[R]):
    """A write whose answer was lost, found to have taken effect by reading the provider back."""

    value: R


class _Retryable(Exception):
    """One attempt's retryable outcome, carried through tenacity to the wait and stop hooks."""

    def __init__(
        self,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        retry_after: float | None = None,
        lost: bool,
    ) -> None:
        super().__init__("retryable outcome")
        self.response = response
        self.error = error
        self.retry_after = retry_after
        self.lost = lost  # the request may have been processed; its answer did not reach us


class Exhausted(Exception):
    """The loop stopped without a usable answer; the client turns this into a ProviderError."""

    def __init__(self, last: _Retryable, attempts: int, reason: str) -> None:
        super().__init__(reason)
        self.response = last.response
        self.error = last.error
        self.retry_after = last.retry_after
        self.attempts = attempts
        self.reason = reason


class _wait_retry_after(wait_base):
    def __init__(self, fallback: wait_base) -> None:
        self._fallback = fallback

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome is not None else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return error.retry_after
        return self._fallback(retry_state)


class _stop_before_deadline(stop_base):
    """A wait that would end past the deadline leaves no time for the next attempt: a server
    asking for more than the budget holds gets its answer now, not at the deadline."""

    def __init__(self, clock: Clock, deadline: float) -> None:
        self._clock = clock
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._clock() + retry_state.upcoming_sleep >= self._deadline


class _stop_if_unsafe(stop_base):
    """A write whose answer was lost, with no way to read it back, is never sent again."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        return _outcome(retry_state).lost


# The innermost loop's deadline, so that a read-back made inside a write's loop spends the write's
# remaining budget instead of starting a fresh one.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "clients_retry_deadline", default=None
)

# These fail before a byte of the request is on the wire: re-sending cannot duplicate a write.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait in `Retry-After` (a delta or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def transient(response: httpx.Response) -> Retry | None:
    """The faults worth a retry at any provider: 429 (not processed) and 5xx (maybe processed)."""
    if response.status_code == 429:
        return Retry(retry_after=retry_after_seconds(response), lost=False)
    if response.status_code >= 500:
        return Retry(retry_after=retry_after_seconds(response), lost=True)
    return None


async def send_with_retry(
    policy: RetryPolicy,
    send: Callable[[float], Awaitable[httpx.Response]],
    *,
    classify: Classify = transient,
    label: str,
    idempotent: bool = True,
    read_back: Callable[[], Awaitable[R | None]] | None = None,
) -> httpx.Response | Recovered[R]:
    """Send until `classify` finds the answer not worth another attempt (2xx, most 4xx).

    `send(budget)` performs one attempt; `budget` is the time left, for the request timeout.
    With `idempotent=False` a lost answer is followed by `read_back()`: a value means the write
    took effect (returned as `Recovered`), None means it did not and the write is sent again.
    Without a `read_back`, a non-idempotent request whose answer was lost is never re-sent.
    Raises `Exhausted` when attempts or time run out.
    """
    deadline = policy.clock() + policy.max_total_s
    outer = _DEADLINE.get()
    if outer is not None:
        deadline = min(deadline, outer)
    token = _DEADLINE.set(deadline)
    pending_check = False

    async def attempt() -> httpx.Response | Recovered[R]:
        nonlocal pending_check
        if pending_check and read_back is not None:
            found = await read_back()
            if found is not None:
                log.info("%s: answer was lost but the write took effect", label)
                return Recovered(found)
            pending_check = False
        try:
            response = await send(max(deadline - policy.clock(), 0.001))
        except httpx.TransportError as error:
            outcome = _Retryable(error=error, lost=not isinstance(error, _NOT_SENT))
        else:
            verdict = classify(response)
            if verdict is None:
                return response
            outcome = _Retryable(
                response=response, retry_after=verdict.retry_after, lost=verdict.lost
            )
        pending_check = outcome.lost and not idempotent
        raise outcome

    def before_sleep(state: RetryCallState) -> None:
        outcome = _outcome(state)
        what = (
            f"HTTP {outcome.response.status_code}"
            if outcome.response is not None
            else type(outcome.error).__name__
        )
        log.warning(
            "%s: %s on attempt %d; retrying in %.2fs",
            label,
            what,
            state.attempt_number,
            state.upcoming_sleep,
        )

    stop = stop_after_attempt(policy.max_attempts) | _stop_before_deadline(policy.clock, deadline)
    if not idempotent and read_back is None:
        stop = stop | _stop_if_unsafe()
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(_Retryable),
        wait=policy.wait(),
        stop=stop,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except _Retryable as last:
        attempts = retrying.statistics.get("attempt_number", 1)
        raise Exhausted(last, attempts, _reason(last, idempotent, read_back is None)) from None
    finally:
        _DEADLINE.reset(token)


def _outcome(state: RetryCallState) -> _Retryable:
    assert state.outcome is not None
    error = state.outcome.exception()
    assert isinstance(error, _Retryable)
    return error


def _reason(last: _Retryable, idempotent: bool, no_read_back: bool) -> str:
    if last.lost and not idempotent:
        if no_read_back:
            return "the answer was lost and the request is not safe to repeat"
        return "the answer was lost and the budget ran out before it could be read back"
    if last.retry_after is not None:
        return "rate limited"
    return "no usable answer within the retry budget"
