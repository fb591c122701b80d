"""Google's wire conventions that the shared middleware needs: the API error body, the OAuth
token endpoint's error body, the scopes. Imports nothing else of the sandbox, so sandbox.auth and
sandbox.errors can use it."""

from __future__ import annotations

from typing import Any

ANDROIDPUBLISHER_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
REPORTING_SCOPE = "https://www.googleapis.com/auth/playdeveloperreporting"
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
# Google also still accepts assertions addressed to its old token endpoint.
LEGACY_TOKEN_AUDIENCE = "https://accounts.google.com/o/oauth2/token"
TOKEN_PATH = "/google/oauth2/token"
REPORTING_PREFIX = "/google/playdeveloperreporting/"

# google.rpc.Code names for the HTTP statuses the sandbox answers with.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# The legacy `errors[].reason` per status (androidpublisher's documented error table).
REASONS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    409: "concurrentUpdate",
    429: "rateLimitExceeded",
}
CONCURRENT_UPDATE_MESSAGE = (
    "The resource was modified concurrently. Retry with exponential backoff; avoid modifying "
    "the same resource concurrently."
)


class GoogleError(Exception):
    """An androidpublisher / reporting failure in Google's JSON error shape.

    `status` is the google.rpc code name (defaults from the HTTP status); `reason` goes into the
    legacy `errors[]` entry; `details` (e.g. a google.rpc.ErrorInfo) are sent as given.
    `legacy=False` leaves out `errors[]` (newer APIs such as Play Developer Reporting, and the
    commit sample for CHANGES_ALREADY_IN_REVIEW, send only code/message/status/details).
    """

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        details: list[dict[str, Any]] | None = None,
        legacy: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.status = status
        self.reason = reason
        self.details = details
        self.legacy = legacy
        self.headers = headers


class OAuthError(Exception):
    """A token endpoint failure: `{"error": code, "error_description": ...}` (RFC 6749 5.2)."""

    def __init__(self, error: str, description: str, http_status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.http_status = http_status


def google_body(
    http_status: int,
    message: str,
    *,
    status: str | None = None,
    reason: str | None = None,
    details: list[dict[str, Any]] | None = None,
    legacy: bool = True,
    extra_error_fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status",
    "details"}}`, the shape googleapis.com answers failures with."""
    if http_status >= 500 and http_status not in REASONS:
        default_reason = "backendError"
    else:
        default_reason = REASONS.get(http_status, "badRequest")
    error: dict[str, Any] = {"code": http_status, "message": message}
    if legacy:
        entry: dict[str, Any] = {
            "message": message,
            "domain": "global",
            "reason": reason or default_reason,
        }
        entry.update(extra_error_fields or {})
        error["errors"] = [entry]
    error["status"] = status or STATUS_NAMES.get(
        http_status, "INTERNAL" if http_status >= 500 else "FAILED_PRECONDITION"
    )
    if details:
        error["details"] = details
    return {"error": error}


def google_error_body(exc: GoogleError) -> dict[str, Any]:
    return google_body(
        exc.http_status,
        exc.message,
        status=exc.status,
        reason=exc.reason,
        details=exc.details,
        legacy=exc.legacy,
    )


def generic_google_body(http_status: int, message: str) -> dict[str, Any]:
    """Faults and routing misses. A 409 is Play's documented `concurrentUpdate` (ABORTED)."""
    if http_status == 409:
        message = f"{CONCURRENT_UPDATE_MESSAGE} ({message})"
    return google_body(http_status, message)


def oauth_body(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def generic_oauth_body(http_status: int, message: str) -> dict[str, str]:
    """Faults and routing misses on the token endpoint."""
    if http_status == 429:
        return oauth_body("rate_limit_exceeded", message)
    if http_status in (502, 503, 504):
        return oauth_body("temporarily_unavailable", message)
    if http_status >= 500:
        return oauth_body("internal_failure", message)
    return oauth_body("invalid_request", message)


def required_scope(path: str) -> str:
    """The OAuth scope a Google API path needs."""
    return REPORTING_SCOPE if path.startswith(REPORTING_PREFIX) else ANDROIDPUBLISHER_SCOPE
