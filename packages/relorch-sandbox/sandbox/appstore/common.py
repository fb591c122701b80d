"""Request helpers shared by the App Store Connect handlers: the store (advanced to now), JSON:API
request bodies, filters, and answers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.appstore.model import App, AppStoreStore, Build, Version
from sandbox.appstore.wire import AscError
from sandbox.httputil import BadJson, json_body, origin, sandbox_state
from sandbox.state import SandboxState

__all__ = [
    "answer",
    "api_base",
    "filter_values",
    "find_app",
    "find_build",
    "find_version",
    "relationship_id",
    "request_data",
    "store_of",
]

PREFIX = "/appstore"


def store_of(request: Request) -> tuple[SandboxState, AppStoreStore]:
    """The sandbox state and its App Store store (call under state.lock, then `advance`)."""
    state = sandbox_state(request)
    return state, state.appstore


def api_base(request: Request) -> str:
    return f"{origin(request)}{PREFIX}/v1"


def answer(doc: Any, status: int = 200) -> Response:
    return JSONResponse(doc, status_code=status)


async def request_data(request: Request, kind: str, *, with_id: str | None = None) -> dict:
    """The body's `data` object, checked for `type` (and `id` on updates)."""
    try:
        doc = await json_body(request)
    except BadJson as exc:
        raise AscError(
            400, f"The request body is not valid JSON: {exc}", code="ENTITY_INVALID"
        ) from exc
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise AscError(422, "The request entity must have a 'data' object.", code="ENTITY_ERROR")
    if data.get("type") != kind:
        raise AscError(
            409,
            f"The resource type must be '{kind}'.",
            code="ENTITY_ERROR.INCLUDED.INVALID_TYPE",
            title="The provided entity type is not valid",
        )
    if with_id is not None and data.get("id") != with_id:
        raise AscError(
            409,
            "The resource id in the body does not match the URL.",
            code="ENTITY_ERROR.ID.INVALID",
            title="The provided entity id is not valid",
        )
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise AscError(422, "'attributes' must be an object.", code="ENTITY_ERROR")
    return data


def relationship_id(data: dict, name: str, kind: str, *, required: bool = True) -> str | None:
    rel = (data.get("relationships") or {}).get(name)
    ref = rel.get("data") if isinstance(rel, dict) else None
    if not isinstance(ref, dict) or ref.get("type") != kind or not isinstance(ref.get("id"), str):
        if not required and rel is None:
            return None
        raise AscError(
            422,
            f"The relationship '{name}' must reference a '{kind}' resource.",
            code="ENTITY_ERROR.RELATIONSHIP.REQUIRED" if rel is None else "ENTITY_ERROR",
        )
    return str(ref["id"])


def filter_values(request: Request, name: str) -> list[str] | None:
    """`filter[name]=a,b` as a list; None when the filter is absent."""
    raw = request.query_params.get(f"filter[{name}]")
    if raw is None:
        return None
    return [v for v in raw.split(",") if v]


def _missing(kind: str, ident: str) -> AscError:
    return AscError(404, f"There is no resource of type '{kind}' with id '{ident}'")


def find_app(store: AppStoreStore, app_id: str) -> App:
    app = store.apps.get(app_id)
    if app is None:
        raise _missing("apps", app_id)
    return app


def find_build(store: AppStoreStore, build_id: str) -> Build:
    build = store.builds.get(build_id)
    if build is None:
        raise _missing("builds", build_id)
    return build


def find_version(store: AppStoreStore, version_id: str) -> Version:
    version = store.versions.get(version_id)
    if version is None:
        raise _missing("appStoreVersions", version_id)
    return version
