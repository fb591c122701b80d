"""androidpublisher v3: edits (insert/get/delete/validate/commit), bundles (upload, list), tracks
inside an edit (get/list/update/patch), and applications.tracks.releases.list outside one.

Mounted at /google/androidpublisher/v3 and, for the media upload, /google/upload/androidpublisher/v3.
Reading a track outside an edit is only possible through the releases list, as on Play.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.googleplay import shapes
from sandbox.googleplay.model import App, Bundle
from sandbox.googleplay.oauth import caller
from sandbox.googleplay.publishing import (
    CHANGES_IN_REVIEW_BEHAVIOURS,
    commit,
    edit_track,
    invalid,
    package_not_found,
    parse_track_body,
    update_track,
    usable_edit,
    version_code_in_range,
)
from sandbox.googleplay.wire import GoogleError
from sandbox.httputil import BadJson, json_body, note_log_body, sandbox_state
from sandbox.state import SandboxState

MANIFEST = "base/manifest/AndroidManifest.xml"

VERSION_CODE_HEADER = "x-sandbox-version-code"
VERSION_NAME_HEADER = "x-sandbox-version-name"
BUNDLE_MEDIA_TYPE = "application/octet-stream"


def _app(state: SandboxState, request: Request) -> App:
    package_name = request.path_params["package_name"]
    app = state.googleplay.app(package_name, state.now())
    if app is None:
        raise package_not_found(package_name)
    return app


async def _body(request: Request) -> Any:
    try:
        return await json_body(request, default={})
    except BadJson as exc:
        raise GoogleError(
            400,
            f"Invalid JSON payload received. {exc}",
            status="INVALID_ARGUMENT",
            reason="parseError",
        ) from exc


def _bool_param(request: Request, name: str, field: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(f"Invalid value at '{field}' (TYPE_BOOL), \"{raw}\"")


# -- edits -------------------------------------------------------------------------------------


async def insert_edit(request: Request) -> Response:
    body = await _body(request)
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an AppEdit object.")
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        token = caller(state.googleplay, request.headers, state.now())
        email = token.client_email if token is not None else ""
        edit = state.googleplay.new_edit(app, email, state.now())
        return JSONResponse(shapes.app_edit(edit))


async def get_edit(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        return JSONResponse(shapes.app_edit(edit))


async def delete_edit(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        edit.state = "deleted"
    return Response(status_code=204)


async def validate_edit(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        return JSONResponse(shapes.app_edit(edit))


async def commit_edit(request: Request) -> Response:
    behaviour = request.query_params.get("changesInReviewBehavior") or (
        "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED"
    )
    if behaviour not in CHANGES_IN_REVIEW_BEHAVIOURS:
        raise invalid(
            "Invalid value at 'changes_in_review_behavior' (type.googleapis.com/google.play."
            f'publishing.v3.EditsService.CommitEditRequest.ChangesInReviewBehaviorType), "{behaviour}"'
        )
    not_sent = _bool_param(request, "changesNotSentForReview", "changes_not_sent_for_review")
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        commit(app, edit, behaviour=behaviour, not_sent=not_sent, now=state.now())
        return JSONResponse(shapes.app_edit(edit))


# -- bundles -----------------------------------------------------------------------------------


def _zip_bundle(data: bytes) -> tuple[Any, str | None]:
    """A zip body is read as an Android App Bundle: it must hold BundleConfig.pb, and the sandbox
    reads `android:versionCode` / `android:versionName` from base/manifest/AndroidManifest.xml
    as text (a real bundle's manifest is protobuf; a sandbox bundle may write it plainly)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            names = set(bundle.namelist())
            manifest = bundle.read(MANIFEST) if MANIFEST in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        names, manifest = set(), b""
    if "BundleConfig.pb" not in names:
        raise GoogleError(
            400,
            "The Android App Bundle is invalid: BundleConfig.pb is missing.",
            status="INVALID_ARGUMENT",
            reason="invalidValue",
        )
    code = re.search(rb'versionCode="(\d+)"', manifest)
    name = re.search(rb'versionName="([^"]*)"', manifest)
    return (code.group(1).decode() if code else None), (name.group(1).decode() if name else None)


def _version_of(request: Request, data: bytes) -> tuple[int, str | None]:
    """The bundle's version code: the X-Sandbox-Version-Code header, else a zip bundle's manifest,
    else a JSON body {"versionCode": N, "versionName": "..."} (CI's stand-in for an .aab)."""
    name = request.headers.get(VERSION_NAME_HEADER)
    raw: Any = request.headers.get(VERSION_CODE_HEADER)
    if raw is None and data[:4] == b"PK\x03\x04":
        raw, found = _zip_bundle(data)
        name = name or found
    elif raw is None:
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            doc = None
        if isinstance(doc, dict):
            raw = doc.get("versionCode")
            if isinstance(doc.get("versionName"), str):
                name = name or doc["versionName"]
    try:
        code = int(raw) if raw is not None and not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        code = None
    if code is None or not version_code_in_range(code):
        raise GoogleError(
            400,
            "The Android App Bundle could not be read: the sandbox takes the version code (1 .. "
            "2100000000) from an X-Sandbox-Version-Code header or a JSON body "
            '{"versionCode": N}.',
            status="INVALID_ARGUMENT",
            reason="invalidValue",
        )
    return code, name


async def upload_bundle(request: Request) -> Response:
    upload_type = request.query_params.get("uploadType")
    if not upload_type:
        raise GoogleError(
            400,
            "Upload requests must include an uploadType URL parameter and a URL path beginning "
            "with /upload/",
            reason="badRequest",
        )
    if upload_type != "media":
        raise invalid(f"The sandbox supports uploadType=media only, not {upload_type}.")
    content_type = request.headers.get("content-type")
    if content_type and content_type.split(";")[0].strip().lower() != BUNDLE_MEDIA_TYPE:
        raise GoogleError(
            400,
            f"Media type '{content_type}' is not supported. Valid media types: "
            f"[{BUNDLE_MEDIA_TYPE}]",
            reason="badContent",
        )
    data = await request.body()
    if not data:
        raise invalid("The request has no content: send the Android App Bundle's bytes.")
    code, name = _version_of(request, data)
    sha1, sha256 = hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest()
    note_log_body(request, {"bundle": {"size": len(data), "sha256": sha256, "versionCode": code}})
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        if code in app.bundles or code in edit.bundles:
            raise GoogleError(
                403,
                "APK specifies a version code that has already been used.",
                reason="apkUpgradeVersionConflict",
            )
        item = Bundle(
            version_code=code,
            version_name=name or str(code),
            sha1=sha1,
            sha256=sha256,
            size=len(data),
            uploaded_at=state.now(),
        )
        edit.bundles[code] = item
        return JSONResponse(shapes.bundle(item))


async def list_bundles(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        items = sorted({**app.bundles, **edit.bundles}.values(), key=lambda b: b.version_code)
        body: dict[str, Any] = {"kind": "androidpublisher#bundlesListResponse"}
        if items:
            body["bundles"] = [shapes.bundle(b) for b in items]
        return JSONResponse(body)


# -- tracks ------------------------------------------------------------------------------------


async def list_tracks(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        return JSONResponse(
            {
                "kind": "androidpublisher#tracksListResponse",
                "tracks": [shapes.track(t) for t in edit.tracks.values()],
            }
        )


async def get_track(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        return JSONResponse(shapes.track(edit_track(edit, request.path_params["track"])))


async def update_track_route(request: Request) -> Response:
    """tracks.update (PUT) and tracks.patch (PATCH): on a Track, both replace `releases`."""
    body = await _body(request)
    specs = parse_track_body(body)
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        edit = usable_edit(app, request.path_params["edit_id"], state.now())
        track = update_track(app, edit, request.path_params["track"], specs)
        return JSONResponse(shapes.track(track))


async def list_releases(request: Request) -> Response:
    """applications.tracks.releases.list: committed state, no edit needed."""
    state = sandbox_state(request)
    with state.lock:
        app = _app(state, request)
        name = request.path_params["track"]
        track = app.tracks.get(name)
        if track is None:
            raise GoogleError(404, f"Track not found: {name}.", reason="notFound")
        return JSONResponse(shapes.release_summaries(track))


APP = "/applications/{package_name}"
EDIT = APP + "/edits/{edit_id}"

ROUTES = [
    Route(APP + "/edits", insert_edit, methods=["POST"]),
    Route(EDIT + ":commit", commit_edit, methods=["POST"]),
    Route(EDIT + ":validate", validate_edit, methods=["POST"]),
    Route(EDIT, get_edit, methods=["GET"]),
    Route(EDIT, delete_edit, methods=["DELETE"]),
    Route(EDIT + "/bundles", list_bundles, methods=["GET"]),
    Route(EDIT + "/tracks", list_tracks, methods=["GET"]),
    Route(EDIT + "/tracks/{track}", get_track, methods=["GET"]),
    Route(EDIT + "/tracks/{track}", update_track_route, methods=["PUT", "PATCH"]),
    Route(APP + "/tracks/{track}/releases", list_releases, methods=["GET"]),
]
UPLOAD_ROUTES = [Route(EDIT + "/bundles", upload_bundle, methods=["POST"])]
