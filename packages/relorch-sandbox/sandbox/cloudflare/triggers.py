"""Worker triggers wrangler publishes after an upload: the workers.dev route and cron schedules.

- `GET/PUT /accounts/{a}/workers/subdomain`: the account's workers.dev subdomain. An account
  without one answers 10007, which makes a non-interactive `wrangler deploy` give up unless the
  Worker has routes (the sandbox registers `sandbox` for every account).
- `GET/POST/DELETE .../scripts/{s}/subdomain`: `{enabled, previews_enabled}` for one Worker.
  `previews_enabled` follows `enabled` when left out (API date 2025-08-01 behaviour).
- `GET/PUT .../scripts/{s}/schedules`: cron triggers, replaced as a whole by a PUT.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.clock import iso_micro
from sandbox.cloudflare.envelope import find_account, find_script, ok
from sandbox.cloudflare.model import Script
from sandbox.cloudflare.uploads import invalid
from sandbox.errors import CF_NOT_FOUND, CloudflareError
from sandbox.httputil import BadJson, json_body, sandbox_state

SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
SCRIPT = "/accounts/{account_id}/workers/scripts/{script_name}"


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await json_body(request)
    except BadJson as exc:
        raise invalid("Malformed JSON in request body") from exc
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    return body


async def get_account_subdomain(request: Request) -> Response:
    with sandbox_state(request).lock:
        subdomain = find_account(request).workers_subdomain
        if subdomain is None:
            raise CloudflareError(404, CF_NOT_FOUND, "workers.api.error.no_subdomain")
        return ok({"subdomain": subdomain})


async def put_account_subdomain(request: Request) -> Response:
    body = await _json_object(request)
    name = body.get("subdomain")
    if not isinstance(name, str) or not SUBDOMAIN.match(name):
        raise invalid("subdomain must be a valid DNS label (a-z, 0-9, '-')")
    with sandbox_state(request).lock:
        find_account(request).workers_subdomain = name
        return ok({"subdomain": name})


def subdomain_state(script: Script) -> dict[str, bool]:
    return {"enabled": script.workers_dev, "previews_enabled": script.previews_enabled}


async def get_script_subdomain(request: Request) -> Response:
    with sandbox_state(request).lock:
        return ok(subdomain_state(find_script(request)))


async def post_script_subdomain(request: Request) -> Response:
    body = await _json_object(request)
    enabled, previews = body.get("enabled"), body.get("previews_enabled", body.get("enabled"))
    if not isinstance(enabled, bool) or not isinstance(previews, bool):
        raise invalid("enabled (boolean) is required; previews_enabled must be a boolean")
    with sandbox_state(request).lock:
        script = find_script(request)
        script.workers_dev, script.previews_enabled = enabled, previews
        return ok(subdomain_state(script))


async def delete_script_subdomain(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        script.workers_dev = script.previews_enabled = False
        return ok(None)


def _schedules(script: Script) -> dict[str, Any]:
    return {"schedules": [dict(item) for item in script.crons]}


async def get_schedules(request: Request) -> Response:
    with sandbox_state(request).lock:
        return ok(_schedules(find_script(request)))


async def put_schedules(request: Request) -> Response:
    try:
        body = await json_body(request)
    except BadJson as exc:
        raise invalid("Malformed JSON in request body") from exc
    if not isinstance(body, list) or not all(
        isinstance(item, dict) and isinstance(item.get("cron"), str) for item in body
    ):
        raise invalid('Request body must be a list of {"cron": "<expression>"}')
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        now = iso_micro(state.now())
        script.crons = [
            {"cron": item["cron"], "created_on": now, "modified_on": now} for item in body
        ]
        return ok(_schedules(script))


ROUTES = [
    Route("/accounts/{account_id}/workers/subdomain", get_account_subdomain, methods=["GET"]),
    Route("/accounts/{account_id}/workers/subdomain", put_account_subdomain, methods=["PUT"]),
    Route(SCRIPT + "/subdomain", get_script_subdomain, methods=["GET"]),
    Route(SCRIPT + "/subdomain", post_script_subdomain, methods=["POST"]),
    Route(SCRIPT + "/subdomain", delete_script_subdomain, methods=["DELETE"]),
    Route(SCRIPT + "/schedules", get_schedules, methods=["GET"]),
    Route(SCRIPT + "/schedules", put_schedules, methods=["PUT"]),
]
