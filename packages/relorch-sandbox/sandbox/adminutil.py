"""Validation helpers for the admin API (plain JSON errors: {"error": ...})."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.httputil import BadJson, json_body


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
        self.message = message


async def on_admin_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def admin_json(request: Request) -> dict[str, Any]:
    try:
        doc = await json_body(request, default={})
    except BadJson as exc:
        raise AdminError(f"body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise AdminError("body must be a JSON object")
    return doc


def text(doc: Any, key: str, default: str) -> str:
    value = doc.get(key, default) if isinstance(doc, dict) else default
    if value is None:
        return default
    if not isinstance(value, str):
        raise AdminError(f"{key} must be a string")
    return value


def flag(doc: Any, key: str, default: bool) -> bool:
    value = doc.get(key, default) if isinstance(doc, dict) else default
    if not isinstance(value, bool):
        raise AdminError(f"{key} must be true or false")
    return value


def number(doc: Any, key: str, default: float, *, low: float, high: float) -> float:
    value = doc.get(key, default) if isinstance(doc, dict) else default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise AdminError(f"{key} must be a number within [{low}, {high}]")
    return float(value)


def choice(doc: Any, key: str, allowed: Sequence[str], default: str) -> str:
    value = doc.get(key, default) if isinstance(doc, dict) else default
    if value not in allowed:
        raise AdminError(f"{key} must be one of {', '.join(allowed)}")
    return str(value)
