"""App Store Connect's wire conventions the shared middleware needs: the error document and the
rate-limit header. Imports nothing else of the sandbox, so sandbox.errors can use it."""

from __future__ import annotations

import uuid
from typing import Any

__all__ = [
    "AUDIENCE",
    "AscError",
    "error_body",
    "rate_limit_header",
]

AUDIENCE = "appstoreconnect-v1"
TITLES = {
    400: "A parameter has an invalid value",
    401: "Authentication credentials are missing or invalid.",
    403: "The given operation is not allowed",
    404: "The specified resource does not exist",
    405: "The method is not allowed for the resource",
    409: "The provided entity includes an attribute with a value that has already been used",
    422: "The request entity is invalid",
    429: "The request rate limit has been reached.",
}
CODES = {
    400: "PARAMETER_ERROR.INVALID",
    401: "NOT_AUTHORIZED",
    403: "FORBIDDEN_ERROR",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "STATE_ERROR",
    422: "ENTITY_UNPROCESSABLE",
    429: "RATE_LIMIT_EXCEEDED",
}


class AscError(Exception):
    """A refusal in Apple's ErrorResponse shape; `code` and `title` default from the status."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or CODES.get(status, "UNEXPECTED_ERROR")
        self.title = title or TITLES.get(status, "An unexpected error occurred.")
        self.headers = headers or {}


def error_body(
    status: int, detail: str, *, code: str | None = None, title: str | None = None
) -> dict[str, Any]:
    """{"errors": [{"id", "status", "code", "title", "detail"}]} — status is a string."""
    error: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": str(status),
        "code": code or CODES.get(status, "UNEXPECTED_ERROR"),
        "title": title or TITLES.get(status, "An unexpected error occurred."),
        "detail": detail,
    }
    return {"errors": [error]}


def rate_limit_header(limit: int, remaining: int) -> str:
    """The value of `X-Rate-Limit` Apple sends on every answer."""
    return f"user-hour-lim:{limit};user-hour-rem:{max(0, remaining)};"
