"""The Cloudflare v4 envelope and lookups that fail the way the API does."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.cloudflare.model import Account, Script
from sandbox.errors import CF_NO_ROUTE, CF_NOT_FOUND, CloudflareError
from sandbox.httputil import sandbox_state


def ok(result: Any, *, result_info: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return JSONResponse(body)


def find_account(request: Request) -> Account:
    account_id = request.path_params["account_id"]
    account = sandbox_state(request).cloudflare.account(account_id)
    if account is None:
        raise CloudflareError(
            404,
            CF_NO_ROUTE,
            f"Could not route to /accounts/{account_id}, perhaps your object identifier is "
            "invalid?",
        )
    return account


def find_script(request: Request) -> Script:
    script = find_account(request).scripts.get(request.path_params["script_name"])
    if script is None:
        raise CloudflareError(404, CF_NOT_FOUND, "workers.api.error.script_not_found")
    return script


def request_source(request: Request) -> str:
    """Where a change came from, as the API records it (`metadata.source`, `last_deployed_from`).

    Cloudflare tells wrangler apart from other API clients by its `User-Agent: wrangler/<v>`.
    """
    agent = request.headers.get("user-agent", "").lower()
    return "wrangler" if agent.startswith("wrangler/") else "api"


def not_found(what: str) -> CloudflareError:
    # 10007 is the API's generic "Resource not found", used for versions and deployments too.
    return CloudflareError(404, CF_NOT_FOUND, f"{what} not found")
