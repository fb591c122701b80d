"""Worker "services" and script settings: what `wrangler deploy` reads and patches around an upload.

- `GET /accounts/{a}/workers/services/{name}`: the Worker as a service with its default
  environment. wrangler reads `default_environment.script.{tag, tags, last_deployed_from}` first;
  a 404 with code **10090** (`workers.api.error.service_not_found`) means "first deploy", and
  wrangler then uploads with `PUT .../scripts/{name}` instead of versions + deployments.
- `GET/PATCH .../scripts/{name}/script-settings`: non-versioned settings (logpush,
  tail_consumers, observability, tags). wrangler PATCHes them after a versions-API deploy.
- `GET .../scripts/{name}/settings`: the live version's settings (bindings, compatibility, ...).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.clock import iso_micro
from sandbox.cloudflare import shapes
from sandbox.cloudflare.envelope import find_account, find_script, ok
from sandbox.cloudflare.model import Script, Version
from sandbox.cloudflare.uploads import invalid
from sandbox.errors import CloudflareError
from sandbox.httputil import BadJson, json_body, sandbox_state

CF_SERVICE_NOT_FOUND = 10090  # what the services endpoint answers for an unknown Worker
SCRIPT = "/accounts/{account_id}/workers/scripts/{script_name}"
SETTINGS_FIELDS = ("logpush", "tail_consumers", "observability", "tags")


def service(script: Script) -> dict[str, Any]:
    """A Worker as the services API shows it: one default environment holding the script."""
    created, modified = iso_micro(script.created_on), iso_micro(script.modified_on)
    script_doc = {
        **shapes.script(script),
        "tags": list(script.settings.get("tags") or []),
        "usage_model": "standard",
    }
    return {
        "id": script.name,
        "default_environment": {
            "environment": "production",
            "created_on": created,
            "modified_on": modified,
            "script": script_doc,
        },
        "created_on": created,
        "modified_on": modified,
        "usage_model": "standard",
        "environments": [
            {"environment": "production", "created_on": created, "modified_on": modified}
        ],
    }


async def get_service(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_account(request).scripts.get(request.path_params["script_name"])
        if script is None:
            raise CloudflareError(404, CF_SERVICE_NOT_FOUND, "workers.api.error.service_not_found")
        return ok(service(script))


def script_settings(script: Script) -> dict[str, Any]:
    return {name: script.settings.get(name) for name in SETTINGS_FIELDS}


async def get_script_settings(request: Request) -> Response:
    with sandbox_state(request).lock:
        return ok(script_settings(find_script(request)))


def _checked_settings(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    changes = {k: v for k, v in body.items() if k in SETTINGS_FIELDS}
    if "logpush" in changes and not isinstance(changes["logpush"], bool | None):
        raise invalid("logpush must be a boolean")
    if "tags" in changes:
        tags = changes["tags"] = changes["tags"] or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise invalid("tags must be a list of strings")
    if "tail_consumers" in changes and not isinstance(changes["tail_consumers"], list | None):
        raise invalid("tail_consumers must be a list")
    if "observability" in changes:
        observability = changes["observability"]
        if observability is not None and not (
            isinstance(observability, dict) and isinstance(observability.get("enabled"), bool)
        ):
            raise invalid("observability must be an object with a boolean 'enabled'")
    return changes


async def patch_script_settings(request: Request) -> Response:
    """A merge: fields left out keep their value (wrangler omits unset ones)."""
    try:
        body = await json_body(request)
    except BadJson as exc:
        raise invalid("Malformed JSON in request body") from exc
    changes = _checked_settings(body)
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        script.settings.update(changes)
        return ok(script_settings(script))


def _live_version(script: Script) -> Version | None:
    """The version serving most of the traffic (the newest one on a tie)."""
    live = script.live
    if live is None:
        return script.latest_version
    versions = [(pct, script.version(vid)) for vid, pct in live.versions]
    candidates = [(pct, v.number, v) for pct, v in versions if v is not None]
    return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


async def get_settings(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        version = _live_version(script)
        bindings: list[dict[str, Any]] = []
        if version is not None:
            bindings = list(version.bindings) + [
                {"name": n, "type": "secret_text"} for n in sorted(version.secrets)
            ]
        return ok(
            {
                **script_settings(script),
                "bindings": bindings,
                "compatibility_date": version.compatibility_date if version else None,
                "compatibility_flags": [],
                "placement": {},
                "usage_model": "standard",
            }
        )


ROUTES = [
    Route("/accounts/{account_id}/workers/services/{script_name}", get_service, methods=["GET"]),
    Route(SCRIPT + "/script-settings", get_script_settings, methods=["GET"]),
    Route(SCRIPT + "/script-settings", patch_script_settings, methods=["PATCH"]),
    Route(SCRIPT + "/settings", get_settings, methods=["GET"]),
]
