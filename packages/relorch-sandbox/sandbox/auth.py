"""Bearer-token checks for the provider APIs."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from sandbox.errors import CF_AUTH, cloudflare_body, github_body
from sandbox.pagerduty.wire import api_key, pagerduty_body


def bearer_token(authorization: str | None, schemes: tuple[str, ...] = ("bearer",)) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() in schemes and token else None


def is_authorised(target: str, authorization: str | None, tokens: Mapping[str, str]) -> bool:
    """Any non-empty bearer token passes unless a token was configured for the provider.
    PagerDuty takes its API key as `Token token=<key>` instead; GitHub takes `token <t>` as well
    as `Bearer <t>` (octokit, PyGithub and many CI scripts send the former)."""
    if target == "pagerduty":
        token = api_key(authorization)
    elif target == "github":
        token = bearer_token(authorization, ("bearer", "token"))
    else:
        token = bearer_token(authorization)
    if token is None:
        return False
    expected = tokens.get(target)
    return expected is None or hmac.compare_digest(token.encode(), expected.encode())


def unauthorised(target: str, authorization: str | None) -> Response:
    """A 401 in the provider's shape; it never repeats the token that was sent."""
    if target == "github":
        message = "Requires authentication" if not authorization else "Bad credentials"
        return JSONResponse(github_body(401, message), status_code=401)
    if target == "pagerduty":
        return JSONResponse(pagerduty_body(401), status_code=401)
    if target == "sentry":
        detail = (
            "Invalid token" if authorization else "Authentication credentials were not provided."
        )
        return JSONResponse({"detail": detail}, status_code=401)
    return JSONResponse(cloudflare_body(CF_AUTH, "Authentication error"), status_code=401)
