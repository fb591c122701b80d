"""App Store versions, their build, phased releases, release requests and removal from sale."""

from __future__ import annotations

from datetime import datetime

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
    find_version,
    relationship_id,
    request_data,
    store_of,
)
from sandbox.appstore.model import (
    EDITABLE,
    IN_FLIGHT,
    PAUSE_BUDGET_DAYS,
    App,
    AppStoreStore,
    Localization,
    PhasedRelease,
    Version,
    new_id,
)
from sandbox.appstore.wire import AscError
from sandbox.httputil import json_body

__all__ = ["ROUTES"]

PLATFORMS = ("IOS", "MAC_OS", "TV_OS", "VISION_OS")
RELEASE_TYPES = ("MANUAL", "AFTER_APPROVAL", "SCHEDULED")
PHASED_CAN_BE_CREATED = EDITABLE | {"WAITING_FOR_REVIEW", "IN_REVIEW", "PENDING_DEVELOPER_RELEASE"}


def _included(request: Request, store: AppStoreStore, versions: list[Version]) -> list[dict]:
    """`include=build,appStoreVersionPhasedRelease` (the other includes are not modelled)."""
    wanted = set(filter(None, request.query_params.get("include", "").split(",")))
    base, now = api_base(request), request.app.state.sandbox.now()
    out = []
    for v in versions:
        b = store.builds.get(v.build_id or "")
        if "build" in wanted and b is not None:
            out.append(shapes.build(b, base, now))
        p = store.phased.get(v.phased_id or "")
        if "appStoreVersionPhasedRelease" in wanted and p is not None:
            out.append(shapes.phased(p, store, base, now))
    return out


def _version_doc(request: Request, v: Version) -> dict:
    store = request.app.state.sandbox.appstore
    data = shapes.version(v, api_base(request))
    return shapes.document(data, str(request.url), included=_included(request, store, [v]))


def _attach(store: AppStoreStore, v: Version, build_id: str) -> None:
    b = find_build(store, build_id)
    if b.app_id != v.app_id:
        raise AscError(409, "The build belongs to another app.", code="ENTITY_ERROR.RELATIONSHIP")
    if v.state not in EDITABLE:
        raise AscError(
            409,
            f"The build of a version in {v.state} cannot be changed.",
            code="STATE_ERROR.ENTITY_STATE_INVALID",
        )
    if b.state != "VALID":
        raise AscError(
            409,
            f"The build is {b.state}; only a VALID build can be chosen for a version.",
            code="ENTITY_ERROR.RELATIONSHIP.INVALID",
        )
    if b.short_version != v.version_string:
        raise AscError(
            409,
            f"The build is for version {b.short_version}, not {v.version_string}.",
            code="ENTITY_ERROR.RELATIONSHIP.INVALID",
        )
    v.build_id = b.id


async def list_app_versions(request: Request) -> Response:
    """filter[versionString], filter[platform], filter[appVersionState], filter[id]."""
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        app = find_app(store, request.path_params["id"])
        versions = [v for v in store.versions.values() if v.app_id == app.id]
        for name, value in (
            ("versionString", lambda v: v.version_string),
            ("platform", lambda v: v.platform),
            ("appVersionState", lambda v: v.state),
            ("appStoreState", lambda v: v.store_state),
            ("id", lambda v: v.id),
        ):
            wanted = filter_values(request, name)
            if wanted is not None:
                versions = [v for v in versions if value(v) in wanted]
        versions.sort(key=lambda v: v.created_at, reverse=True)
        base = api_base(request)
        data = [shapes.version(v, base) for v in versions]
        included = _included(request, store, versions)
        return answer(shapes.document(data, str(request.url), included=included))


async def create_version(request: Request) -> Response:
    data = await request_data(request, "appStoreVersions")
    attributes = data.get("attributes") or {}
    platform = attributes.get("platform")
    version_string = attributes.get("versionString")
    release_type = attributes.get("releaseType") or "AFTER_APPROVAL"
    if platform not in PLATFORMS:
        raise AscError(422, f"platform must be one of {', '.join(PLATFORMS)}.", code="ENTITY_ERROR")
    if not isinstance(version_string, str) or not version_string:
        raise AscError(422, "versionString is required.", code="ENTITY_ERROR.ATTRIBUTE.REQUIRED")
    if release_type not in RELEASE_TYPES:
        raise AscError(422, f"releaseType must be one of {', '.join(RELEASE_TYPES)}.")
    app_id = relationship_id(data, "app", "apps")
    build_id = relationship_id(data, "build", "builds", required=False)
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        app = find_app(store, str(app_id))
        mine = [v for v in store.versions.values() if v.app_id == app.id and v.platform == platform]
        if any(v.version_string == version_string for v in mine):
            raise AscError(
                409,
                f"You've already used the version number '{version_string}'.",
                code="ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE",
            )
        busy = [v for v in mine if v.state in IN_FLIGHT]
        if busy:
            raise AscError(
                409,
                f"You cannot create a new version of the App in the current state: version "
                f"{busy[0].version_string} is {busy[0].state}.",
                code="ENTITY_ERROR.RELATIONSHIP.INVALID",
            )
        v = Version(new_id(), app.id, version_string, platform, release_type, now)
        if build_id is not None:
            _attach(store, v, build_id)
        store.versions[v.id] = v
        loc = Localization(new_id(), v.id, app.primary_locale)
        store.localizations[loc.id] = loc
        return answer(_version_doc(request, v), 201)


async def get_version(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        return answer(_version_doc(request, find_version(store, request.path_params["id"])))


async def patch_version(request: Request) -> Response:
    """releaseType, versionString (while editable), and relationships.build."""
    ident = request.path_params["id"]
    data = await request_data(request, "appStoreVersions", with_id=ident)
    attributes = data.get("attributes") or {}
    build_id = relationship_id(data, "build", "builds", required=False)
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        v = find_version(store, ident)
        changing = {k for k in attributes if k in ("releaseType", "versionString")}
        if (changing or build_id) and v.state not in EDITABLE | {"WAITING_FOR_REVIEW"}:
            raise AscError(409, f"A version in {v.state} cannot be edited.", code="STATE_ERROR")
        if "releaseType" in attributes:
            if attributes["releaseType"] not in RELEASE_TYPES:
                raise AscError(409, f"releaseType must be one of {', '.join(RELEASE_TYPES)}.")
            v.release_type = attributes["releaseType"]
        if attributes.get("versionString"):
            v.version_string = str(attributes["versionString"])
        if build_id is not None:
            _attach(store, v, build_id)
        return answer(_version_doc(request, v))


async def patch_version_build(request: Request) -> Response:
    """PATCH /v1/appStoreVersions/{id}/relationships/build {"data":{"type":"builds","id"}}."""
    try:
        doc = await json_body(request)
    except ValueError as exc:
        raise AscError(400, f"The request body is not valid JSON: {exc}") from exc
    ref = doc.get("data") if isinstance(doc, dict) else None
    if (
        not isinstance(ref, dict)
        or ref.get("type") != "builds"
        or not isinstance(ref.get("id"), str)
    ):
        raise AscError(409, "data must be a 'builds' linkage.", code="ENTITY_ERROR")
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        _attach(store, find_version(store, request.path_params["id"]), ref["id"])
        return Response(status_code=204)


async def version_build(request: Request) -> Response:
    """GET /v1/appStoreVersions/{id}/build: the build, or `data: null` when none is chosen."""
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        v = find_version(store, request.path_params["id"])
        b = store.builds.get(v.build_id or "")
        data = shapes.build(b, api_base(request), now) if b else None
        return answer({"data": data, "links": {"self": str(request.url)}})


async def version_localizations(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        v = find_version(store, request.path_params["id"])
        base = api_base(request)
        mine = [loc for loc in store.localizations.values() if loc.version_id == v.id]
        data = [shapes.localization(loc, base) for loc in mine]
        return answer(shapes.document(data, str(request.url)))


async def patch_localization(request: Request) -> Response:
    """attributes.whatsNew (the release notes), while the version can still be edited."""
    ident = request.path_params["id"]
    data = await request_data(request, "appStoreVersionLocalizations", with_id=ident)
    attributes = data.get("attributes") or {}
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        loc = store.localizations.get(ident)
        if loc is None:
            raise AscError(404, f"There is no appStoreVersionLocalizations resource '{ident}'")
        v = store.versions[loc.version_id]
        if "whatsNew" in attributes:
            if v.state not in EDITABLE | {"WAITING_FOR_REVIEW"}:
                raise AscError(409, f"whatsNew cannot change while the version is {v.state}.")
            value = attributes["whatsNew"]
            if value is not None and (not isinstance(value, str) or len(value) > 4000):
                raise AscError(409, "whatsNew must be text of at most 4000 characters.")
            loc.whats_new = value
        doc = shapes.document(shapes.localization(loc, api_base(request)), str(request.url))
        return answer(doc)


# -- phased release ------------------------------------------------------------------------------


def _phased_doc(request: Request, store: AppStoreStore, p: PhasedRelease) -> dict:
    now = request.app.state.sandbox.now()
    data = shapes.phased(p, store, api_base(request), now)
    return shapes.document(data, str(request.url))


def _find_phased(store: AppStoreStore, ident: str) -> PhasedRelease:
    p = store.phased.get(ident)
    if p is None:
        raise AscError(
            404, f"There is no resource of type 'appStoreVersionPhasedReleases' '{ident}'"
        )
    return p


async def create_phased(request: Request) -> Response:
    data = await request_data(request, "appStoreVersionPhasedReleases")
    wanted = (data.get("attributes") or {}).get("phasedReleaseState") or "INACTIVE"
    version_id = str(relationship_id(data, "appStoreVersion", "appStoreVersions"))
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        v = find_version(store, version_id)
        if v.phased_id is not None:
            raise AscError(
                409, "The version already has a phased release.", code="ENTITY_ERROR.DUPLICATE"
            )
        if wanted != "INACTIVE":
            raise AscError(409, "A phased release is created INACTIVE.", code="ENTITY_ERROR")
        if v.state not in PHASED_CAN_BE_CREATED:
            raise AscError(
                409, f"A version in {v.state} cannot get a phased release.", code="STATE_ERROR"
            )
        p = PhasedRelease(new_id(), v.id)
        store.phased[p.id] = p
        v.phased_id = p.id
        return answer(_phased_doc(request, store, p), 201)


async def version_phased(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        v = find_version(store, request.path_params["id"])
        if v.phased_id is None:
            raise AscError(404, "The version has no phased release.")
        return answer(_phased_doc(request, store, store.phased[v.phased_id]))


async def patch_phased(request: Request) -> Response:
    """phasedReleaseState ACTIVE (resume) | PAUSED | COMPLETE (release to all users)."""
    ident = request.path_params["id"]
    data = await request_data(request, "appStoreVersionPhasedReleases", with_id=ident)
    wanted = (data.get("attributes") or {}).get("phasedReleaseState")
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        p = _find_phased(store, ident)
        if wanted is None or wanted == p.state:
            return answer(_phased_doc(request, store, p))
        if wanted not in ("ACTIVE", "PAUSED", "COMPLETE"):
            raise AscError(409, f"A phased release cannot be set to {wanted}.", code="STATE_ERROR")
        if p.state == "COMPLETE":
            raise AscError(409, "The phased release is COMPLETE; it cannot change any more.")
        if p.state == "INACTIVE" or p.frozen:
            raise AscError(
                409,
                "The phased release has not started (the version is not released)"
                if p.state == "INACTIVE"
                else "The app was removed from sale; the phased release cannot be restarted.",
            )
        day_s = store.apps[store.versions[p.version_id].app_id].day_seconds
        if wanted == "PAUSED":
            if p.paused_s(now) >= PAUSE_BUDGET_DAYS * day_s:
                raise AscError(
                    409,
                    f"The phased release has already been paused for {PAUSE_BUDGET_DAYS} days "
                    "in total and cannot be paused again.",
                    code="STATE_ERROR.PAUSE_LIMIT_REACHED",
                )
            p.pause(now)
        elif wanted == "ACTIVE":
            p.resume(now)
        else:
            p.complete(now)
        return answer(_phased_doc(request, store, p))


async def delete_phased(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        p = _find_phased(store, request.path_params["id"])
        if p.state != "INACTIVE":
            # The spec lists no 409 for DELETE; Apple refuses forbidden operations with 403.
            raise AscError(
                403,
                f"A phased release that is {p.state} cannot be deleted (only a planned one).",
            )
        del store.phased[p.id]
        store.versions[p.version_id].phased_id = None
        return Response(status_code=204)


# -- release -------------------------------------------------------------------------------------


async def create_release_request(request: Request) -> Response:
    data = await request_data(request, "appStoreVersionReleaseRequests")
    version_id = str(relationship_id(data, "appStoreVersion", "appStoreVersions"))
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        v = find_version(store, version_id)
        if v.state != "PENDING_DEVELOPER_RELEASE":
            raise AscError(
                409,
                f"The version is {v.state}; only a version in PENDING_DEVELOPER_RELEASE can be "
                "released.",
                code="STATE_ERROR",
            )
        store.go_live(v, now)
        ident = new_id()
        base = api_base(request)
        resource = {
            "type": "appStoreVersionReleaseRequests",
            "id": ident,
            "links": {"self": f"{base}/appStoreVersionReleaseRequests/{ident}"},
        }
        return answer(shapes.document(resource, str(request.url)), 201)


async def create_availability(request: Request) -> Response:
    """Remove from sale, the minimal form: POST /v2/appAvailabilities (or the v1 form) with
    availableInNewTerritories false and no territory available. Other changes are refused."""
    kind = "appAvailabilities"
    data = await request_data(request, kind)
    attributes = data.get("attributes") or {}
    app_id = str(relationship_id(data, "app", "apps"))
    rels = data.get("relationships") or {}
    territories = rels.get("territoryAvailabilities") or rels.get("availableTerritories") or {}
    listed = territories.get("data") if isinstance(territories, dict) else None
    try:
        doc = await json_body(request)
    except ValueError:
        doc = {}
    included = doc.get("included", []) if isinstance(doc, dict) else []
    available = [
        t for t in included if isinstance(t, dict) and (t.get("attributes") or {}).get("available")
    ]
    if attributes.get("availableInNewTerritories") is not False or available:
        raise AscError(
            409,
            "The sandbox supports removing an app from sale only (no available territories).",
            code="ENTITY_ERROR",
        )
    if listed and "availableTerritories" in rels:
        raise AscError(409, "availableTerritories must be empty to remove the app from sale.")
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        app = find_app(store, app_id)
        take_off_sale(store, app, now)
        app.territories = dict.fromkeys(app.territories, False)
        ident = app.id
        resource = {
            "type": kind,
            "id": ident,
            "attributes": {"availableInNewTerritories": False},
            "relationships": {"app": {"data": {"type": "apps", "id": app.id}}},
            "links": {"self": f"{str(request.url)}/{ident}"},
        }
        return answer(shapes.document(resource, str(request.url)), 201)


def take_off_sale(store: AppStoreStore, app: App, now: datetime) -> None:
    """No territory left: the live version is removed from sale and its phased release stops."""
    app.on_sale = False
    for v in store.versions.values():
        if v.app_id == app.id and v.state == "READY_FOR_DISTRIBUTION":
            v.removed_from_sale = True
            p = store.phased.get(v.phased_id or "")
            if p is not None and p.state in ("ACTIVE", "PAUSED"):
                if p.state == "ACTIVE":
                    p.pause(now)
                p.frozen = True


ROUTES = [
    Route("/v1/apps/{id}/appStoreVersions", list_app_versions, methods=["GET"]),
    Route("/v1/appStoreVersions", create_version, methods=["POST"]),
    Route("/v1/appStoreVersions/{id}", get_version, methods=["GET"]),
    Route("/v1/appStoreVersions/{id}", patch_version, methods=["PATCH"]),
    Route("/v1/appStoreVersions/{id}/build", version_build, methods=["GET"]),
    Route("/v1/appStoreVersions/{id}/relationships/build", patch_version_build, methods=["PATCH"]),
    Route(
        "/v1/appStoreVersions/{id}/appStoreVersionPhasedRelease", version_phased, methods=["GET"]
    ),
    Route(
        "/v1/appStoreVersions/{id}/appStoreVersionLocalizations",
        version_localizations,
        methods=["GET"],
    ),
    Route("/v1/appStoreVersionLocalizations/{id}", patch_localization, methods=["PATCH"]),
    Route("/v1/appStoreVersionPhasedReleases", create_phased, methods=["POST"]),
    Route("/v1/appStoreVersionPhasedReleases/{id}", patch_phased, methods=["PATCH"]),
    Route("/v1/appStoreVersionPhasedReleases/{id}", delete_phased, methods=["DELETE"]),
    Route("/v1/appStoreVersionReleaseRequests", create_release_request, methods=["POST"]),
    Route("/v1/appAvailabilities", create_availability, methods=["POST"]),
    Route("/v2/appAvailabilities", create_availability, methods=["POST"]),
]
