"""relctl talks to Prefect's REST API over real HTTP; a busy SQLite server answers 503."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from relctl.trigger import PrefectApi


class _Flaky(BaseHTTPRequestHandler):
    busy_answers = 0
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.path)
        if type(self).busy_answers > 0:
            type(self).busy_answers -= 1
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        body = json.dumps({"id": "run-1", "state": {"type": "SCHEDULED"}}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()


def test_a_busy_server_answer_is_retried_not_raised(flaky_server: str) -> None:
    _Flaky.busy_answers, _Flaky.seen = 2, []
    api = PrefectApi(flaky_server)
    run, created = api.create_flow_run("dep-1", {"service": "verifier"}, "key-1")
    assert (run["id"], created) == ("run-1", True)
    assert len(_Flaky.seen) == 3


def test_a_server_busy_for_good_is_an_error(flaky_server: str) -> None:
    _Flaky.busy_answers, _Flaky.seen = 100, []
    api = PrefectApi(flaky_server)
    with pytest.raises(httpx.HTTPStatusError):
        api.create_flow_run("dep-1", {}, None)
    assert len(_Flaky.seen) == 6
