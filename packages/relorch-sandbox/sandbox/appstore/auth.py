"""ES256 JWT checks and the hourly rate limit of App Store Connect, applied by the shared
middleware before any handler runs.

A token passes when its header says `alg: ES256`, `typ: JWT` and a `kid`; its claims carry `iss`,
`aud: appstoreconnect-v1`, `iat` and `exp` with exp - iat <= 20 min, exp in the future and iat
at most 60 s ahead (clock skew), all on the sandbox clock; and its signature verifies with the
public key registered for (iss, kid). Refusals never echo the token.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from sandbox.appstore.wire import AUDIENCE, error_body, rate_limit_header
from sandbox.auth import bearer_token
from sandbox.state import SandboxState

__all__ = ["AscAuth", "check_request", "refusal"]

MAX_LIFETIME_S = 20 * 60
SKEW_S = 60


@dataclass
class AscAuth:
    """The middleware's verdict: a refusal to send, or the rate-limit header to add."""

    refusal: Response | None
    rate_header: str | None


def refusal(detail: str) -> Response:
    return JSONResponse(error_body(401, detail), status_code=401)


def _verify(state: SandboxState, token: str) -> tuple[str, str] | str:
    """(issuer, kid) of a good token, or why it is refused."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "The bearer token is not a well-formed JWT."
    if header.get("alg") != "ES256":
        return "The token must be signed with ES256."
    if header.get("typ", "JWT") != "JWT" or not isinstance(header.get("kid"), str):
        return "The token header needs typ JWT and the key id (kid)."
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        return "The token has no issuer (iss)."
    with state.lock:
        key = state.appstore.keys.get((issuer, header["kid"]))
    if key is None:
        return "The key id and issuer id do not name a registered API key."
    try:
        jwt.decode(
            token,
            key.public_pem,
            algorithms=["ES256"],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidAudienceError:
        return f"The token audience must be {AUDIENCE}."
    except jwt.PyJWTError:
        return "The token signature does not verify."
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        return "The token needs iat and exp."
    now = state.now().timestamp()
    if exp - iat > MAX_LIFETIME_S:
        return "The token lives longer than 20 minutes (exp - iat > 1200 s)."
    if exp <= now:
        return "The token has expired."
    if iat > now + SKEW_S:
        return "The token was issued in the future (iat)."
    return issuer, header["kid"]


def check_request(state: SandboxState, headers: Headers) -> AscAuth:
    token = bearer_token(headers.get("authorization"))
    if token is None:
        return AscAuth(refusal("Authentication credentials are missing."), None)
    verdict = _verify(state, token)
    if isinstance(verdict, str):
        return AscAuth(refusal(verdict), None)
    with state.lock:
        store = state.appstore
        remaining = store.spend(*verdict, state.now())
        header = rate_limit_header(store.rate_limit, remaining)
    if remaining < 0:
        body = error_body(429, "The API key has used up its requests for this hour.")
        response = JSONResponse(body, status_code=429, headers={"X-Rate-Limit": header})
        return AscAuth(response, header)
    return AscAuth(None, header)
