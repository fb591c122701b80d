"""The public, unauthenticated Status API v2 of each page: /statuspage/{page}/api/v2/..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.httputil import sandbox_state
from sandbox.statuspage import shapes
from sandbox.statuspage.model import ACTIVE, UNRESOLVED, UPCOMING, Page

RECENT = 50  # incidents.json and scheduled-maintenances.json list the 50 most recent


def _page_route(path: str, build: Callable[[Page], dict[str, Any]]) -> Route:
    async def endpoint(request: Request) -> Response:
        state = sandbox_state(request)
        with state.lock:
            page = state.statuspage.page(request.path_params["page"], state.now())
            if page is None:
                return JSONResponse({"error": "Not Found"}, status_code=404)
            return JSONResponse(build(page))

    return Route("/{page}/api/v2/" + path, endpoint, methods=["GET"])


def _with_page(page: Page, **rest: Any) -> dict[str, Any]:
    return {"page": shapes.page_object(page), **rest}


def _maintenances(statuses: tuple[str, ...] | None, limit: int | None = None) -> Callable:
    def build(page: Page) -> dict[str, Any]:
        found = shapes.maintenances(page, statuses)[:limit]
        if statuses == UPCOMING:
            found.reverse()  # soonest first
        return _with_page(page, scheduled_maintenances=[shapes.event(page, m) for m in found])

    return build


def _incidents(statuses: tuple[str, ...] | None, limit: int | None = None) -> Callable:
    def build(page: Page) -> dict[str, Any]:
        found = shapes.incidents(page, statuses)[:limit]
        return _with_page(page, incidents=[shapes.event(page, i) for i in found])

    return build


ROUTES = [
    _page_route("summary.json", shapes.summary),
    _page_route("status.json", lambda page: _with_page(page, status=shapes.status(page))),
    _page_route(
        "components.json",
        lambda page: _with_page(
            page, components=[shapes.component(page, c) for c in page.components.values()]
        ),
    ),
    _page_route("incidents.json", _incidents(None, RECENT)),
    _page_route("incidents/unresolved.json", _incidents(UNRESOLVED)),
    _page_route("scheduled-maintenances.json", _maintenances(None, RECENT)),
    _page_route("scheduled-maintenances/upcoming.json", _maintenances(UPCOMING)),
    _page_route("scheduled-maintenances/active.json", _maintenances(ACTIVE)),
]
