"""Google's OAuth 2.0 token endpoint for service accounts (JWT-bearer grant), and the access-token
check every androidpublisher / reporting request goes through.

The assertion is verified as Google does: RS256 signature by a key registered for `iss`, `aud`
the token endpoint, a short-lived `iat`..`exp` window (at most an hour, not expired), and a scope.
Its times are checked against the sandbox clock and, when a test injected another clock, the
wall clock too (clients sign with real time while a ManualClock may have jumped a day ahead).
Access tokens live 3599 s on the sandbox clock and carry their scopes.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.auth import bearer_token
from sandbox.googleplay.model import TOKEN_LIFETIME_S, AccessToken, GooglePlayStore
from sandbox.googleplay.wire import (
    ANDROIDPUBLISHER_SCOPE,
    LEGACY_TOKEN_AUDIENCE,
    REPORTING_SCOPE,
    TOKEN_AUDIENCE,
    TOKEN_PATH,
    OAuthError,
    google_body,
    required_scope,
)
from sandbox.httputil import note_log_body, origin, sandbox_state
from sandbox.requestlog import REDACTED
from sandbox.state import SandboxState

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_LIFETIME_S = 3600
CLOCK_SKEW_S = 300
API_SCOPES = frozenset({ANDROIDPUBLISHER_SCOPE, REPORTING_SCOPE})
TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


# -- the token endpoint ------------------------------------------------------------------------


async def token(request: Request) -> Response:
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    note_log_body(request, {k: REDACTED if k == "assertion" else v for k, v in form.items()})
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Missing required parameter: grant_type")
    if grant_type != JWT_BEARER:
        raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    assertion = form.get("assertion")
    if not assertion:
        raise OAuthError("invalid_request", "Missing required parameter: assertion")
    audiences = {TOKEN_AUDIENCE, LEGACY_TOKEN_AUDIENCE, origin(request) + TOKEN_PATH}
    state = sandbox_state(request)
    with state.lock:
        issued = grant(state, assertion, audiences)
    return JSONResponse(
        {"access_token": issued.token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"},
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )


def grant(state: SandboxState, assertion: str, audiences: set[str]) -> AccessToken:
    """Verify a JWT-bearer assertion and issue an access token for its scopes."""
    store = state.googleplay
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", f"Invalid JWT: {exc}") from exc
    issuer = claims.get("iss")
    account = store.service_accounts.get(issuer) if isinstance(issuer, str) else None
    if account is None:
        raise OAuthError("invalid_grant", "Invalid grant: account not found")
    if header.get("alg") != "RS256" or not _signed_by(assertion, account.public_keys):
        raise OAuthError("invalid_grant", "Invalid JWT Signature.")
    if claims.get("aud") not in audiences:
        raise OAuthError(
            "invalid_grant", f"Invalid JWT: Failed audience check. Expected {TOKEN_AUDIENCE}"
        )
    if not _reasonable(claims, state.now()):
        raise OAuthError("invalid_grant", TIMEFRAME)
    subject = claims.get("sub")
    if subject is not None and subject != issuer:
        raise OAuthError(
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not "
            "authorized for any of the scopes requested.",
        )
    scope = claims.get("scope")
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    if not scopes:
        raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    if not scopes & API_SCOPES:
        raise OAuthError(
            "invalid_scope",
            "The sandbox issues tokens for these scopes only: " + " ".join(sorted(API_SCOPES)),
        )
    return store.issue_token(account.client_email, scopes, state.now())


def _signed_by(assertion: str, public_keys: list[str]) -> bool:
    for pem in public_keys:
        try:
            jwt.decode(
                assertion,
                pem,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.PyJWTError:
            continue
        return True
    return False


def _reasonable(claims: dict[str, Any], now: datetime) -> bool:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp)):
        return False
    assert isinstance(iat, int | float) and isinstance(exp, int | float)
    if not 0 < exp - iat <= MAX_LIFETIME_S:
        return False
    instants = {now.timestamp(), time.time()}
    return any(iat <= t + CLOCK_SKEW_S and exp > t for t in instants)


# -- access checks (called by the middleware for every googleplay request) -----------------------


def caller(store: GooglePlayStore, headers: Headers, now: datetime) -> AccessToken | None:
    """The valid access token a request carries, if any."""
    value = bearer_token(headers.get("authorization"))
    issued = store.tokens.get(value) if value else None
    if issued is None or now >= issued.expires_at:
        return None
    return issued


def access_denied(state: SandboxState, path: str, headers: Headers) -> Response | None:
    """401 without a valid access token, 403 when it lacks the API's scope; None to proceed."""
    with state.lock:
        issued = caller(state.googleplay, headers, state.now())
    realm = 'Bearer realm="https://accounts.google.com/"'
    if issued is None:
        present = bearer_token(headers.get("authorization")) is not None
        body = google_body(
            401,
            UNAUTHENTICATED if present else MISSING_CREDENTIALS,
            reason="authError" if present else "required",
            extra_error_fields={"location": "Authorization", "locationType": "header"},
        )
        body["error"]["errors"][0]["message"] = (
            "Invalid Credentials" if present else "Login Required."
        )
        challenge = f'{realm}, error="invalid_token"' if present else realm
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})
    scope = required_scope(path)
    if scope not in issued.scopes:
        service = scope.rsplit("/", 1)[-1] + ".googleapis.com"
        body = google_body(
            403,
            "Request had insufficient authentication scopes.",
            reason="insufficientPermissions",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {"service": service},
                }
            ],
        )
        body["error"]["errors"][0]["message"] = "Insufficient Permission"
        challenge = f'{realm}, error="insufficient_scope", scope="{scope}"'
        return JSONResponse(body, status_code=403, headers={"WWW-Authenticate": challenge})
    return None


ROUTES = [Route("/token", token, methods=["POST"])]
