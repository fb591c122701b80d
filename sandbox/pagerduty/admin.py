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
    PRIORITIES,
    STATUSES,
    URGENCIES,
)


def _priority(doc: dict[str, Any]) -> str | None:
    value = doc.get("priority", "P1")
    if value is not None and value not in PRIORITIES:
        raise AdminError(f"priority must be null or one of {', '.join(PRIORITIES)}")
    return value


def _team_ids(doc: dict[str, Any]) -> list[str]:
    value = doc.get("team_ids") or []
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise AdminError("team_ids must be a list of team ids")
    return value


async def open_incident(request: Request) -> Response:
    """{title, priority: "P1".."P5"|null (default "P1"), status, urgency, created_at, id,
    service_id, service_name, team_ids} -> {"id", "incident"}."""
    doc = await admin_json(request)
    title = text(doc, "title", "")
    if not title:
        raise AdminError("title is required")
    priority = _priority(doc)
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
]
