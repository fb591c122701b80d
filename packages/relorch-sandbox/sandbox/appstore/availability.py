"""Where the app is on sale (App Store Connect 4.x): the app's availability and one
`territoryAvailabilities` resource per territory. `available: false` everywhere is "remove from
sale": the live version is removed and its phased release stops."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.appstore import shapes
from sandbox.appstore.common import answer, api_base, find_app, request_data, store_of
from sandbox.appstore.model import App
from sandbox.appstore.versions import take_off_sale
from sandbox.appstore.wire import AscError

__all__ = ["ROUTES"]


def _territory(app: App, code: str, base: str) -> dict[str, Any]:
    ident = f"{app.id}-{code}"
    return {
        "type": "territoryAvailabilities",
        "id": ident,
        "attributes": {
            "available": app.territories[code],
            "preOrderEnabled": False,
            "contentStatuses": ["AVAILABLE"],
        },
        "relationships": {"territory": {"data": {"type": "territories", "id": code}}},
        "links": {"self": f"{base}/territoryAvailabilities/{ident}"},
    }


async def app_availability(request: Request) -> Response:
    """GET /v1/apps/{id}/appAvailabilityV2: the availability's id is the app's."""
    state, store = store_of(request)
    with state.lock:
        app = find_app(store, request.path_params["id"])
        resource = {
            "type": "appAvailabilities",
            "id": app.id,
            "attributes": {"availableInNewTerritories": app.on_sale},
            "links": {
                "self": f"{api_base(request).removesuffix('/v1')}/v2/appAvailabilities/{app.id}"
            },
        }
        return answer(shapes.document(resource, str(request.url)))


async def territories(request: Request) -> Response:
    """GET /v2/appAvailabilities/{id}/territoryAvailabilities (one page holds them all)."""
    state, store = store_of(request)
    with state.lock:
        app = find_app(store, request.path_params["id"])
        base = api_base(request)
        data = [_territory(app, code, base) for code in app.territories]
        return answer(shapes.document(data, str(request.url)))


async def patch_territory(request: Request) -> Response:
    """PATCH /v1/territoryAvailabilities/{id} {available: bool}; none left available takes the
    app off sale (making one available again puts the app back, not its removed version)."""
    ident = request.path_params["id"]
    data = await request_data(request, "territoryAvailabilities", with_id=ident)
    available = (data.get("attributes") or {}).get("available")
    if not isinstance(available, bool):
        raise AscError(409, "available must be true or false.", code="ENTITY_ERROR")
    app_id, _, code = ident.rpartition("-")
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        app = find_app(store, app_id)
        if code not in app.territories:
            raise AscError(404, f"There is no territoryAvailabilities resource '{ident}'")
        app.territories[code] = available
        if not any(app.territories.values()):
            take_off_sale(store, app, now)
        elif available:
            app.on_sale = True
        return answer(shapes.document(_territory(app, code, api_base(request)), str(request.url)))


ROUTES = [
    Route("/v1/apps/{id}/appAvailabilityV2", app_availability, methods=["GET"]),
    Route("/v2/appAvailabilities/{id}/territoryAvailabilities", territories, methods=["GET"]),
    Route("/v1/territoryAvailabilities/{id}", patch_territory, methods=["PATCH"]),
]
