"""Admin API for the fake Sentry (under /_sandbox/sentry): release health per (project, release)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, number, text
from sandbox.clock import iso_seconds, parse_instant
from sandbox.httputil import sandbox_state
from sandbox.sentry.model import Health
from sandbox.state import SandboxState

__all__ = ["ROUTES", "set_health"]


def set_health(state: SandboxState, doc: dict[str, Any]) -> Health:
    """{project, release, crash_free_sessions, crash_free_users, sessions_per_hour,
    users_per_hour?, since?}: rates are fractions; `since` (ISO) defaults to now."""
    project = text(doc, "project", "")
    release = text(doc, "release", "")
    if not project or not release:
        raise AdminError("project and release are required")
    sessions_rate = number(doc, "crash_free_sessions", 1.0, low=0, high=1)
    users_rate = number(doc, "crash_free_users", sessions_rate, low=0, high=1)
    per_hour = number(doc, "sessions_per_hour", 0.0, low=0, high=10**9)
    users = number(doc, "users_per_hour", per_hour / 2, low=0, high=10**9)
    with state.lock:
        since: datetime = state.now()
        if doc.get("since"):
            try:
                since = parse_instant(text(doc, "since", ""))
            except ValueError as exc:
                raise AdminError(f"since is not an ISO instant: {exc}") from exc
        health = Health(project, release, sessions_rate, users_rate, per_hour, users, since)
        state.sentry.health[(project, release)] = health
        return health


async def put_health(request: Request) -> Response:
    doc = await admin_json(request)
    health = set_health(sandbox_state(request), doc)
    return JSONResponse(
        {
            "project": health.project,
            "release": health.release,
            "crash_free_sessions": health.crash_free_sessions,
            "crash_free_users": health.crash_free_users,
            "sessions_per_hour": health.sessions_per_hour,
            "users_per_hour": health.users_per_hour,
            "since": iso_seconds(health.since),
        }
    )


ROUTES = [Route("/health", put_health, methods=["PUT"])]
