"""Admin API for the fake App Store Connect (under /_sandbox/appstore): API keys, the rate
limit, apps and their pacing, build uploads (what altool/Transporter do), processing failures,
the reviewer's decisions, and a full view of an app's state for tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, number, text
from sandbox.appstore.model import (
    DEFAULT_REJECTION,
    PAUSE_BUDGET_DAYS,
    ApiKey,
    App,
    AppStoreStore,
    BetaGroup,
    Build,
    Version,
    new_id,
)
from sandbox.appstore.shapes import iso
from sandbox.httputil import sandbox_state
from sandbox.state import SandboxState

__all__ = ["ROUTES", "app_state", "register_key", "upload_build", "upsert_app"]

BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
REVIEW_ACTIONS = ("approve", "reject", "hold")
MAX_SECONDS = 400 * 86400


def register_key(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    key_id = text(doc, "key_id", "")
    issuer_id = text(doc, "issuer_id", "")
    pem = text(doc, "public_key_pem", "")
    if not key_id or not issuer_id:
        raise AdminError("key_id and issuer_id are required")
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise AdminError(f"public_key_pem is not a PEM public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise AdminError("public_key_pem must be a P-256 key (App Store Connect signs ES256)")
    with state.lock:
        state.appstore.keys[(issuer_id, key_id)] = ApiKey(key_id, issuer_id, pem)
    return {"key_id": key_id, "issuer_id": issuer_id}


def _groups(doc: dict[str, Any]) -> list[tuple[str, bool]]:
    raw = doc.get("beta_groups", [])
    if not isinstance(raw, list):
        raise AdminError("beta_groups must be a list")
    groups = []
    for entry in raw:
        if isinstance(entry, str):
            groups.append((entry, True))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            internal = entry.get("internal", True)
            if not isinstance(internal, bool):
                raise AdminError("beta group 'internal' must be true or false")
            groups.append((entry["name"], internal))
        else:
            raise AdminError("each beta group is a name or {name, internal}")
    return groups


def upsert_app(state: SandboxState, app_id: str, doc: dict[str, Any]) -> App:
    """Create the app or update its settings; beta groups are added by name (never removed)."""
    if not app_id.isdigit():
        raise AdminError("an App Store app id is numeric (Apple ID), e.g. 1234567890")
    bundle_id = text(doc, "bundle_id", "")
    groups = _groups(doc)
    with state.lock:
        store, now = state.appstore, state.now()
        store.advance(now)
        app = store.apps.get(app_id)
        if app is None:
            if not BUNDLE_ID.match(bundle_id):
                raise AdminError("bundle_id must look like com.acme.app")
            app = App(app_id, bundle_id, text(doc, "name", bundle_id), text(doc, "sku", app_id))
            store.apps[app_id] = app
        elif bundle_id and bundle_id != app.bundle_id:
            raise AdminError("an app's bundle id cannot change", 409)
        app.name = text(doc, "name", app.name)
        app.processing_seconds = number(
            doc, "processing_seconds", app.processing_seconds, low=0, high=MAX_SECONDS
        )
        app.review_seconds = number(
            doc, "review_seconds", app.review_seconds, low=0, high=MAX_SECONDS
        )
        app.day_seconds = number(doc, "day_seconds", app.day_seconds, low=0.001, high=MAX_SECONDS)
        app.review_outcome = choice(
            doc, "review_outcome", ("approve", "reject"), app.review_outcome
        )
        app.rejection_reason = text(doc, "rejection_reason", app.rejection_reason or "") or None
        known = {g.name for g in store.groups.values() if g.app_id == app.id}
        for name, internal in groups:
            if name not in known:
                group = BetaGroup(new_id(), app.id, name, internal, now)
                store.groups[group.id] = group
        return app


def upload_build(state: SandboxState, app_id: str, doc: dict[str, Any]) -> Build:
    short_version = text(doc, "version", "")
    build_number = text(doc, "build_number", "")
    if not short_version or not build_number:
        raise AdminError("version (CFBundleShortVersionString) and build_number are required")
    uses = doc.get("uses_non_exempt_encryption")
    if uses is not None and not isinstance(uses, bool):
        raise AdminError("uses_non_exempt_encryption must be true, false or null")
    with state.lock:
        store, now = state.appstore, state.now()
        store.advance(now)
        app = _app(store, app_id)
        for b in store.builds.values():
            same = (b.short_version, b.version) == (short_version, build_number)
            if b.app_id == app.id and same:
                raise AdminError(
                    f"build {build_number} of version {short_version} was already uploaded", 409
                )
        build = Build(
            new_id(),
            app.id,
            build_number,
            short_version,
            now,
            now + timedelta(seconds=app.processing_seconds),
            uses_non_exempt_encryption=uses,
        )
        store.builds[build.id] = build
        store.advance(now)  # processing_seconds 0: VALID at once
        return build


def live_version(state: SandboxState, app_id: str, doc: dict[str, Any]) -> Version:
    """A version already on the App Store at 100 % (released before the sandbox started): its
    build VALID with export compliance answered. The previous release a new one is compared to."""
    build = upload_build(state, app_id, {**doc, "uses_non_exempt_encryption": False})
    with state.lock:
        store, now = state.appstore, state.now()
        build.due_at = now
        store.advance(now)
        version = Version(
            new_id(),
            build.app_id,
            build.short_version,
            "IOS",
            "MANUAL",
            now,
            state="READY_FOR_DISTRIBUTION",
            build_id=build.id,
            released_at=now,
        )
        store.versions[version.id] = version
        return version


async def post_live_version(request: Request) -> Response:
    doc = await admin_json(request)
    version = live_version(sandbox_state(request), request.path_params["app_id"], doc)
    return JSONResponse({"id": version.id, "build_id": version.build_id}, status_code=201)


async def post_pause_used(request: Request) -> Response:
    """{days}: the version's phased release has been paused this many (app) days before now —
    a history the 30-day budget counts."""
    doc = await admin_json(request)
    days = number(doc, "days", 0.0, low=0, high=30)
    state = sandbox_state(request)
    with state.lock:
        store = state.appstore
        version = store.versions.get(request.path_params["version_id"])
        phased = store.phased.get(version.phased_id or "") if version else None
        if version is None or phased is None:
            raise AdminError("no phased release for that version", 404)
        phased.paused_before_s = days * store.apps[version.app_id].day_seconds
        return JSONResponse(_day_state(store, version.id, state.now()))


def _app(store: AppStoreStore, app_id: str) -> App:
    app = store.apps.get(app_id)
    if app is None:
        raise AdminError("unknown app (create it with PUT /_sandbox/appstore/apps/{id})", 404)
    return app


def _day_state(store: AppStoreStore, version_id: str, now: datetime) -> dict[str, Any] | None:
    v = store.versions[version_id]
    p = store.phased.get(v.phased_id or "")
    if p is None:
        return None
    day_s = store.apps[v.app_id].day_seconds
    return {
        "id": p.id,
        "state": p.state,
        "day": p.day(now, day_s),
        "start_date": iso(p.start_date) if p.start_date else None,
        "pause_seconds": p.paused_s(now),
        "pause_days": p.paused_s(now) / day_s,
        "pause_budget_days": PAUSE_BUDGET_DAYS,
        "frozen": p.frozen,
    }


def app_state(store: AppStoreStore, app: App, now: datetime) -> dict[str, Any]:
    """Everything a test wants to see about one app (times as Apple formats them)."""
    versions = sorted(
        (v for v in store.versions.values() if v.app_id == app.id), key=lambda v: v.created_at
    )
    builds = sorted(
        (b for b in store.builds.values() if b.app_id == app.id), key=lambda b: b.uploaded_at
    )
    submissions = sorted(
        (s for s in store.submissions.values() if s.app_id == app.id), key=lambda s: s.created_at
    )
    return {
        "id": app.id,
        "bundle_id": app.bundle_id,
        "name": app.name,
        "processing_seconds": app.processing_seconds,
        "review_seconds": app.review_seconds,
        "day_seconds": app.day_seconds,
        "review_outcome": app.review_outcome,
        "on_sale": app.on_sale,
        "beta_groups": [
            {"id": g.id, "name": g.name, "internal": g.internal, "builds": list(g.build_ids)}
            for g in sorted(store.groups.values(), key=lambda g: g.created_at)
            if g.app_id == app.id
        ],
        "builds": [
            {
                "id": b.id,
                "version": b.short_version,
                "build_number": b.version,
                "processing_state": b.state,
                "uses_non_exempt_encryption": b.uses_non_exempt_encryption,
            }
            for b in builds
        ],
        "versions": [
            {
                "id": v.id,
                "version_string": v.version_string,
                "state": v.state,
                "app_store_state": v.store_state,
                "release_type": v.release_type,
                "build_id": v.build_id,
                "released_at": iso(v.released_at) if v.released_at else None,
                "rollout_percent": store.rollout_percent(v, now),
                "phased_release": _day_state(store, v.id, now),
            }
            for v in versions
        ],
        "submissions": [
            {
                "id": s.id,
                "state": s.state,
                "items": [store.items[i].version_id for i in s.item_ids],
                "submitted_at": iso(s.submitted_at) if s.submitted_at else None,
                "hold": s.hold,
            }
            for s in submissions
        ],
        "rejections": [
            {"submission": r.submission_id, "version": r.version_id, "reason": r.reason, "by": r.by}
            for r in app.rejections
        ],
    }


def _view(state: SandboxState, app: App) -> Response:
    return JSONResponse(app_state(state.appstore, app, state.now()))


async def add_key(request: Request) -> Response:
    """{key_id, issuer_id, public_key_pem} -> 201; JWTs signed by the key are accepted."""
    doc = await admin_json(request)
    return JSONResponse(register_key(sandbox_state(request), doc), status_code=201)


async def put_rate_limit(request: Request) -> Response:
    """{limit}: requests per key per sandbox-clock hour (Apple: 3600)."""
    doc = await admin_json(request)
    limit = int(number(doc, "limit", 3600, low=1, high=10**7))
    state = sandbox_state(request)
    with state.lock:
        state.appstore.rate_limit = limit
    return JSONResponse({"limit": limit})


async def put_app(request: Request) -> Response:
    """{bundle_id, name, sku, beta_groups: [name | {name, internal}], processing_seconds,
    review_seconds, day_seconds, review_outcome (approve|reject), rejection_reason}."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    app = upsert_app(state, request.path_params["app_id"], doc)
    with state.lock:
        return _view(state, app)


async def get_app(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        state.appstore.advance(state.now())
        return _view(state, _app(state.appstore, request.path_params["app_id"]))


async def post_build(request: Request) -> Response:
    """{version, build_number, uses_non_exempt_encryption?} -> the build (PROCESSING)."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    build = upload_build(state, request.path_params["app_id"], doc)
    return JSONResponse(
        {"id": build.id, "processing_state": build.state, "due_at": iso(build.due_at)},
        status_code=201,
    )


async def fail_processing(request: Request) -> Response:
    """{state: INVALID|FAILED}: a build still processing ends so, now."""
    doc = await admin_json(request)
    outcome = choice(doc, "state", ("INVALID", "FAILED"), "INVALID")
    state = sandbox_state(request)
    with state.lock:
        store = state.appstore
        store.advance(state.now())
        build = store.builds.get(request.path_params["build_id"])
        if build is None:
            raise AdminError("unknown build", 404)
        if build.state != "PROCESSING":
            raise AdminError(f"the build is {build.state}, no longer processing", 409)
        build.failure = build.state = outcome
        return JSONResponse({"id": build.id, "processing_state": build.state})


async def review(request: Request) -> Response:
    """{action: approve|reject|hold, reason}: decide the app's submission under review now,
    or hold it in review (the clock will not finish it) until approved or rejected."""
    doc = await admin_json(request)
    action = choice(doc, "action", REVIEW_ACTIONS, "approve")
    reason = text(doc, "reason", "") or DEFAULT_REJECTION
    state = sandbox_state(request)
    with state.lock:
        store, now = state.appstore, state.now()
        store.advance(now)
        app = _app(store, request.path_params["app_id"])
        current = [
            s
            for s in store.submissions.values()
            if s.app_id == app.id and s.state in ("WAITING_FOR_REVIEW", "IN_REVIEW")
        ]
        if not current:
            raise AdminError("nothing of this app is waiting for or in review", 409)
        submission = current[0]
        if action == "hold":
            if submission.state == "WAITING_FOR_REVIEW":
                store.start_review(submission)
            submission.hold = True
        else:
            if submission.state == "WAITING_FOR_REVIEW":
                store.start_review(submission)
            store.finish_review(submission, action, reason, now, by="admin")
        return _view(state, app)


ROUTES = [
    Route("/keys", add_key, methods=["POST"]),
    Route("/rate-limit", put_rate_limit, methods=["PUT"]),
    Route("/apps/{app_id}", put_app, methods=["PUT"]),
    Route("/apps/{app_id}", get_app, methods=["GET"]),
    Route("/apps/{app_id}/builds", post_build, methods=["POST"]),
    Route("/apps/{app_id}/live-version", post_live_version, methods=["POST"]),
    Route("/versions/{version_id}/pause-used", post_pause_used, methods=["POST"]),
    Route("/apps/{app_id}/review", review, methods=["POST"]),
    Route("/builds/{build_id}/processing-failure", fail_processing, methods=["POST"]),
]
