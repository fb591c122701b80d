"""Review submissions: create one per app, add a version as an item, submit (the checks Apple
runs at submission time), cancel, list. The review itself runs on the sandbox clock (half waiting,
half in review, per app `review_seconds`) unless the admin decides it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.appstore import shapes
from sandbox.appstore.common import (
    answer,
    api_base,
    filter_values,
    find_app,
    find_version,
    relationship_id,
    request_data,
    store_of,
)
from sandbox.appstore.model import (
    EDITABLE,
    AppStoreStore,
    ReviewSubmission,
    SubmissionItem,
    new_id,
)
from sandbox.appstore.wire import AscError

__all__ = ["ROUTES"]

OPEN = ("READY_FOR_REVIEW", "UNRESOLVED_ISSUES")
UNDER_REVIEW = ("WAITING_FOR_REVIEW", "IN_REVIEW")


def _doc(request: Request, store: AppStoreStore, s: ReviewSubmission) -> dict:
    return shapes.document(shapes.submission(s, store, api_base(request)), str(request.url))


def _find(store: AppStoreStore, ident: str) -> ReviewSubmission:
    s = store.submissions.get(ident)
    if s is None:
        raise AscError(404, f"There is no resource of type 'reviewSubmissions' with id '{ident}'")
    return s


def _state_error(detail: str) -> AscError:
    return AscError(409, detail, code="STATE_ERROR", title="Submit for review errors found.")


async def list_submissions(request: Request) -> Response:
    """GET /v1/reviewSubmissions?filter[app]= (required) &filter[state]=&filter[platform]=;
    also GET /v1/apps/{id}/reviewSubmissions."""
    apps = [request.path_params["id"]] if "id" in request.path_params else None
    apps = apps or filter_values(request, "app")
    if not apps:
        raise AscError(
            400, "The parameter 'filter[app]' is required.", code="PARAMETER_ERROR.REQUIRED"
        )
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        found = [s for s in store.submissions.values() if s.app_id in apps]
        for name, value in (("state", lambda s: s.state), ("platform", lambda s: s.platform)):
            wanted = filter_values(request, name)
            if wanted is not None:
                found = [s for s in found if value(s) in wanted]
        found.sort(key=lambda s: s.created_at, reverse=True)
        base = api_base(request)
        data = [shapes.submission(s, store, base) for s in found]
        return answer(shapes.document(data, str(request.url)))


async def get_submission(request: Request) -> Response:
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        return answer(_doc(request, store, _find(store, request.path_params["id"])))


async def create_submission(request: Request) -> Response:
    data = await request_data(request, "reviewSubmissions")
    platform = (data.get("attributes") or {}).get("platform") or "IOS"
    app_id = str(relationship_id(data, "app", "apps"))
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        app = find_app(store, app_id)
        for s in store.submissions.values():
            if s.app_id == app.id and s.platform == platform and s.state == "READY_FOR_REVIEW":
                raise AscError(
                    409,
                    f"The app already has a review submission that is not submitted ({s.id}).",
                    code="STATE_ERROR.ENTITY_STATE_INVALID",
                )
        s = ReviewSubmission(new_id(), app.id, platform, now)
        store.submissions[s.id] = s
        return answer(_doc(request, store, s), 201)


async def create_item(request: Request) -> Response:
    data = await request_data(request, "reviewSubmissionItems")
    submission_id = str(relationship_id(data, "reviewSubmission", "reviewSubmissions"))
    version_id = str(relationship_id(data, "appStoreVersion", "appStoreVersions"))
    state, store = store_of(request)
    with state.lock:
        store.advance(state.now())
        s = _find(store, submission_id)
        v = find_version(store, version_id)
        if v.app_id != s.app_id:
            raise AscError(409, "The version belongs to another app.", code="ENTITY_ERROR")
        if s.state not in OPEN:
            raise _state_error(f"Items cannot be added to a submission that is {s.state}.")
        if v.state not in EDITABLE:
            raise _state_error(f"A version in {v.state} cannot be submitted for review.")
        if any(store.items[i].version_id == v.id for i in s.item_ids):
            raise AscError(409, "The version is already an item of this submission.")
        item = SubmissionItem(new_id(), s.id, v.id)
        store.items[item.id] = item
        s.item_ids.append(item.id)
        doc = shapes.document(shapes.item(item, api_base(request)), str(request.url))
        return answer(doc, 201)


def _check_submittable(store: AppStoreStore, s: ReviewSubmission) -> None:
    if s.state not in OPEN:
        raise _state_error(f"The review submission is {s.state}; it cannot be submitted.")
    if not s.item_ids:
        raise _state_error("The review submission has no items to review.")
    for other in store.submissions.values():
        if other.id != s.id and other.app_id == s.app_id and other.state in UNDER_REVIEW:
            raise _state_error(
                f"Another review submission of this app is {other.state} ({other.id})."
            )
    for v in store.submission_versions(s):
        b = store.builds.get(v.build_id or "")
        if b is None:
            raise _state_error(f"Version {v.version_string} has no build.")
        if b.state != "VALID":
            raise _state_error(f"The build {b.version} of {v.version_string} is {b.state}.")
        if b.uses_non_exempt_encryption is None:
            raise AscError(
                409,
                f"The build {b.version} of {v.version_string} is missing export compliance: "
                "answer usesNonExemptEncryption first.",
                code="ENTITY_ERROR.ATTRIBUTE.REQUIRED",
                title="Submit for review errors found.",
            )


async def patch_submission(request: Request) -> Response:
    """attributes.submitted: true sends it to review; canceled: true withdraws it."""
    ident = request.path_params["id"]
    data = await request_data(request, "reviewSubmissions", with_id=ident)
    attributes = data.get("attributes") or {}
    state, store = store_of(request)
    with state.lock:
        now = state.now()
        store.advance(now)
        s = _find(store, ident)
        if attributes.get("submitted") is True:
            _check_submittable(store, s)
            store.submit(s, now)
        elif attributes.get("canceled") is True:
            if s.state not in UNDER_REVIEW + OPEN:
                raise _state_error(f"A submission that is {s.state} cannot be canceled.")
            s.state = "COMPLETE"
            for item_id in s.item_ids:
                store.items[item_id].state = "REMOVED"
            for v in store.submission_versions(s):
                v.state = "PREPARE_FOR_SUBMISSION"
        return answer(_doc(request, store, s))


ROUTES = [
    Route("/v1/reviewSubmissions", list_submissions, methods=["GET"]),
    Route("/v1/apps/{id}/reviewSubmissions", list_submissions, methods=["GET"]),
    Route("/v1/reviewSubmissions", create_submission, methods=["POST"]),
    Route("/v1/reviewSubmissions/{id}", get_submission, methods=["GET"]),
    Route("/v1/reviewSubmissions/{id}", patch_submission, methods=["PATCH"]),
    Route("/v1/reviewSubmissionItems", create_item, methods=["POST"]),
]
