"""Admin API for the fake PagerDuty: open incidents, acknowledge and resolve them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, text
from sandbox.clock import parse_instant
from sandbox.httputil import origin, sandbox_state
from sandbox.pagerduty import shapes
from sandbox.pagerduty.model import (
    DEFAULT_SERVICE_ID,
    DEFAULT_SERVICE_NAME,
    STATUSES,
    URGENCIES,
)


def _priority(doc: dict[str, Any], known: dict[str, str]) -> str | None:
    value = doc.get("priority", next(iter(known)))
    if value is not None and value not in known:
        raise AdminError(f"priority must be null or one of the account's: {', '.join(known)}")
    return value


def _team_ids(doc: dict[str, Any]) -> list[str]:
    value = doc.get("team_ids") or []
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise AdminError("team_ids must be a list of team ids")
    return value


async def open_incident(request: Request) -> Response:
    """{title, priority: one of the account's names ("P1".."P5" by default) | null (default the
    highest), status, urgency, created_at, id, service_id, service_name, team_ids}
    -> {"id", "incident"}."""
    doc = await admin_json(request)
    title = text(doc, "title", "")
    if not title:
        raise AdminError("title is required")
    status = choice(doc, "status", STATUSES, "triggered")
    urgency = choice(doc, "urgency", URGENCIES, "high")
    created_raw = text(doc, "created_at", "")
    try:
        created_at = parse_instant(created_raw) if created_raw else None
    except ValueError as exc:
        raise AdminError(f"created_at is not an ISO 8601 instant: {exc}") from exc
    wanted_id = text(doc, "id", "") or None
    service_id = text(doc, "service_id", DEFAULT_SERVICE_ID)
    service_name = text(
        doc,
        "service_name",
        DEFAULT_SERVICE_NAME if service_id == DEFAULT_SERVICE_ID else service_id,
    )
    state = sandbox_state(request)
    with state.lock:
        priority = _priority(doc, state.pagerduty.priorities)
        if wanted_id is not None and wanted_id in state.pagerduty.incidents:
            raise AdminError(f"incident {wanted_id} already exists", status=409)
        incident = state.pagerduty.open(
            now=state.now(),
            title=title,
            status=status,
            urgency=urgency,
            priority=priority,
            created_at=created_at,
            incident_id_=wanted_id,
            service_id=service_id,
            service_name=service_name,
            team_ids=_team_ids(doc),
        )
        body = shapes.incident(f"{origin(request)}/pagerduty", incident)
        return JSONResponse({"id": incident.id, "incident": body}, status_code=201)


async def update_incident(request: Request) -> Response:
    """{status: triggered|acknowledged|resolved} -> the incident in the API's shape."""
    doc = await admin_json(request)
    status = choice(doc, "status", STATUSES, "")
    state = sandbox_state(request)
    with state.lock:
        incident = state.pagerduty.incidents.get(request.path_params["incident_id"])
        if incident is None:
            raise AdminError("unknown incident", status=404)
        state.pagerduty.set_status(incident, status, state.now())
        return JSONResponse(shapes.incident(f"{origin(request)}/pagerduty", incident))


async def set_priorities(request: Request) -> Response:
    """{names: ["SEV1", "SEV2", ...]}: the account's priority names, highest first."""
    doc = await admin_json(request)
    names = doc.get("names")
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and n.strip() for n in names)
        or len(set(names)) != len(names)
    ):
        raise AdminError("names must be a non-empty list of distinct priority names")
    state = sandbox_state(request)
    with state.lock:
        state.pagerduty.set_priorities(names)
        return JSONResponse({"priorities": state.pagerduty.priorities})


async def list_incidents(request: Request) -> Response:
    """Every incident, any status or age (the API's 30-day default window does not apply)."""
    state = sandbox_state(request)
    with state.lock:
        api = f"{origin(request)}/pagerduty"
        return JSONResponse([shapes.incident(api, item) for item in state.pagerduty.ordered()])


ROUTES = [
    Route("/incidents", open_incident, methods=["POST"]),
    Route("/incidents", list_incidents, methods=["GET"]),
    Route("/incidents/{incident_id}", update_incident, methods=["PUT"]),
    Route("/priorities", set_priorities, methods=["PUT"]),
]
