"""Apps (created through the admin API): GET /v1/apps?filter[bundleId]= and GET /v1/apps/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.appstore import shapes
from sandbox.appstore.common import answer, api_base, filter_values, find_app, store_of

__all__ = ["ROUTES"]


async def list_apps(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        apps = sorted(store.apps.values(), key=lambda a: a.id)
        for name, value in (
            ("bundleId", lambda a: a.bundle_id),
            ("sku", lambda a: a.sku),
            ("id", lambda a: a.id),
        ):
            wanted = filter_values(request, name)
            if wanted is not None:
                apps = [a for a in apps if value(a) in wanted]
        base = api_base(request)
        return answer(shapes.document([shapes.app(a, base) for a in apps], str(request.url)))


async def get_app(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        app = find_app(store, request.path_params["id"])
        return answer(shapes.document(shapes.app(app, api_base(request)), str(request.url)))


ROUTES = [
    Route("/v1/apps", list_apps, methods=["GET"]),
    Route("/v1/apps/{id}", get_app, methods=["GET"]),
]
