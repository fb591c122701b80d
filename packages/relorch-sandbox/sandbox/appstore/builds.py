"""Builds and TestFlight beta groups: list/read builds, answer export compliance, put builds in
groups. Builds arrive by the admin upload (what altool/Transporter do) and process on the clock."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.appstore import shapes
from sandbox.appstore.common import (
    answer,
    api_base,
    filter_values,
    find_app,
    find_build,
    request_data,
    store_of,
)
from sandbox.appstore.model import AppStoreStore, BetaGroup, Build
from sandbox.appstore.wire import AscError
from sandbox.httputil import json_body

__all__ = ["ROUTES"]


def _includes(request: Request) -> set[str]:
    return set(filter(None, request.query_params.get("include", "").split(",")))


def _build_doc(
    request: Request, builds: list[Build], now: Any, *, single: bool, store: Any = None
) -> dict:
    base = api_base(request)
    data = [shapes.build(b, base, now) for b in builds]
    included = None
    includes = _includes(request)
    seen: dict[str, dict[str, Any]] = {}
    if "preReleaseVersion" in includes:
        for b in builds:
            seen.setdefault(b.pre_release_id, shapes.pre_release(b, base))
    if "betaGroups" in includes and store is not None:
        # JSON:API: an included to-many relationship carries its linkage in the resource
        for b, resource in zip(builds, data, strict=True):
            groups = [g for g in store.groups.values() if b.id in g.build_ids]
            resource["relationships"]["betaGroups"] = {
                "data": [{"type": "betaGroups", "id": g.id} for g in groups]
            }
            for g in groups:
                seen.setdefault(g.id, shapes.group(g, base))
    if seen:
        included = list(seen.values())
    return shapes.document(data[0] if single else data, str(request.url), included=included)


async def list_builds(request: Request) -> Response:
    """filter[app], filter[version] (build number), filter[preReleaseVersion.version],
    filter[processingState], filter[id]; newest upload first (or `sort`)."""
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        builds = list(store.builds.values())
        for name, value in (
            ("app", lambda b: b.app_id),
            ("version", lambda b: b.version),
            ("preReleaseVersion.version", lambda b: b.short_version),
            ("processingState", lambda b: b.state),
            ("id", lambda b: b.id),
        ):
            wanted = filter_values(request, name)
            if wanted is not None:
                builds = [b for b in builds if value(b) in wanted]
        sort = request.query_params.get("sort", "-uploadedDate")
        if sort not in ("uploadedDate", "-uploadedDate", "version", "-version"):
            raise AscError(400, f"The sort '{sort}' is not supported.", code="PARAMETER_ERROR")
        key = (lambda b: b.uploaded_at) if "uploadedDate" in sort else (lambda b: b.version)
        builds.sort(key=key, reverse=sort.startswith("-"))
        limit = int(request.query_params.get("limit", "50") or 50)
        return answer(_build_doc(request, builds[: max(1, min(limit, 200))], now, single=False))


async def get_build(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        b = find_build(store, request.path_params["id"])
        return answer(_build_doc(request, [b], now, single=True, store=store))


async def patch_build(request: Request) -> Response:
    """Export compliance: attributes.usesNonExemptEncryption (true|false); `expired: true`."""
    ident = request.path_params["id"]
    data = await request_data(request, "builds", with_id=ident)
    attributes = data.get("attributes") or {}
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        b = find_build(store, ident)
        if "usesNonExemptEncryption" in attributes:
            value = attributes["usesNonExemptEncryption"]
            if not isinstance(value, bool):
                raise AscError(
                    409, "usesNonExemptEncryption must be true or false.", code="ENTITY_ERROR"
                )
            if b.state != "VALID":
                raise AscError(
                    409,
                    f"The build is {b.state}; export compliance can be set on a VALID build only.",
                    code="STATE_ERROR",
                )
            b.uses_non_exempt_encryption = value
        return answer(_build_doc(request, [b], now, single=True))


def _groups_doc(request: Request, groups: list[BetaGroup]) -> dict:
    base = api_base(request)
    return shapes.document([shapes.group(g, base) for g in groups], str(request.url))


def _filtered_groups(request: Request, store: AppStoreStore, app_id: str | None) -> list:
    groups = list(store.groups.values())
    if app_id is not None:
        groups = [g for g in groups if g.app_id == app_id]
    for name, value in (
        ("app", lambda g: [g.app_id]),
        ("id", lambda g: [g.id]),
        ("name", lambda g: [g.name]),
        ("isInternalGroup", lambda g: [str(g.internal).lower()]),
        ("builds", lambda g: g.build_ids),
    ):
        wanted = filter_values(request, name)
        if wanted is not None:
            groups = [g for g in groups if set(value(g)) & set(wanted)]
    return sorted(groups, key=lambda g: g.created_at)


async def list_groups(request: Request) -> Response:
    """GET /v1/betaGroups?filter[app]=&filter[isInternalGroup]=&filter[builds]=<build id>."""
    state, store = store_of(request)
    with state.lock:
        return answer(_groups_doc(request, _filtered_groups(request, store, None)))


async def app_groups(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        app = find_app(store, request.path_params["id"])
        return answer(_groups_doc(request, _filtered_groups(request, store, app.id)))


async def build_groups(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        b = find_build(store, request.path_params["id"])
        groups = [g for g in store.groups.values() if b.id in g.build_ids]
        return answer(_groups_doc(request, sorted(groups, key=lambda g: g.created_at)))


async def _linkages(request: Request, kind: str) -> list[str]:
    try:
        doc = await json_body(request)
    except ValueError as exc:
        raise AscError(400, f"The request body is not valid JSON: {exc}") from exc
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data:
        raise AscError(422, f"'data' must be a non-empty list of '{kind}' linkages.")
    ids = []
    for ref in data:
        if (
            not isinstance(ref, dict)
            or ref.get("type") != kind
            or not isinstance(ref.get("id"), str)
        ):
            raise AscError(409, f"Every linkage must be of type '{kind}'.", code="ENTITY_ERROR")
        ids.append(ref["id"])
    return ids


def _add(store: AppStoreStore, group: BetaGroup, b: Build) -> None:
    if b.app_id != group.app_id:
        raise AscError(409, "The build belongs to another app.", code="ENTITY_ERROR.RELATIONSHIP")
    if b.state != "VALID":
        raise AscError(
            409,
            f"The build is {b.state}; only a VALID build can be added to a beta group.",
            code="STATE_ERROR",
        )
    if b.uses_non_exempt_encryption is None:
        raise AscError(
            409,
            "The build is missing export compliance (usesNonExemptEncryption).",
            code="STATE_ERROR.MISSING_EXPORT_COMPLIANCE",
        )
    if b.id not in group.build_ids:
        group.build_ids.append(b.id)


async def group_add_builds(request: Request) -> Response:
    """POST /v1/betaGroups/{id}/relationships/builds {"data":[{"type":"builds","id":..}]} -> 204."""
    build_ids = await _linkages(request, "builds")
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        group = store.groups.get(request.path_params["id"])
        if group is None:
            raise AscError(404, f"There is no betaGroups resource '{request.path_params['id']}'")
        builds = [find_build(store, i) for i in build_ids]
        for b in builds:
            _add(store, group, b)
        return Response(status_code=204)


async def build_add_groups(request: Request) -> Response:
    """POST /v1/builds/{id}/relationships/betaGroups {"data":[{"type":"betaGroups",..}]} -> 204."""
    group_ids = await _linkages(request, "betaGroups")
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        b = find_build(store, request.path_params["id"])
        for gid in group_ids:
            group = store.groups.get(gid)
            if group is None:
                raise AscError(404, f"There is no betaGroups resource '{gid}'")
            _add(store, group, b)
        return Response(status_code=204)


ROUTES = [
    Route("/v1/builds", list_builds, methods=["GET"]),
    Route("/v1/builds/{id}", get_build, methods=["GET"]),
    Route("/v1/builds/{id}", patch_build, methods=["PATCH"]),
    Route("/v1/builds/{id}/betaGroups", build_groups, methods=["GET"]),
    Route("/v1/builds/{id}/relationships/betaGroups", build_add_groups, methods=["POST"]),
    Route("/v1/betaGroups", list_groups, methods=["GET"]),
    Route("/v1/apps/{id}/betaGroups", app_groups, methods=["GET"]),
    Route("/v1/betaGroups/{id}/relationships/builds", group_add_builds, methods=["POST"]),
]
