"""PagerDuty's wire conventions that the shared middleware needs: the API-key header and the
error body. Imports nothing else of the sandbox, so sandbox.auth and sandbox.errors can use it."""

from __future__ import annotations

from typing import Any

# PagerDuty's own error codes for the answers the sandbox gives (developer docs, "Errors").
CODES = {400: 2001, 401: 2006, 403: 2010, 404: 2100, 429: 2020}
MESSAGES = {
    400: "Invalid Input Provided",
    401: "Authentication failed",
    403: "Access Denied",
    404: "Not Found",
    429: "Rate Limit Exceeded",
}


def api_key(authorization: str | None) -> str | None:
    """The key in `Authorization: Token token=<key>`; None for anything else (Bearer included:
    that scheme is for OAuth tokens, which this sandbox does not issue)."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    name, sep, key = rest.strip().partition("=")
    if scheme.lower() != "token" or name.strip().lower() != "token" or not sep:
        return None
    key = key.strip().strip('"')
    return key or None


def pagerduty_body(status: int, message: str = "", errors: list[str] | None = None) -> dict:
    """`{"error": {"message", "code", "errors"}}`, PagerDuty's error shape."""
    error: dict[str, Any] = {"message": message or MESSAGES.get(status, "Error")}
    code = CODES.get(status)
    if code is not None:
        error["code"] = code
    if errors:
        error["errors"] = list(errors)
    return {"error": error}
