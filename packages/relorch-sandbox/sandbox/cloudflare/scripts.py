"""Worker scripts: list, and the all-at-once upload (`wrangler deploy`'s PUT)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.cloudflare import shapes
from sandbox.cloudflare.envelope import find_account, ok, request_source
from sandbox.cloudflare.model import Script
from sandbox.cloudflare.uploads import invalid, parse_upload
from sandbox.httputil import sandbox_state

SCRIPTS = "/accounts/{account_id}/workers/scripts"
SCRIPT_NAME = re.compile(r"^[a-z0-9_][a-z0-9-_]*$")


async def list_scripts(request: Request) -> Response:
    with sandbox_state(request).lock:
        account = find_account(request)
        return ok([shapes.script(s) for s in account.scripts.values()])


async def upload_script(request: Request) -> Response:
    """A PUT creates a version and deploys it to 100% at once, creating the script if new."""
    name = request.path_params["script_name"]
    if not SCRIPT_NAME.match(name):
        raise invalid(f"Invalid Worker name {name!r}")
    with sandbox_state(request).lock:
        find_account(request)  # fail on an unknown account before reading the body
    upload = await parse_upload(request, modules_only=False)
    state = sandbox_state(request)
    with state.lock:
        account = find_account(request)
        now = state.now()
        script = account.scripts.get(name)
        if script is None:
            script = account.scripts[name] = Script(name=name, created_on=now, modified_on=now)
        version = script.add_version(
            now,
            main_module=upload.main_module,
            modules=upload.modules,
            # Secrets are never removed by an upload; the upload's own ones win.
            secrets=script.secrets | upload.secrets,
            bindings=upload.bindings,
            compatibility_date=upload.compatibility_date,
            message=upload.message,
            tag=upload.tag,
            triggered_by="upload",
        )
        version.source = script.last_deployed_from = request_source(request)
        deployment = script.deploy(
            now, [(version.id, 100.0)], message=upload.message, triggered_by="upload"
        )
        deployment.source = version.source
        return ok(
            {
                **shapes.script(script),
                "startup_time_ms": 7,
                # wrangler reads the new version's id from this field.
                "deployment_id": version.id,
            }
        )


ROUTES = [
    Route(SCRIPTS, list_scripts, methods=["GET"]),
    Route(SCRIPTS + "/{script_name}", upload_script, methods=["PUT"]),
]
