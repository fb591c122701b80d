"""Admin API for the fake Cloudflare: create accounts and scripts, inspect deployments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, number
from sandbox.cloudflare import shapes
from sandbox.cloudflare.model import DEFAULT_RPS, Module, Script, digest, secret_digest
from sandbox.cloudflare.scripts import SCRIPT_NAME
from sandbox.httputil import sandbox_state
from sandbox.state import SandboxState

INITIAL_MODULE = b"export default { async fetch() { return new Response('ok'); } };\n"


def _secret_values(raw: Any) -> dict[str, str]:
    """Secrets as names (a placeholder value) or as a name -> value mapping."""
    if raw is None:
        return {}
    if isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        return {name: f"sandbox-{name.lower()}" for name in raw}
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        return dict(raw)
    raise AdminError("secrets must be a list of names or an object of name -> value")


def create_script(state: SandboxState, account_id: str, name: str, doc: dict[str, Any]) -> Script:
    """(Re)create a script whose first version is already deployed at 100%."""
    if not SCRIPT_NAME.match(name):
        raise AdminError(f"invalid script name {name!r}")
    secrets = {
        n: secret_digest({"name": n, "type": "secret_text", "text": v})
        for n, v in _secret_values(doc.get("secrets")).items()
    }
    rps = number(doc, "requests_per_second", DEFAULT_RPS, low=0.0, high=1e6)
    now = state.now()
    script = Script(name=name, created_on=now, modified_on=now, requests_per_second=rps)
    version = script.add_version(
        now,
        main_module="index.js",
        modules=[
            Module(
                "index.js",
                "application/javascript+module",
                len(INITIAL_MODULE),
                digest(INITIAL_MODULE),
            )
        ],
        secrets=secrets,
        bindings=[],
        compatibility_date="2025-01-01",
        message="initial version",
        tag=None,
        triggered_by="upload",
    )
    script.deploy(now, [(version.id, 100.0)], message="initial version", triggered_by="upload")
    state.cloudflare.ensure_account(account_id).scripts[name] = script
    return script


async def put_script(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        script = create_script(state, params["account_id"], params["script_name"], doc)
        version = script.latest_version
        live = script.live
        assert version is not None and live is not None
        return JSONResponse({"version_id": version.id, "deployment_id": live.id})


async def get_deployments(request: Request) -> Response:
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        script = state.cloudflare.script(params["account_id"], params["script_name"])
        if script is None:
            raise AdminError("unknown account or script", status=404)
        return JSONResponse([shapes.deployment(d) for d in reversed(script.deployments)])


async def get_versions(request: Request) -> Response:
    """Versions with their behaviour and secret names (admin view, newest first)."""
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        script = state.cloudflare.script(params["account_id"], params["script_name"])
        if script is None:
            raise AdminError("unknown account or script", status=404)
        return JSONResponse(
            [
                {
                    **shapes.version_short(v),
                    "behaviour": v.behaviour.to_json(),
                    "secrets": sorted(v.secrets),
                }
                for v in reversed(script.versions)
            ]
        )


SCRIPT = "/accounts/{account_id}/scripts/{script_name}"
ROUTES = [
    Route(SCRIPT, put_script, methods=["PUT"]),
    Route(SCRIPT + "/deployments", get_deployments, methods=["GET"]),
    Route(SCRIPT + "/versions", get_versions, methods=["GET"]),
]
