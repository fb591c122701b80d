"""A release's crash-free sessions and users, from the source the policy names (`sessions.kind`).

Sentry's sessions API is the one built; another source (Crashlytics through its BigQuery export,
Bugsnag's stability API) is one more `SessionsReader` in `READERS` and one more `kind` in the
policy's `SessionsSource` — the gate (`procedure.ios.sessions_verdict`) does not change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from prefect import task
from prefect.cache_policies import NO_CACHE

from procedure.ios import SessionsSample
from procedure.policy import IosApp, SessionsSource
from tasks.providers import sentry

__all__ = ["READERS", "SessionsReader", "read_sessions"]


class SessionsReader(Protocol):
    async def __call__(
        self, source: SessionsSource, release: str, start: datetime, end: datetime
    ) -> SessionsSample: ...


async def _sentry(
    source: SessionsSource, release: str, start: datetime, end: datetime
) -> SessionsSample:
    async with sentry(source.base_url) as client:
        got = await client.release_health(
            source.organization, source.project, release, start=start, end=end
        )
    return SessionsSample(got.crash_free_sessions, got.crash_free_users, got.sessions)


READERS: dict[str, SessionsReader] = {"sentry": _sentry}


@task(name="read crash-free sessions", retries=0, cache_policy=NO_CACHE)
async def read_sessions(
    app: IosApp, release: str, start: datetime, end: datetime
) -> SessionsSample:
    """The release's crash-free sessions and users over [start, end] from the policy's source."""
    return await READERS[app.sessions.kind](app.sessions, release, start, end)
