"""Sentry release health: crash-free rates and session counts of one release over a window
(`GET /api/0/organizations/{org}/sessions/`, docs.sentry.io "Retrieve Release Health Session
Statistics"). The iOS gate reads this: Apple's own analytics arrive days late."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from clients._app_store_models import ReleaseHealth
from clients._base import TokenClient, json_body

__all__ = ["SentrySessionsClient"]

_SESSIONS = "sum(session)"
_CRASH_FREE_SESSIONS = "crash_free_rate(session)"
_CRASH_FREE_USERS = "crash_free_rate(user)"
_USERS = "count_unique(user)"
_FIELDS = (_SESSIONS, _CRASH_FREE_SESSIONS, _CRASH_FREE_USERS, _USERS)


class SentrySessionsClient(TokenClient):
    """Sentry at `base_url` (https://sentry.io or the sandbox's `/sentry`), with an auth token
    (`Bearer`) holding `org:read`."""

    provider = "sentry"
    extra_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, str) and detail:
            return None, detail
        return None, self._excerpt(response.text)

    async def release_health(
        self,
        organization: str,
        project: str | int,
        release: str,
        *,
        start: datetime,
        end: datetime,
    ) -> ReleaseHealth:
        """Totals of `release` in `project` over [start, end): crash-free session and user rates
        (fractions; None when there were no sessions to rate), sessions, distinct users.
        No sessions at all (no group in the answer) is zero sessions, not an error."""
        op = "release_health"
        if end <= start:
            raise ValueError("end must be after start")
        query = [
            *(("field", field) for field in _FIELDS),
            ("project", str(project)),
            ("query", f'release:"{_quoted(release)}"'),
            ("start", _iso(start)),
            ("end", _iso(end)),
            ("interval", "1h"),
        ]
        # Repeated `field` parameters: httpx's mapping params cannot say them, a query string can.
        url = self._url("api", "0", "organizations", organization, "sessions") + "/"
        response = await self._call(op, "GET", f"{url}?{urlencode(query)}")
        with self._parsing(op):
            groups = response.json()["groups"]
            if not groups:
                return ReleaseHealth(
                    crash_free_sessions=None, crash_free_users=None, sessions=0, users=0
                )
            totals: dict[str, Any] = groups[0]["totals"]
            users = totals.get(_USERS)
            return ReleaseHealth(
                crash_free_sessions=_rate(totals.get(_CRASH_FREE_SESSIONS)),
                crash_free_users=_rate(totals.get(_CRASH_FREE_USERS)),
                sessions=int(totals.get(_SESSIONS) or 0),
                users=int(users) if users is not None else None,
            )


def _rate(value: Any) -> float | None:
    return float(value) if value is not None else None


def _quoted(release: str) -> str:
    """A release name inside Sentry's search quotes."""
    return release.replace("\\", "\\\\").replace('"', '\\"')


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
