"""The admin/control API under /_sandbox: reset, seed, faults, the request log, setup routes.

Never subject to faults or auth: it is how tests and demos arrange the world.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from sandbox.adminutil import AdminError, admin_json
from sandbox.appstore import admin as appstore_admin
from sandbox.cloudflare import admin as cloudflare_admin
from sandbox.faults import TARGETS, FaultSpecError
from sandbox.github import admin as github_admin
from sandbox.github import checks as github_checks
from sandbox.github import commits as github_commits
from sandbox.googleplay import admin as googleplay_admin
from sandbox.httputil import sandbox_state
from sandbox.pagerduty import admin as pagerduty_admin
from sandbox.seed import apply_seed
from sandbox.sentry import admin as sentry_admin
from sandbox.slack import routes as slack_routes
from sandbox.statuspage import admin as statuspage_admin
from sandbox.worker import admin as worker_admin


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def index(request: Request) -> Response:
    """What the admin API offers, so the link `make run` prints leads somewhere."""
    listed = sorted(
        {
            f"{method} /_sandbox{route.path}"
            for route in ROUTES
            if isinstance(route, Route)
            for method in (route.methods or set()) - {"HEAD"}
        }
    )
    mounts = sorted(f"/_sandbox{m.path}/…" for m in ROUTES if isinstance(m, Mount))
    return JSONResponse(
        {
            "sandbox": "the providers' stand-ins; this is their admin API",
            "routes": listed,
            "per provider": mounts,
            "see": "packages/relorch-sandbox/sandbox/README.md",
        }
    )


async def reset(request: Request) -> Response:
    sandbox_state(request).reset()
    return JSONResponse({"reset": True})


async def seed(request: Request) -> Response:
    doc = await admin_json(request)
    return JSONResponse(apply_seed(sandbox_state(request), doc))


async def add_fault(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    with state.lock:
        try:
            fault = state.faults.add(doc)
        except FaultSpecError as exc:
            raise AdminError(str(exc)) from exc
        return JSONResponse({"id": fault.id, **fault.to_json()}, status_code=201)


async def list_faults(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        return JSONResponse([f.to_json() for f in state.faults.list()])


async def clear_faults(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        state.faults.clear()
    return JSONResponse({"cleared": True})


async def credentials_seen(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        return JSONResponse(sorted(state.credentials_seen))


async def list_requests(request: Request) -> Response:
    target = request.query_params.get("target") or None
    if target is not None and target not in TARGETS[:-1]:
        raise AdminError(f"target must be one of {', '.join(TARGETS[:-1])}")
    state = sandbox_state(request)
    with state.lock:
        return JSONResponse([e.to_json() for e in state.log.entries(target)])


async def clear_requests(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        state.log.clear()
    return JSONResponse({"cleared": True})


ROUTES: list[BaseRoute] = [
    Route("/", index, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/seed", seed, methods=["POST"]),
    Route("/faults", add_fault, methods=["POST"]),
    Route("/faults", list_faults, methods=["GET"]),
    Route("/faults", clear_faults, methods=["DELETE"]),
    Route("/requests", list_requests, methods=["GET"]),
    Route("/credentials-seen", credentials_seen, methods=["GET"]),
    Route("/requests", clear_requests, methods=["DELETE"]),
    Mount(
        "/github",
        routes=github_admin.ROUTES + github_commits.ADMIN_ROUTES + github_checks.ADMIN_ROUTES,
    ),
    Mount("/cloudflare", routes=cloudflare_admin.ROUTES),
    Mount("/workers", routes=worker_admin.ROUTES),
    Mount("/pagerduty", routes=pagerduty_admin.ROUTES),
    Mount("/statuspage", routes=statuspage_admin.ROUTES),
    Mount("/googleplay", routes=googleplay_admin.ROUTES),
    Mount("/appstore", routes=appstore_admin.ROUTES),
    Mount("/sentry", routes=sentry_admin.ROUTES),
    Mount("/slack", routes=slack_routes.ADMIN_ROUTES),
]
