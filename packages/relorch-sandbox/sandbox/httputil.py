"""Small request helpers shared by the provider handlers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from sandbox.state import SandboxState


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def origin(request: Request) -> str:
    """scheme://host:port the client used, so links in answers lead back to this sandbox."""
    return f"{request.url.scheme}://{request.url.netloc}"


class BadJson(ValueError):
    pass


async def json_body(request: Request, *, default: Any = None) -> Any:
    """The request's JSON body; `default` when empty; BadJson when it does not parse."""
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadJson(str(exc)) from exc


def note_log_body(request: Request, summary: Any) -> None:
    """Give the request log a better body summary than the raw bytes allow."""
    request.state.log_body = summary
