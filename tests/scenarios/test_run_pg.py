"""`make run-pg`'s entry point (`python -m scripts.stack --backend pg`) brings the team shape up
and takes all of it down on SIGTERM; `infra/docker-compose.yml` describes the same server."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scripts.team_shape import REDIS_MODULES, TeamBackend
from tests.scenarios.real_server import _free_port
from tests.scenarios.team_backend import private_team_backend

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "infra" / "docker-compose.yml"


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _deployment_names_in(backend: TeamBackend) -> set[str]:
    import asyncio

    import asyncpg

    async def read() -> set[str]:
        conn = await asyncpg.connect(
            host=backend.pg_host,
            port=backend.pg_port,
            user=backend.pg_user,
            database=backend.database,
        )
        try:
            return {row["name"] for row in await conn.fetch("SELECT name FROM deployment")}
        finally:
            await conn.close()

    return asyncio.run(read())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_line(proc: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if marker in line:
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    if not seen.wait(timeout):
        raise AssertionError(
            f"no {marker!r} within {timeout} s; rc={proc.poll()}:\n{''.join(lines)}"
        )
    return lines


@pytest.mark.scenario
def test_run_pg_serves_the_deployments_with_two_workers_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    with private_team_backend() as backend:
        port = _free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        env = {
            **os.environ,
            "RELORCH_PG_DATABASE": backend.database,
            "RELORCH_REDIS_DB": str(backend.redis_db),
            "PREFECT_WORKER_HEARTBEAT_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PREFECT_API_URL", None)
        processes: set[int] = set()
        stack = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.stack",
                "--backend",
                "pg",
                "--port",
                str(port),
                "--sandbox-port",
                str(_free_port()),
                "--home",
                str(tmp_path / "home"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_for_line(stack, "Release orchestrator is up", timeout=120)
            with httpx.Client(base_url=api_url, timeout=10) as api:
                assert api.get("/health").status_code == 200
                settings = api.get("/admin/settings").json()
                assert (
                    settings["server"]["concurrency"]["lease_storage"]
                    == "prefect_redis.lease_storage"
                )
                assert settings["server"]["events"]["messaging_broker"] == "prefect_redis.messaging"
                expected = {
                    d["name"]
                    for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
                }
                deployments = api.post("/deployments/filter", json={}).json()
                assert {d["name"] for d in deployments} == expected
                assert all(d["work_pool_name"] == "release-local" for d in deployments)
                # on this test's PostgreSQL database (not SQLite, nor anyone else's)
                assert _deployment_names_in(backend) == expected

                def workers() -> set[str]:
                    found = api.post("/work_pools/release-local/workers/filter", json={}).json()
                    return {w["name"] for w in found if w["status"] == "ONLINE"}

                deadline = time.monotonic() + 45
                while workers() != {"release-worker-1", "release-worker-2"}:
                    assert time.monotonic() < deadline, f"workers online: {workers()}"
                    time.sleep(1)
            processes = _descendants(stack.pid)
            assert len(processes) >= 3  # the server and two workers at least

            stack.send_signal(signal.SIGTERM)
            assert stack.wait(timeout=45) == 0
            deadline = time.monotonic() + 10
            while (left := {p for p in processes if _alive(p)}) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert not left, f"orphans after SIGTERM: {left}"
            with pytest.raises(httpx.HTTPError):
                httpx.get(f"{api_url}/health", timeout=2)
        finally:  # whatever the outcome, none of this test's processes outlives it
            for pid in (processes | _descendants(stack.pid)) if stack.poll() is None else processes:
                if _alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            if stack.poll() is None:
                stack.kill()
            stack.wait()


def _server_env(compose: dict[str, Any]) -> dict[str, str]:
    env = compose["services"]["server"]["environment"]
    if isinstance(env, list):  # `docker compose config` may print KEY=VALUE lists
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _assert_team_server(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The same settings as `make run-pg`'s server, and Prefect reads every one of them."""
    from prefect.settings import Settings
    from prefect_redis.client import RedisMessagingSettings

    assert set(TeamBackend().server_settings()) <= set(env)
    for name, module in REDIS_MODULES.items():
        assert env[name] == module
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    server = Settings().server
    assert server.database.connection_url is not None
    assert server.database.connection_url.get_secret_value().startswith("postgresql+asyncpg://")
    assert server.concurrency.lease_storage == "prefect_redis.lease_storage"
    assert (
        server.events.messaging_broker == server.events.messaging_cache == "prefect_redis.messaging"
    )
    assert server.events.causal_ordering == "prefect_redis.ordering"
    assert server.docket.url.startswith("redis://redis:6379/")
    redis = RedisMessagingSettings()
    assert (redis.host, redis.port, redis.db) == (
        "redis",
        6379,
        int(server.docket.url.rsplit("/", 1)[1]),
    )


def test_compose_file_describes_the_run_pg_server(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    _assert_team_server(_server_env(compose), monkeypatch)
    services = compose["services"]
    assert {"postgres", "redis", "server", "setup", "worker"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["server"]["depends_on"]["redis"]["condition"] == "service_healthy"


def _docker_compose_available() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return (
        None
        if probe.returncode == 0
        else "the docker client here has no compose plugin (`docker compose version` fails)"
    )


@pytest.mark.skipif(bool(_docker_compose_available()), reason=str(_docker_compose_available()))
def test_compose_file_is_valid_for_docker_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    """`docker compose config` parses and normalises the file (no engine needed)."""
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    _assert_team_server(_server_env(json.loads(done.stdout)), monkeypatch)
