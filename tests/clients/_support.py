"""Test doubles for the clients: a scripted provider behind httpx.MockTransport, and fake time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from clients import RetryPolicy

TOKEN = "tok-Sup3rSecret-7f3a9c2e4b1d0a8f6e5c"  # distinctive, so a leak is easy to spot

Handler = Callable[[httpx.Request, "re.Match[str]"], "Reply"]


@dataclass
class Reply:
    """A canned answer, or a transport failure, rebuilt fresh for every request that gets it."""

    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    error: type[httpx.TransportError] | None = None
    takes_s: float = 0.0  # fake seconds the attempt costs, to exercise the time budget

    def build(self, request: httpx.Request) -> httpx.Response:
        if self.error is not None:
            raise self.error(f"simulated {self.error.__name__}", request=request)
        if self.text is not None:
            return httpx.Response(self.status, text=self.text, headers=self.headers)
        return httpx.Response(self.status, json=self.json, headers=self.headers)


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response | None  # None when the attempt raised a transport error

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def body(self) -> Any:
        return json.loads(self.request.content) if self.request.content else None


class FakeTime:
    """A clock that only moves when the retry loop sleeps or a reply says it took time."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def policy(self, **overrides: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, clock=self.clock, **overrides)


class ScriptedProvider:
    """Routes (method, path regex) to canned replies or handlers and records every exchange.

    A route given several replies plays them in order and then repeats the last one.
    """

    def __init__(self, time: FakeTime | None = None) -> None:
        self._routes: list[tuple[str, re.Pattern[str], list[Reply | Handler]]] = []
        self.exchanges: list[Exchange] = []
        self._time = time

    def on(self, method: str, path: str, *replies: Reply | Handler) -> ScriptedProvider:
        assert replies, "a route needs at least one reply"
        self._routes.insert(0, (method.upper(), re.compile(path + r"\Z"), list(replies)))
        return self

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def calls(self, method: str, path: str) -> list[Exchange]:
        pattern = re.compile(path + r"\Z")
        return [e for e in self.exchanges if e.request.method == method and pattern.match(e.path)]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        for method, pattern, replies in self._routes:
            match = pattern.match(request.url.path)
            if method == request.method and match:
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if not isinstance(reply, Reply):
                    reply = reply(request, match)
                if self._time is not None:
                    # An attempt lasts at most its timeout: that is when httpx would give up.
                    timeout = request.extensions.get("timeout", {}).get("read") or float("inf")
                    self._time.now += min(reply.takes_s, timeout)
                try:
                    response = reply.build(request)
                except httpx.TransportError:
                    self.exchanges.append(Exchange(request, None))
                    raise
                self.exchanges.append(Exchange(request, response))
                return response
        raise AssertionError(f"unexpected request {request.method} {request.url}")


def cf_ok(result: Any, result_info: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return Reply(200, body)


def cf_error(status: int, code: int, message: str) -> Reply:
    return Reply(
        status,
        {
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
            "result": None,
        },
    )
