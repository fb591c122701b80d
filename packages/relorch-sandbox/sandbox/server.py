"""Serving the sandbox: in a background thread (tests, demos) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn

from sandbox.app import build_app
from sandbox.clock import Clock
from sandbox.seed import apply_seed
from sandbox.state import SandboxState

STARTUP_TIMEOUT_S = 5.0


class RunningSandbox:
    """A sandbox serving on loopback from a daemon thread; stop() or use it as a context manager."""

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        state: SandboxState,
        host: str,
        port: int,
    ) -> None:
        self._server = server
        self._thread = thread
        self.state = state  # in-process access, e.g. to swap the clock in a test
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_S)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        access_log=log_level in ("info", "debug"),
        # A fake only: answer fast on shutdown rather than wait for idle keep-alive clients.
        timeout_graceful_shutdown=1,
    )


def _bind(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn, so the real port is known before serving starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, small responses written in two parts
    # wait out the client's delayed ACK (~40 ms per request on loopback).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tokens: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> RunningSandbox:
    """Serve a fresh sandbox in a background thread; returns once it accepts connections.

    `port=0` picks a free port (see `.url`). `tokens` fixes the accepted bearer token per
    provider ("github", "cloudflare"); without one, any non-empty token is accepted.
    """
    state = SandboxState(tokens=tokens, clock=clock)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(build_app(state), host, bound_port, "warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox:{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"sandbox failed to start on {host}:{bound_port}")
        time.sleep(0.005)
    return RunningSandbox(server, thread, state, host, bound_port)


def serve_forever(
    host: str,
    port: int,
    *,
    tokens: Mapping[str, str] | None = None,
    seed: dict[str, Any] | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C)."""
    state = SandboxState(tokens=tokens)
    if seed:
        apply_seed(state, seed)
    sock = _bind(host, port)
    print(f"sandbox serving on http://{host}:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(_config(build_app(state), host, port, "info")).run(sockets=[sock])
