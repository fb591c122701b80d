"""Issue 8: a Workers release whose server is restarted during its post-deploy watch ends verified,
with one production deployment, and leaks no slot — on the team shape (`make run-pg`: PostgreSQL
+ prefect-redis, the lease lives in Redis, so the release's renewals and its final release find
it after the restart) and on `make run`'s SQLite (the lease is lost; the live holder keeps
beating and gives back the count its lost lease held)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox
from tasks.limits import release_limit
from tasks.policy_file import load_policy
from tests.scenarios.conftest import CLOUDFLARE_TOKEN, GITHUB_TOKEN, PAGERDUTY_TOKEN, TOKENS, Stack
from tests.scenarios.real_server import RealServer, real_server
from tests.scenarios.team_backend import private_team_backend
from tests.scenarios.test_team_shape_leases import active_slots

pytestmark = [pytest.mark.scenario]


@contextmanager
def _stack_on(
    settings: dict[str, str],
    tmp_path: Path,
    sandbox_server: RunningSandbox,
    policy_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Stack, RealServer]]:
    """The conftest `stack`, but on a real `prefect server start` of this test's own."""
    from scripts.localstack import seed_document
    from tasks.limits import ensure_limits

    url = sandbox_server.url
    for key, value in {
        "RELORCH_POLICY": str(policy_file),
        "RELORCH_PROFILE": "sandbox",
        "RELORCH_SANDBOX_URL": url,
        "RELORCH_GITHUB_API_URL": f"{url}/github",
        "RELORCH_CLOUDFLARE_API_URL": f"{url}/cloudflare/client/v4",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
        "PAGERDUTY_API_TOKEN": PAGERDUTY_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    with real_server(tmp_path / "prefect", settings) as server:
        policy = load_policy(policy_file, "sandbox")
        control = SandboxControl(url)
        control.reset()
        control.seed({**seed_document(policy), "tokens": TOKENS})
        for svc in policy.services.values():
            for env in svc.environments.values():
                control.worker_traffic(env.script, 400.0)
        asyncio.run(ensure_limits(policy))
        yield Stack(control, policy, url), server
        control.clear_faults()


@pytest.fixture
def team(
    tmp_path: Path,
    sandbox_server: RunningSandbox,
    policy_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Stack, RealServer]]:
    """On the team shape: PostgreSQL and Redis of this test's own."""
    with (
        private_team_backend() as backend,
        _stack_on(
            backend.server_settings(), tmp_path, sandbox_server, policy_file, monkeypatch
        ) as both,
    ):
        yield both


@pytest.fixture
def single(
    tmp_path: Path,
    sandbox_server: RunningSandbox,
    policy_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Stack, RealServer]]:
    """On `make run`'s shape: SQLite, leases in the server's memory."""
    with _stack_on({}, tmp_path, sandbox_server, policy_file, monkeypatch) as both:
        yield both


def _production_deployed(stack: Stack, service: str) -> bool:
    script = stack.script(service)
    return any(
        r["method"] == "POST" and r["path"].endswith(f"/scripts/{script}/deployments")
        for r in stack.control.requests("cloudflare")
    )


def _restart_in_the_middle_of_a_release(stack: Stack, server: RealServer) -> None:
    from flows.workers_deploy import workers_deploy

    release = stack.prepare("edge-router")
    limit = release_limit("edge-router")
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["state"] = asyncio.run(workers_deploy(**release.parameters, return_state=True))  # type: ignore[call-overload,arg-type]

    # the thread keeps this context: the Prefect settings point at this test's server
    runner = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
    runner.start()
    # in the middle: production is deployed, the post-deploy watch is running, the slot is held
    deadline = time.monotonic() + 30
    while not _production_deployed(stack, "edge-router"):
        assert runner.is_alive() and time.monotonic() < deadline, outcome
        time.sleep(0.2)
    assert active_slots(server, limit) == 1
    restarted_at = datetime.now(UTC)
    server.restart()
    runner.join(timeout=90)
    assert not runner.is_alive(), "the release never ended after the restart"

    state = outcome["state"]
    assert state.is_completed(), state.message
    assert state.timestamp >= restarted_at  # it spanned the restart: ended on the new server
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]
    deploys = [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST"
        and r["path"].endswith(f"/scripts/{stack.script('edge-router')}/deployments")
    ]
    assert len(deploys) == 1  # one production deployment: no second deploy, no rollback
    repo = stack.policy.service("edge-router").repo
    record = next(
        d for d in stack.control.github_deployments(repo) if d["environment"] == "production"
    )
    assert record["sha"] == release.parameters["git_sha"]
    assert active_slots(server, limit) == 0  # its slot came back: nothing leaked


def test_server_restart_in_the_middle_of_a_workers_release_ends_it_right_without_a_leaked_slot(
    team: tuple[Stack, RealServer],
) -> None:
    _restart_in_the_middle_of_a_release(*team)


def test_sqlite_server_restart_during_the_watch_ends_the_release_verified_and_frees_its_slot(
    single: tuple[Stack, RealServer],
) -> None:
    """`make run`'s shape loses the lease in the restart; the live release still beats, finishes
    its watch and gives its slot back (tasks/slots.py), instead of being terminated unverified."""
    _restart_in_the_middle_of_a_release(*single)


def test_server_restart_during_an_android_soak_keeps_the_chain_going(
    team: tuple[Stack, RealServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A significant release waits out internal testing in a scheduled continuation (a flow run
    in PostgreSQL); the server restarts during that wait; the continuation still fires and the
    chain goes on to production."""
    import os

    from tests.scenarios.conftest import PACKAGE, play_store
    from tests.scenarios.worker import served_deployments, wait_for

    stack, server = team
    control = stack.control
    android = play_store(stack, monkeypatch)
    android.ci_upload(101)
    control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    keys = [k for k in os.environ if k.startswith(("RELORCH_", "GOOGLE_")) or k.endswith("_TOKEN")]
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("android-release", "standard")
        run, _ = api.create_flow_run(
            deployment, {"app": "wallet", "version_code": 101, "significant": True}
        )
        # the first run ends Deferred in internal testing; its continuation is scheduled
        continuation = wait_for(lambda: api.runs_tagged(f"continues:{run['id']}"), 60)
        assert android.release_of(101) is None  # still in internal testing: not in production
        server.restart()
        final = api.wait_chain(run["id"], timeout_s=120)
        assert final["state"]["type"] == "COMPLETED" and final["state"]["name"] != "Deferred", (
            final["state"]
        )
        assert continuation[0]["parameters"]["version_code"] == 101
    release = android.release_of(101)
    assert release is not None and release["status"] == "completed", release
