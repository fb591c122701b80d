"""Admin API for the sample Worker: per-version behaviour and the script's traffic level."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, number
from sandbox.cloudflare.model import Behaviour
from sandbox.httputil import sandbox_state


async def put_behaviour(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        script = state.cloudflare.find_script(request.path_params["script_name"])
        version = script.version(request.path_params["version_id"]) if script else None
        if version is None:
            raise AdminError("unknown script or version", status=404)
        rate = number(doc, "error_rate", 0.0, low=0.0, high=1.0)
        version.behaviour = Behaviour(
            health=choice(doc, "health", ("ok", "fail"), "ok"),
            error_rate=rate,
            key_flow=choice(doc, "key_flow", ("ok", "fail"), "ok"),
        )
        version.set_error_rate(state.now(), rate)  # from now on: analytics keep the history
        return JSONResponse({"version_id": version.id, **version.behaviour.to_json()})


async def put_traffic(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        script = state.cloudflare.find_script(request.path_params["script_name"])
        if script is None:
            raise AdminError("unknown script", status=404)
        if "requests_per_second" not in doc:
            raise AdminError("requests_per_second is required")
        script.requests_per_second = number(doc, "requests_per_second", 0.0, low=0.0, high=1e6)
        return JSONResponse(
            {"script": script.name, "requests_per_second": script.requests_per_second}
        )


ROUTES = [
    Route("/{script_name}/versions/{version_id}/behaviour", put_behaviour, methods=["PUT"]),
    Route("/{script_name}/traffic", put_traffic, methods=["PUT"]),
]
