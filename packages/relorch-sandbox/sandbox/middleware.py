"""The path every provider request takes: faults, auth, the handler, the request log."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.appstore.auth import AscAuth
from sandbox.appstore.auth import check_request as asc_check
from sandbox.auth import is_authorised, unauthorised
from sandbox.clock import iso_micro
from sandbox.errors import provider_error, target_of
from sandbox.faults import Fault
from sandbox.googleplay.oauth import access_denied
from sandbox.requestlog import query_dict, redact_headers, summarise_body
from sandbox.state import PROVIDERS, SandboxState

PREFIXES = {
    "github": "/github",
    "cloudflare": "/cloudflare/client/v4",
    "worker": "/workers",
    "pagerduty": "/pagerduty",
    "statuspage": "/statuspage",  # the logged path keeps the page: /cloudflare/api/v2/...
    "googleplay": "/google",  # logged as /androidpublisher/v3/..., /upload/..., /playdev...
    "google-oauth": "/google/oauth2",
    "app-store-connect": "/appstore",
    "sentry": "/sentry",
}
RATE_LIMIT_MESSAGES = {
    "github": "API rate limit exceeded for installation.",
    "cloudflare": "Please wait and consider throttling your request speed",
    "worker": "Too Many Requests",
    "pagerduty": "Rate Limit Exceeded",
    "statuspage": "Too Many Requests",
    "googleplay": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'.",
    "google-oauth": "Rate limit exceeded.",
    "app-store-connect": "The request rate limit has been reached.",
    "sentry": "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds",
}
STATUS_MESSAGES = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def rate_limited(target: str, retry_after: int) -> Response:
    headers = {"Retry-After": str(retry_after)}
    if target == "github":
        headers |= {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + retry_after),
        }
    return provider_error(target, 429, RATE_LIMIT_MESSAGES[target], headers=headers)


def fault_answer(target: str, fault: Fault) -> Response:
    message = STATUS_MESSAGES.get(fault.status, "Server Error")
    return provider_error(target, fault.status, f"{message} (sandbox fault {fault.id})")


def sent_credentials(target: str, headers: Headers, body: bytes) -> list[str]:
    """What the caller authenticated with: the Authorization header and, at Google's token
    endpoint, the signed assertion of the JWT-bearer grant."""
    found = [headers["authorization"]] if headers.get("authorization") else []
    if target == "google-oauth":
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        if form.get("assertion"):
            found.append(form["assertion"])
    return found


def echo_answer(target: str, fault: Fault, credentials: list[str]) -> Response:
    """A careless server (or a proxy's error page) quoting what the caller sent."""
    quoted = [f"Authorization: {c}" if " " in c else f"assertion={c}" for c in credentials]
    said = "; ".join(quoted) or "no credentials"
    message = f"{'.' * fault.pad}rejected the request ({said}) (sandbox fault {fault.id})"
    if fault.echo_body == "html":
        page = f"<html><body><h1>{fault.status}</h1><pre>{message}</pre></body></html>"
        return HTMLResponse(page, status_code=fault.status)
    return provider_error(target, fault.status, message)


class _Captured:
    """Buffers what the inner app sends, so the answer can still be replaced (or 'lost')."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.status = 500

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        self.messages.append(message)

    def add_header(self, name: str, value: str) -> None:
        for message in self.messages:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((name.encode("latin-1"), value.encode("latin-1")))
                message["headers"] = headers


class ProviderMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = target_of(scope["path"]) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = await _read_body(receive)
        headers = Headers(scope=scope)
        # Handlers leave a better body summary here (e.g. per multipart part) for the log.
        handler_notes: dict[str, Any] = scope.setdefault("state", {})
        method, path = scope["method"], scope["path"]

        credentials = sent_credentials(target, headers, body)
        with self.state.lock:
            decision = self.state.faults.decide(target, method, path)
            # Every credential a caller ever sent, kept across resets: tests look for them in
            # what the orchestrator wrote (tests/scenarios/secrets_scan.py).
            self.state.credentials_seen.update(
                c.partition(" ")[2] if " " in c else c for c in credentials
            )
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        fault = decision.terminal
        status = 500
        asc: AscAuth | None = None
        try:
            if fault is not None and fault.kind == "status":
                status = await _answer(fault_answer(target, fault), scope, receive, send)
            elif fault is not None and fault.kind == "timeout":
                status = await _hang(fault, target, scope, receive, send)
            elif fault is not None and fault.kind == "echo_credentials":
                answer = echo_answer(target, fault, credentials)
                status = await _answer(answer, scope, receive, send)
            elif fault is not None and fault.kind == "rate_limit":
                status = await _answer(
                    rate_limited(target, fault.retry_after), scope, receive, send
                )
            elif target in PROVIDERS and not is_authorised(
                target, headers.get("authorization"), self.state.tokens
            ):
                status = await _answer(
                    unauthorised(target, headers.get("authorization")), scope, receive, send
                )
            elif (
                target == "googleplay"
                and (denied := access_denied(self.state, path, headers)) is not None
            ):
                status = await _answer(denied, scope, receive, send)
            elif target == "app-store-connect" and (asc := asc_check(self.state, headers)).refusal:
                assert asc.refusal is not None
                status = await _answer(asc.refusal, scope, receive, send)
            else:
                captured = _Captured()
                await self.app(scope, _replay(body, receive), captured.send)
                if asc is not None and asc.rate_header:
                    captured.add_header("x-rate-limit", asc.rate_header)
                if fault is not None and fault.kind == "drop_after_commit":
                    # The change is made; only the answer is lost on the way back.
                    status = await _answer(fault_answer(target, fault), scope, receive, send)
                else:
                    status = captured.status
                    for message in captured.messages:
                        await send(message)
        finally:
            shown = fault or (decision.applied[0] if decision.applied else None)
            entry = {
                "time": iso_micro(self.state.now()),
                "target": target,
                "method": method,
                "path": path[len(PREFIXES[target]) :] or "/",
                "query": query_dict(_query_pairs(scope)),
                "headers": redact_headers(headers.items()),
                "body": handler_notes.get("log_body")
                or summarise_body(headers.get("content-type", ""), body),
                "status": status,
                "fault": {"id": shown.id, "kind": shown.kind} if shown else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            with self.state.lock:
                self.state.log.append(entry)


async def _hang(fault: Fault, target: str, scope: Scope, receive: Receive, send: Send) -> int:
    """A provider that never answers: nothing is processed; the request is held until the client
    gives up (its timeout) or `delay_s` passes, when a gateway's 504 arrives instead."""
    try:
        message = await asyncio.wait_for(receive(), timeout=fault.delay_s)
    except TimeoutError:
        return await _answer(fault_answer(target, fault), scope, receive, send)
    if message["type"] == "http.disconnect":
        return 499  # the client closed the connection (nginx's code: no answer was sent)
    return await _answer(fault_answer(target, fault), scope, receive, send)


async def _answer(response: Response, scope: Scope, receive: Receive, send: Send) -> int:
    await response(scope, receive, send)
    return response.status_code


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _query_pairs(scope: Scope) -> list[tuple[str, str]]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True)
