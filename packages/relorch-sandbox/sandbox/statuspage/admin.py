"""Admin API for the fake status pages: post maintenances and incidents, move them along, and
set component statuses. Pages are addressed by key: "cloudflare" or "github"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, flag, text
from sandbox.clock import parse_instant
from sandbox.httputil import sandbox_state
from sandbox.state import SandboxState
from sandbox.statuspage import shapes
from sandbox.statuspage.model import (
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_IMPACTS,
    MAINTENANCE_STATUSES,
    Event,
    Page,
)


def _page(request: Request, state: SandboxState) -> Page:
    key = request.path_params["page"]
    page = state.statuspage.page(key, state.now())
    if page is None:
        known = ", ".join(state.statuspage.pages)
        raise AdminError(f"unknown status page {key!r} (known: {known})", status=404)
    return page


def _instant(doc: dict[str, Any], key: str) -> datetime:
    raw = doc.get(key)
    if not isinstance(raw, str) or not raw:
        raise AdminError(f"{key} is required (ISO 8601)")
    try:
        return parse_instant(raw)
    except ValueError as exc:
        raise AdminError(f"{key} is not an ISO 8601 instant: {exc}") from exc


def _component_ids(page: Page, doc: dict[str, Any]) -> list[str]:
    """Component names (or ids) to ids; a group's name stands for all its members."""
    names = doc.get("components") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AdminError("components must be a list of component names")
    ids: list[str] = []
    for name in names:
        found = page.find_component(name)
        if found is None:
            raise AdminError(f"no component {name!r} on the {page.key} page")
        ids.extend(found.children if found.group else [found.id])
    return list(dict.fromkeys(ids))


def _event(page: Page, state: SandboxState, doc: dict[str, Any], kind: str) -> Event:
    name = text(doc, "name", "")
    if not name:
        raise AdminError("name is required")
    now = state.now()
    ident = page.new_id(kind)
    return Event(
        id=ident,
        name=name,
        status="",
        impact="",
        created_at=now,
        updated_at=now,
        component_ids=_component_ids(page, doc),
        shortlink=page.shortlink(ident),
    )


async def post_maintenance(request: Request) -> Response:
    """{name, scheduled_for, scheduled_until, components: [names], status="scheduled",
    impact="maintenance", auto_transition=true, body?} -> {"id", "maintenance"}."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        event = _event(page, state, doc, "maintenance")
        event.scheduled_for = _instant(doc, "scheduled_for")
        event.scheduled_until = _instant(doc, "scheduled_until")
        if event.scheduled_until <= event.scheduled_for:
            raise AdminError("scheduled_until must be after scheduled_for")
        event.impact = choice(doc, "impact", MAINTENANCE_IMPACTS, "maintenance")
        event.auto_transition = flag(doc, "auto_transition", True)
        status = choice(doc, "status", MAINTENANCE_STATUSES, "scheduled")
        page.maintenances[event.id] = event
        page.record(event, status, event.created_at, text(doc, "body", "") or None)
        page.advance(state.now())
        return JSONResponse(
            {"id": event.id, "maintenance": shapes.event(page, event)}, status_code=201
        )


async def update_maintenance(request: Request) -> Response:
    """{status, body?} -> the maintenance."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        event = page.maintenances.get(request.path_params["event_id"])
        if event is None:
            raise AdminError("unknown maintenance", status=404)
        status = choice(doc, "status", MAINTENANCE_STATUSES, "")
        # Transitions already due have fired (when the page was read above): this status stands.
        page.record(event, status, state.now(), text(doc, "body", "") or None)
        return JSONResponse(shapes.event(page, event))


async def list_maintenances(request: Request) -> Response:
    """Every maintenance on the page, completed ones included, newest window first."""
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        return JSONResponse([shapes.event(page, m) for m in shapes.maintenances(page, None)])


async def post_incident(request: Request) -> Response:
    """{name, status="investigating", impact="major", components: [names], body?}
    -> {"id", "incident"}."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        event = _event(page, state, doc, "incident")
        event.impact = choice(doc, "impact", IMPACTS, "major")
        status = choice(doc, "status", INCIDENT_STATUSES, "investigating")
        page.incidents[event.id] = event
        page.record(event, status, event.created_at, text(doc, "body", "") or None)
        return JSONResponse(
            {"id": event.id, "incident": shapes.event(page, event)}, status_code=201
        )


async def update_incident(request: Request) -> Response:
    """{status, body?} -> the incident."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        event = page.incidents.get(request.path_params["event_id"])
        if event is None:
            raise AdminError("unknown incident", status=404)
        status = choice(doc, "status", INCIDENT_STATUSES, "")
        page.record(event, status, state.now(), text(doc, "body", "") or None)
        return JSONResponse(shapes.event(page, event))


async def set_component(request: Request) -> Response:
    """{component: name or id, status} -> the component (a group sets all its members)."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        page = _page(request, state)
        name = text(doc, "component", "")
        component = page.find_component(name) if name else None
        if component is None:
            raise AdminError(f"no component {name!r} on the {page.key} page", status=404)
        status = choice(doc, "status", COMPONENT_STATUSES, "")
        page.set_component_status(component, status, state.now())
        return JSONResponse(shapes.component(page, component))


ROUTES = [
    Route("/{page}/maintenances", post_maintenance, methods=["POST"]),
    Route("/{page}/maintenances", list_maintenances, methods=["GET"]),
    Route("/{page}/maintenances/{event_id}", update_maintenance, methods=["PUT"]),
    Route("/{page}/incidents", post_incident, methods=["POST"]),
    Route("/{page}/incidents/{event_id}", update_incident, methods=["PUT"]),
    Route("/{page}/components", set_component, methods=["PUT"]),
]
