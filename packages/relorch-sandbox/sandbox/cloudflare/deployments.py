"""Worker deployments: which versions serve traffic, in what split. The newest one is live."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.cloudflare import shapes
from sandbox.cloudflare.envelope import find_script, not_found, ok, request_source
from sandbox.cloudflare.model import Script
from sandbox.cloudflare.uploads import invalid, truncate_message
from sandbox.errors import CF_ROLLBACK_SECRETS_CHANGED, CloudflareError
from sandbox.httputil import BadJson, json_body, sandbox_state

DEPLOYMENTS = "/accounts/{account_id}/workers/scripts/{script_name}/deployments"


def parse_split(script: Script, body: Any) -> list[tuple[str, float]]:
    """Check a deployment request the way the API does and return its (version, %) pairs."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    if body.get("strategy") != "percentage":
        raise invalid("strategy must be 'percentage'")
    versions = body.get("versions")
    if not isinstance(versions, list) or not 1 <= len(versions) <= 2:
        raise invalid("A deployment must have one or two versions")
    split: list[tuple[str, float]] = []
    for item in versions:
        if not isinstance(item, dict):
            raise invalid("versions[] items must be objects")
        vid, pct = item.get("version_id"), item.get("percentage")
        if not isinstance(vid, str) or isinstance(pct, bool) or not isinstance(pct, int | float):
            raise invalid("versions[] items need version_id (string) and percentage (number)")
        if not 0 <= pct <= 100:
            raise invalid("percentage must be within [0, 100]")
        if script.version(vid) is None:
            raise invalid(f"Version {vid} does not exist on Worker {script.name}")
        split.append((vid, float(pct)))
    if len({vid for vid, _ in split}) != len(split):
        raise invalid("A version may appear only once in a deployment")
    if not math.isclose(sum(p for _, p in split), 100.0, abs_tol=1e-6):
        raise invalid("Version percentages must sum to 100")
    return split


def changed_secrets(script: Script, split: list[tuple[str, float]]) -> list[str]:
    """Secrets a deployment would change by going back to a version older than the live code.

    Versions carry their secrets, so deploying an older one would silently undo a secret
    change; the API refuses that (code 10220) unless `force=true`. Newer versions may add or
    change secrets freely (that is how `--secrets-file` uploads work).
    """
    live = script.live
    if live is None:
        return []
    live_versions = [script.version(vid) for vid, _ in live.versions]
    current = max((v for v in live_versions if v), key=lambda v: v.number)
    changed: set[str] = set()
    for vid, _ in split:
        target = script.version(vid)
        if target is None or target.number >= current.number:
            continue
        names = set(target.secrets) | set(current.secrets)
        changed |= {n for n in names if target.secrets.get(n) != current.secrets.get(n)}
    return sorted(changed)


async def create_deployment(request: Request) -> Response:
    try:
        body = await json_body(request)
    except BadJson as exc:
        raise invalid("Malformed JSON in request body") from exc
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        split = parse_split(script, body)
        force = request.query_params.get("force", "").lower() == "true"
        changed = changed_secrets(script, split)
        if changed and not force:
            # Versions carry their secrets: deploying an older one would undo a secret change.
            raise CloudflareError(
                400,
                CF_ROLLBACK_SECRETS_CHANGED,
                f"The following secrets have changed: {', '.join(changed)}",
            )
        annotations = body.get("annotations") or {}
        message = annotations.get("workers/message") if isinstance(annotations, dict) else None
        message = truncate_message(message)
        deployment = script.deploy(state.now(), split, message=message, triggered_by="deployment")
        deployment.source = script.last_deployed_from = request_source(request)
        return ok(shapes.deployment(deployment))


async def list_deployments(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        return ok({"deployments": [shapes.deployment(d) for d in reversed(script.deployments)]})


async def get_deployment(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        wanted = request.path_params["deployment_id"]
        found = next((d for d in script.deployments if d.id == wanted), None)
        if found is None:
            raise not_found("Deployment")
        return ok(shapes.deployment(found))


ROUTES = [
    Route(DEPLOYMENTS, list_deployments, methods=["GET"]),
    Route(DEPLOYMENTS, create_deployment, methods=["POST"]),
    Route(DEPLOYMENTS + "/{deployment_id}", get_deployment, methods=["GET"]),
]
