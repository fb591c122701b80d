"""Admin API for the fake Google Play (under /_sandbox/googleplay): service accounts, tokens,
apps and their review behaviour, the reviewer's decisions, managed publishing, vitals, state."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, flag, number, text
from sandbox.googleplay import shapes
from sandbox.googleplay.model import (
    DEFAULT_EDIT_TTL_S,
    DEFAULT_REVIEW_S,
    MAX_VERSION_CODE,
    REVIEW_OUTCOMES,
    TOKEN_LIFETIME_S,
    App,
    Bundle,
    Release,
    Vitals,
)
from sandbox.googleplay.publishing import publish, send_for_review
from sandbox.googleplay.wire import ANDROIDPUBLISHER_SCOPE, REPORTING_SCOPE
from sandbox.httputil import sandbox_state
from sandbox.state import SandboxState

PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
ADMIN_CLIENT = "sandbox-admin@sandbox-project.iam.gserviceaccount.com"


def register_service_account(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    email = text(doc, "client_email", "")
    pem = text(doc, "public_key_pem", "")
    if "@" not in email:
        raise AdminError("client_email must be a service account e-mail address")
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise AdminError(f"public_key_pem is not a PEM public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise AdminError("public_key_pem must be an RSA public key (Google signs with RS256)")
    with state.lock:
        account = state.googleplay.register(email, pem)
        return {"client_email": account.client_email, "keys": len(account.public_keys)}


async def add_service_account(request: Request) -> Response:
    """{client_email, public_key_pem} -> {"client_email", "keys"}; a second key is added."""
    doc = await admin_json(request)
    return JSONResponse(register_service_account(sandbox_state(request), doc), status_code=201)


async def issue_token(request: Request) -> Response:
    """{client_email?, scopes?: [...]} -> an access token without the JWT grant (for tests that
    are not about auth). Scopes default to androidpublisher and playdeveloperreporting."""
    doc = await admin_json(request)
    email = text(doc, "client_email", ADMIN_CLIENT)
    scopes = doc.get("scopes", [ANDROIDPUBLISHER_SCOPE, REPORTING_SCOPE])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise AdminError("scopes must be a list of scope URLs")
    state = sandbox_state(request)
    with state.lock:
        issued = state.googleplay.issue_token(email, frozenset(scopes), state.now())
        return JSONResponse(
            {
                "access_token": issued.token,
                "expires_in": TOKEN_LIFETIME_S,
                "token_type": "Bearer",
                "scopes": sorted(issued.scopes),
            },
            status_code=201,
        )


def _package(request: Request) -> str:
    name = request.path_params["package_name"]
    if not PACKAGE_NAME.match(name):
        raise AdminError(f"{name!r} is not an Android package name")
    return name


def _find(state: SandboxState, request: Request) -> App:
    app = state.googleplay.app(_package(request), state.now())
    if app is None:
        raise AdminError(
            "unknown app (create it with PUT /_sandbox/googleplay/apps/{package})", 404
        )
    return app


def upsert_app(state: SandboxState, package_name: str, doc: dict[str, Any]) -> App:
    managed = flag(doc, "managed_publishing", False)
    review_seconds = number(doc, "review_seconds", DEFAULT_REVIEW_S, low=0, high=30 * 86400)
    outcome = choice(doc, "review_outcome", REVIEW_OUTCOMES, "approve")
    reason = text(doc, "rejection_reason", "") or None
    ttl = number(doc, "edit_ttl_seconds", DEFAULT_EDIT_TTL_S, low=1, high=30 * 86400)
    live = doc.get("production_version_code")
    if live is not None and (
        isinstance(live, bool) or not isinstance(live, int) or not 1 <= live <= MAX_VERSION_CODE
    ):
        raise AdminError("production_version_code must be a version code (1 .. 2100000000)")
    live_name = text(doc, "production_release_name", "") or None
    with state.lock:
        app = state.googleplay.app(package_name, state.now())
        if app is None:
            app = App(package_name=package_name)
            state.googleplay.apps[package_name] = app
        if live is not None:  # first: it may refuse, and then nothing changes
            _live_production(state, app, live, live_name)
        app.managed_publishing = managed
        app.review_seconds = review_seconds
        app.review_outcome = outcome
        app.rejection_reason = reason
        app.edit_ttl_seconds = ttl
        return app


def _live_production(state: SandboxState, app: App, code: int, name: str | None) -> None:
    """The app's existing production release (completed, published): Play's API can neither
    stage a track's first release nor publish a draft app, so real apps start with one."""
    production = app.tracks["production"]
    current = production.completed()
    if current is not None and current.version_codes == [code]:
        return
    if production.releases or production.obsolete:
        raise AdminError(
            "production already has releases; production_version_code seeds only an empty track",
            409,
        )
    if code in app.bundles:
        raise AdminError(f"version code {code} is already used", 409)
    digest = f"sandbox-seed-{app.package_name}-{code}".encode()
    app.bundles[code] = Bundle(
        version_code=code,
        version_name=name or str(code),
        sha1=hashlib.sha1(digest).hexdigest(),
        sha256=hashlib.sha256(digest).hexdigest(),
        size=len(digest),
        uploaded_at=state.now(),
    )
    production.releases = [
        Release(
            id=app.new_release_id(),
            name=name or str(code),
            version_codes=[code],
            status="completed",
            lifecycle="PUBLISHED",
        )
    ]
    production.has_completed = True
    app.approved_codes.add(code)
    app.revision += 1


async def put_app(request: Request) -> Response:
    """{managed_publishing, review_seconds, review_outcome (approve|reject), rejection_reason,
    edit_ttl_seconds, production_version_code, production_release_name} -> the app's state.
    Creates the app or updates its settings (tracks, edits and reviews are kept)."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    package_name = _package(request)
    with state.lock:
        app = upsert_app(state, package_name, doc)
        return JSONResponse(shapes.app_state(app, state.now()))


async def get_app(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        return JSONResponse(shapes.app_state(_find(state, request), state.now()))


async def review_now(request: Request) -> Response:
    """{outcome: approve|reject, reason} decides the submission in review now."""
    doc = await admin_json(request)
    outcome = choice(doc, "outcome", REVIEW_OUTCOMES, "approve")
    reason = text(doc, "reason", "") or None
    state = sandbox_state(request)
    with state.lock:
        app = _find(state, request)
        review = app.active_review()
        if review is None:
            raise AdminError("nothing is in review", 409)
        app.finish_review(review, outcome, reason, state.now(), by="admin")
        return JSONResponse(shapes.app_state(app, state.now()))


async def publish_now(request: Request) -> Response:
    """Managed publishing's "Publish" button: every approved change goes live."""
    state = sandbox_state(request)
    with state.lock:
        app = _find(state, request)
        published = publish(app)
        return JSONResponse({"published": published, **shapes.app_state(app, state.now())})


async def send_now(request: Request) -> Response:
    """The Console's "Send for review" for changes committed with changesNotSentForReview."""
    state = sandbox_state(request)
    with state.lock:
        app = _find(state, request)
        sent = send_for_review(app, state.now())
        return JSONResponse({"sent": sent, **shapes.app_state(app, state.now())})


async def console_change(request: Request) -> Response:
    """{what} — a change made in the Play Console that Google reviews (the store listing, say):
    while it is in review, a commit sent with ERROR_IF_IN_REVIEW is refused with
    CHANGES_ALREADY_IN_REVIEW. It ends like any review, after review_seconds."""
    doc = await admin_json(request)
    what = text(doc, "what", "Store listing")
    state = sandbox_state(request)
    with state.lock:
        app = _find(state, request)
        if app.active_review() is not None:
            raise AdminError("something is already in review", 409)
        review = app.submit_for_review([], state.now())
        review.summary = [{"console": what}]
        return JSONResponse(shapes.app_state(app, state.now()))


async def put_vitals(request: Request) -> Response:
    """{user_perceived_crash_rate, user_perceived_anr_rate, crash_rate, anr_rate,
    distinct_users} for one version code; rates are fractions (0.0042 = 0.42 %)."""
    doc = await admin_json(request)
    try:
        code = int(request.path_params["version_code"])
    except ValueError as exc:
        raise AdminError("version code must be an integer") from exc
    perceived_crash = number(doc, "user_perceived_crash_rate", 0.002, low=0, high=1)
    perceived_anr = number(doc, "user_perceived_anr_rate", 0.001, low=0, high=1)
    # Every user-perceived crash (ANR) is a crash (ANR): by default the overall rate is 1.5x.
    crash = min(1.0, perceived_crash * 1.5)
    if doc.get("crash_rate") is not None:
        crash = number(doc, "crash_rate", crash, low=0, high=1)
    anr = min(1.0, perceived_anr * 1.5)
    if doc.get("anr_rate") is not None:
        anr = number(doc, "anr_rate", anr, low=0, high=1)
    vitals = Vitals(
        crash_rate=crash,
        user_perceived_crash_rate=perceived_crash,
        anr_rate=anr,
        user_perceived_anr_rate=perceived_anr,
        distinct_users=int(number(doc, "distinct_users", 5000, low=0, high=10**10)),
    )
    state = sandbox_state(request)
    with state.lock:
        app = _find(state, request)
        app.vitals[code] = vitals
        return JSONResponse(shapes.app_state(app, state.now())["vitals"][str(code)])


ROUTES = [
    Route("/service-accounts", add_service_account, methods=["POST"]),
    Route("/tokens", issue_token, methods=["POST"]),
    Route("/apps/{package_name}", put_app, methods=["PUT"]),
    Route("/apps/{package_name}", get_app, methods=["GET"]),
    Route("/apps/{package_name}/review", review_now, methods=["POST"]),
    Route("/apps/{package_name}/publish", publish_now, methods=["POST"]),
    Route("/apps/{package_name}/send-for-review", send_now, methods=["POST"]),
    Route("/apps/{package_name}/vitals/{version_code}", put_vitals, methods=["PUT"]),
    Route("/apps/{package_name}/console-change", console_change, methods=["POST"]),
]
