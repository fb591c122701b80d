"""Script secrets. Changing one creates a version of the LIVE code and deploys it at once."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.cloudflare.envelope import find_script, not_found, ok
from sandbox.cloudflare.model import Script, secret_digest
from sandbox.cloudflare.uploads import invalid
from sandbox.errors import CF_SECRET_NEEDS_DEPLOYED_LATEST, CloudflareError
from sandbox.httputil import BadJson, json_body, note_log_body, sandbox_state
from sandbox.requestlog import redact_json
from sandbox.state import SandboxState

SECRETS = "/accounts/{account_id}/workers/scripts/{script_name}/secrets"


def _redeploy_with(state: SandboxState, script: Script, secrets: dict[str, str]) -> None:
    """Copy the live version with new secrets and deploy the copy to 100%.

    Refused (10215) unless the latest version is the one fully deployed: during a gradual
    deployment, or with an uploaded-but-undeployed version, there is no single "live code".
    """
    if not script.fully_deployed_latest():
        raise CloudflareError(
            400,
            CF_SECRET_NEEDS_DEPLOYED_LATEST,
            "Secret edit failed. You attempted to modify a secret, but the latest version of "
            "your Worker isn't currently deployed. Please ensure that the latest version of "
            "your Worker is fully deployed before modifying secrets.",
        )
    live = script.latest_version
    assert live is not None
    now = state.now()
    version = script.add_version(
        now,
        main_module=live.main_module,
        modules=list(live.modules),
        secrets=secrets,
        bindings=list(live.bindings),
        compatibility_date=live.compatibility_date,
        message=None,
        tag=None,
        triggered_by="secret",
        # Same code, so it behaves the same until told otherwise.
        behaviour=replace(live.behaviour),
    )
    script.deploy(now, [(version.id, 100.0)], message=None, triggered_by="secret")


async def list_secrets(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        return ok([{"name": n, "type": "secret_text"} for n in sorted(script.secrets)])


async def get_secret(request: Request) -> Response:
    with sandbox_state(request).lock:
        name = request.path_params["secret_name"]
        if name not in find_script(request).secrets:
            raise not_found("Secret")
        return ok({"name": name, "type": "secret_text"})


async def put_secret(request: Request) -> Response:
    try:
        body = await json_body(request)
    except BadJson as exc:
        raise invalid("Malformed JSON in request body") from exc
    note_log_body(request, redact_json(body))
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    name, text, kind = body.get("name"), body.get("text"), body.get("type", "secret_text")
    if not isinstance(name, str) or not name:
        raise invalid("name is required")
    if kind != "secret_text":
        raise invalid("The sandbox supports type 'secret_text' only")
    if not isinstance(text, str):
        raise invalid("text is required")
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        secrets = script.secrets | {name: secret_digest(body)}
        _redeploy_with(state, script, secrets)
        return ok({"name": name, "type": "secret_text"})


async def delete_secret(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        name = request.path_params["secret_name"]
        if name not in script.secrets:
            raise not_found("Secret")
        secrets = {k: v for k, v in script.secrets.items() if k != name}
        _redeploy_with(state, script, secrets)
        return ok(None)


ROUTES = [
    Route(SECRETS, list_secrets, methods=["GET"]),
    Route(SECRETS, put_secret, methods=["PUT"]),
    Route(SECRETS + "/{secret_name}", get_secret, methods=["GET"]),
    Route(SECRETS + "/{secret_name}", delete_secret, methods=["DELETE"]),
]
