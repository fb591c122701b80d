"""Sentry release health: per (project, release) a steady crash-free sessions rate, crash-free
users rate and session / user rates per hour, from the instant the control set them (sandbox
clock). Sessions over a window = sessions_per_hour x the window's hours that overlap."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Health", "SentryStore"]


@dataclass
class Health:
    project: str
    release: str
    crash_free_sessions: float  # fraction, 0.995 = 99.5 %
    crash_free_users: float
    sessions_per_hour: float
    users_per_hour: float
    since: datetime

    def sessions(self, start: datetime, end: datetime, now: datetime) -> float:
        return self.sessions_per_hour * self._hours(start, end, now)

    def users(self, start: datetime, end: datetime, now: datetime) -> float:
        return self.users_per_hour * self._hours(start, end, now)

    def _hours(self, start: datetime, end: datetime, now: datetime) -> float:
        lo, hi = max(start, self.since), min(end, now)
        return max(0.0, (hi - lo).total_seconds() / 3600)


@dataclass
class SentryStore:
    health: dict[tuple[str, str], Health] = field(default_factory=dict)  # (project, release)
