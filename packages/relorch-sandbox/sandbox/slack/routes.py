"""`POST /slack/services/{T}/{B}/{secret}` as Slack's incoming webhooks take it: a JSON body
with `text` (and optional `blocks`), answered `200 ok` as plain text; a body without text is
refused `400 no_text`, as Slack does. Each accepted message is recorded; the admin API lists
them (`GET /_sandbox/slack/messages`) and the reset forgets them."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.httputil import sandbox_state

__all__ = ["ADMIN_ROUTES", "ROUTES"]


async def post(request: Request) -> Response:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return PlainTextResponse("invalid_payload", status_code=400)
    if not isinstance(body, dict) or not str(body.get("text") or "").strip():
        return PlainTextResponse("no_text", status_code=400)
    state = sandbox_state(request)
    with state.lock:
        state.slack.messages.append(
            {
                "hook": request.path_params["hook"],
                "text": body["text"],
                "at": state.now().isoformat(),
            }
        )
    return PlainTextResponse("ok")


async def messages(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        return JSONResponse(list(state.slack.messages))


ROUTES = [Route("/services/{hook:path}", post, methods=["POST"])]
ADMIN_ROUTES = [Route("/messages", messages, methods=["GET"])]
