"""Worker versions: upload without deploying (`wrangler versions upload`), list, view."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.cloudflare import shapes
from sandbox.cloudflare.envelope import find_script, not_found, ok, request_source
from sandbox.cloudflare.uploads import invalid, parse_upload
from sandbox.httputil import sandbox_state

VERSIONS = "/accounts/{account_id}/workers/scripts/{script_name}/versions"
DEFAULT_PER_PAGE = 10
DEPLOYABLE_LIMIT = 100  # only the 100 most recent versions can be deployed


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return max(int(raw), 1)
    except ValueError as exc:
        raise invalid(f"{name} must be an integer") from exc


async def list_versions(request: Request) -> Response:
    with sandbox_state(request).lock:
        script = find_script(request)
        newest_first = list(reversed(script.versions))
        if request.query_params.get("deployable", "").lower() == "true":
            # As documented: deployable=true ignores pagination.
            items = newest_first[:DEPLOYABLE_LIMIT]
            info = {
                "page": 1,
                "per_page": len(items),
                "count": len(items),
                "total_count": len(items),
            }
        else:
            page = _int_param(request, "page", 1)
            per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE)
            items = newest_first[(page - 1) * per_page : page * per_page]
            info = {
                "page": page,
                "per_page": per_page,
                "count": len(items),
                "total_count": len(newest_first),
            }
        return ok({"items": [shapes.version_short(v) for v in items]}, result_info=info)


async def get_version(request: Request) -> Response:
    with sandbox_state(request).lock:
        version = find_script(request).version(request.path_params["version_id"])
        if version is None:
            raise not_found("Worker version")
        return ok(shapes.version_full(version))


async def upload_version(request: Request) -> Response:
    """A new version that serves no traffic until a deployment includes it."""
    with sandbox_state(request).lock:
        find_script(request)  # versions can only be added to an existing Worker
    upload = await parse_upload(request, modules_only=True)
    state = sandbox_state(request)
    with state.lock:
        script = find_script(request)
        version = script.add_version(
            state.now(),
            main_module=upload.main_module,
            modules=upload.modules,
            secrets=script.secrets | upload.secrets,
            bindings=upload.bindings,
            compatibility_date=upload.compatibility_date,
            message=upload.message,
            tag=upload.tag,
            triggered_by="version_upload",
        )
        version.source = request_source(request)
        return ok(shapes.version_uploaded(version))


ROUTES = [
    Route(VERSIONS, list_versions, methods=["GET"]),
    Route(VERSIONS, upload_version, methods=["POST"]),
    Route(VERSIONS + "/{version_id}", get_version, methods=["GET"]),
]
