"""The crash suite's world: one real `prefect server start` (SQLite) per test process (an xdist
worker) — the server's own services run, as in `make run` — the session's sandbox, and a policy
whose slot staleness and iOS phase days are short enough that a kill heals in seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sandbox.server import RunningSandbox
from tasks.policy_file import load_policy
from tests.scenarios.conftest import (  # noqa: F401 - fixtures shared with the scenarios
    CLOUDFLARE_TOKEN,
    GITHUB_TOKEN,
    PAGERDUTY_TOKEN,
    TOKENS,
    Android,
    Ios,
    Stack,
    app_store,
    play_store,
    policy_file,
)
from tests.scenarios.real_server import RealServer


@pytest.fixture(scope="session")
def crash_policy(policy_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    doc = yaml.safe_load(policy_file.read_text())
    sandbox = doc["profiles"]["sandbox"]
    # a killed holder's slot is freed after 2 s of silence (the next run heals it)
    sandbox["slots"] = {"wait": "60s", "emergency_wait": "10s", "poll": "0.5s", "stale": "2s"}
    # Play's stages soak 1 s each, vitals read every half second
    android = sandbox["android_apps"]["wallet"]
    android["stage_soak"] = "1s"
    android["vitals"] = {
        "recheck_after": "1s",
        "check_interval": "0.5s",
        "watch_after_complete": "1s",
    }
    # Apple's 7 phase days in 14 s; the sandbox App Store's day is the same (app_store())
    ios = sandbox["ios_apps"]["wallet"]
    ios.update(phased_day="2s", checkpoint_margin="1s", pause_warning="14s")
    ios["health"] = {"check_interval": "0.4s", "watch_after_complete": "1s"}
    path = tmp_path_factory.mktemp("crash-policy") / "release-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """Started once per test process; each test points Prefect at it (`world`), so the tests
    after it in this process keep their own server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    srv = RealServer(tmp_path_factory.mktemp("prefect"))
    try:
        srv.start()
        yield srv
        # what runs in this process still have to send goes now, to a server that listens
        # (at exit it would retry a stopped one for a minute)
        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)
    finally:
        srv.stop()


@dataclass
class World:
    stack: Stack
    android: Android
    ios: Ios
    server: RealServer

    def env(self) -> dict[str, str]:
        """A driver process's environment: this test's settings, this module's server."""
        return {**os.environ, "PREFECT_API_URL": self.server.url}


@pytest.fixture
def world(
    server: RealServer,
    sandbox_server: RunningSandbox,  # noqa: F811
    crash_policy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from sandbox.control import SandboxControl
    from scripts.localstack import seed_document
    from tasks.limits import ensure_limits

    url = sandbox_server.url
    for key, value in {
        "RELORCH_POLICY": str(crash_policy),
        "RELORCH_PROFILE": "sandbox",
        "RELORCH_SANDBOX_URL": url,
        "RELORCH_GITHUB_API_URL": f"{url}/github",
        "RELORCH_CLOUDFLARE_API_URL": f"{url}/cloudflare/client/v4",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
        "PAGERDUTY_API_TOKEN": PAGERDUTY_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    policy = load_policy(crash_policy, "sandbox")
    control = SandboxControl(url)
    control.reset()
    control.seed({**seed_document(policy), "tokens": TOKENS})
    for svc in policy.services.values():
        for env in svc.environments.values():
            control.worker_traffic(env.script, 400.0)
    stack = Stack(control, policy, url)

    async def fresh_prefect_state() -> None:
        """The server outlives a test: its timelines, slot records and slots go."""
        async with get_client() as client:
            for variable in await client.read_variables():
                await client.delete_variable_by_name(variable.name)
            for name in await ensure_limits(policy):
                with contextlib.suppress(ObjectNotFound):
                    await client.delete_global_concurrency_limit_by_name(name)
        await ensure_limits(policy)

    with temporary_settings({PREFECT_API_URL: server.url}):
        asyncio.run(fresh_prefect_state())
        ios = app_store(stack, monkeypatch)
        android = play_store(stack, monkeypatch)
        yield World(stack, android, ios, server)
        control.clear_faults()
