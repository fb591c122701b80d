"""GET /incidents and GET /incidents/{id}, with List Incidents' query semantics.

The pitfall is kept: without `date_range=all` (or an explicit `since`), only incidents created in
the last 30 days are listed, so an incident acknowledged five weeks ago silently disappears.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.clock import parse_instant
from sandbox.httputil import origin, sandbox_state
from sandbox.pagerduty import shapes
from sandbox.pagerduty.model import STATUSES, URGENCIES, Incident
from sandbox.pagerduty.wire import pagerduty_body

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=183)  # "Maximum range is 6 months"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000


class _Invalid(Exception):
    """A query PagerDuty would refuse with 400 (code 2001)."""


def api_url(request: Request) -> str:
    return f"{origin(request)}/pagerduty"


def _integer(query: QueryParams, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _Invalid(f"{name} must be an integer") from None


def _choices(query: QueryParams, name: str, allowed: tuple[str, ...]) -> set[str]:
    values = set(query.getlist(name))
    unknown = values - set(allowed)
    if unknown:
        raise _Invalid(f"{name} has invalid value(s): {', '.join(sorted(unknown))}")
    return values


def _instant(query: QueryParams, name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return parse_instant(raw)
    except ValueError:
        raise _Invalid(f"{name} is not a valid date") from None


def _window(query: QueryParams, now: datetime) -> tuple[datetime, datetime] | None:
    """The created_at range to list, or None for `date_range=all`."""
    date_range = query.get("date_range")
    if date_range == "all":
        return None
    if date_range:
        raise _Invalid("date_range must be 'all'")
    since, until = _instant(query, "since"), _instant(query, "until")
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since > until:
        raise _Invalid("since must be before until")
    if until - since > MAX_WINDOW:
        raise _Invalid("the date range may span at most 6 months")
    return since, until


def _matches(
    item: Incident,
    *,
    statuses: set[str],
    urgencies: set[str],
    services: set[str],
    teams: set[str],
    window: tuple[datetime, datetime] | None,
) -> bool:
    if statuses and item.status not in statuses:
        return False
    if urgencies and item.urgency not in urgencies:
        return False
    if services and item.service_id not in services:
        return False
    if teams and not teams.intersection(item.team_ids):
        return False
    return window is None or window[0] <= item.created_at <= window[1]


async def list_incidents(request: Request) -> Response:
    query = request.query_params
    state = sandbox_state(request)
    try:
        statuses = _choices(query, "statuses[]", STATUSES)
        urgencies = _choices(query, "urgencies[]", URGENCIES)
        limit = min(_integer(query, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        offset = _integer(query, "offset", 0)
        if limit < 1 or offset < 0:
            raise _Invalid("limit must be positive and offset non-negative")
        if offset + limit > MAX_OFFSET_PLUS_LIMIT:
            raise _Invalid(f"offset + limit must not exceed {MAX_OFFSET_PLUS_LIMIT}")
        with state.lock:
            window = _window(query, state.now())
            matching = [
                item
                for item in state.pagerduty.ordered()
                if _matches(
                    item,
                    statuses=statuses,
                    urgencies=urgencies,
                    services=set(query.getlist("service_ids[]")),
                    teams=set(query.getlist("team_ids[]")),
                    window=window,
                )
            ]
            page = matching[offset : offset + limit]
            api = api_url(request)
            body = {
                "incidents": [shapes.incident(api, item) for item in page],
                "limit": limit,
                "offset": offset,
                "more": offset + len(page) < len(matching),
                "total": len(matching) if query.get("total") == "true" else None,
            }
    except _Invalid as exc:
        return JSONResponse(pagerduty_body(400, errors=[str(exc)]), status_code=400)
    return JSONResponse(body)


async def get_incident(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        item = state.pagerduty.incidents.get(request.path_params["incident_id"])
        if item is None:
            return JSONResponse(pagerduty_body(404), status_code=404)
        return JSONResponse({"incident": shapes.incident(api_url(request), item)})


ROUTES = [
    Route("/incidents", list_incidents, methods=["GET"]),
    Route("/incidents/{incident_id}", get_incident, methods=["GET"]),
]
