"""The one clock flows and tasks read: the time now, a monotonic reading for deadlines, and sleep.

Nothing in `flows/` or `tasks/` calls `datetime.now()`, `time.time()`, `time.monotonic()` or
`asyncio.sleep()` itself, so a test can put a `ManualClock` in place (`use_clock`) and advance
policy durations instead of waiting them out. Heartbeats that other processes judge a holder
alive by (tasks/slots.py) read `SYSTEM`: liveness is a matter of real time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

__all__ = ["SYSTEM", "Clock", "ManualClock", "SystemClock", "clock", "now", "use_clock"]


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for deadlines."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """Time that moves only when told to — or when someone sleeps, by exactly that long."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, by: timedelta | float) -> None:
        seconds = by.total_seconds() if isinstance(by, timedelta) else float(by)
        if seconds < 0:
            raise ValueError("time does not go back")
        self._now += timedelta(seconds=seconds)
        self._elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is


SYSTEM = SystemClock()
_current: Clock = SYSTEM


def clock() -> Clock:
    return _current


def now(zone: tzinfo = UTC) -> datetime:
    """The clock's time now, in `zone` (UTC unless said)."""
    return _current.now().astimezone(zone)


@contextmanager
def use_clock(replacement: Clock) -> Iterator[Clock]:
    """Flows and tasks in this process read `replacement` for the block (process-wide: Prefect
    runs sync tasks in worker threads, which a context variable would not reach)."""
    global _current
    previous, _current = _current, replacement
    try:
        yield replacement
    finally:
        _current = previous
