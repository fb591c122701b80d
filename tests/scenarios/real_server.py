"""A real `prefect server start` (not the test harness's ephemeral one), for the scenarios that
need the server's background services (a killed worker's concurrency lease is only reclaimed by
the server's repossessor, which ephemeral servers do not run) or a server restart. The backend is
the caller's: SQLite in `home` by default, or the team shape's settings
(`scripts.team_shape.TeamBackend.server_settings`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from scripts.stack import wait_healthy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RealServer:
    """One server process at a time on a fixed port, so clients keep their URL across restarts."""

    def __init__(
        self, home: Path, settings: Mapping[str, str] | None = None, *, ui: bool = False
    ) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1",
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
            **(settings or {}),
        }
        self.env.pop("PREFECT_API_URL", None)
        if ui:  # the UI's own calls go to its default port's API unless told this server's
            self.env.update({"PREFECT_UI_ENABLED": "true", "PREFECT_UI_API_URL": self.url})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(self.url, self.proc)

    def stop(self) -> None:
        """A clean stop (SIGTERM), as a deploy or a host reboot does."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def real_server(
    home: Path, settings: Mapping[str, str] | None = None, *, ui: bool = False
) -> Iterator[RealServer]:
    """A started server (serving its UI too with `ui`); PREFECT_API_URL points at it for the
    block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = RealServer(home, settings, ui=ui)
    try:
        server.start()
        with temporary_settings({PREFECT_API_URL: server.url}):
            yield server
            if server.proc is not None and not server.env.get("PREFECT_SERVER_API_AUTH_STRING"):
                # what this server holds joins the secrets scan before it goes (secrets_scan.py)
                from tests.scenarios.secrets_scan import assert_server_clean

                assert_server_clean()
    finally:
        server.stop()


@contextmanager
def real_prefect_server(home: Path) -> Iterator[str]:
    """The SQLite server's API URL."""
    with real_server(home) as server:
        yield server.url
