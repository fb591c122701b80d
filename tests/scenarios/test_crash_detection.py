"""Issue 8, point 3: a Workers release whose process dies with its worker (nobody left to report
it) is seen as crashed and finished without anyone acting. Its heartbeats stop; the automation
`relctl automations apply` created marks the run Crashed; prefect.yaml's trigger on
workers-recover/on-crash starts the recovery, which a second worker runs: production verified,
one deployment, the GitHub record `success`, the slot free. On a real `prefect server start`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from relctl.automations import CRASH_DETECTION, apply_automations
from relctl.trigger import PrefectApi
from tests.scenarios.conftest import ROOT, Stack
from tests.scenarios.real_server import real_server
from tests.scenarios.test_run_pg import _descendants
from tests.scenarios.test_workers_deploy import created_deployments
from tests.scenarios.worker import wait_for

pytestmark = [pytest.mark.scenario]

MISSED_AFTER_S = 35  # > Prefect's 30 s minimum heartbeat; production uses 90


def _prefect(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )


@contextmanager
def _worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", "release-local"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _kill_with_everything_it_started(proc: subprocess.Popen[bytes]) -> None:
    for pid in [proc.pid, *_descendants(proc.pid)]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _production_live(stack: Stack, service: str) -> bool:
    script = stack.script(service)
    return any(
        r["method"] == "POST"
        and r["status"] in (200, 201)
        and r["path"].endswith(f"/scripts/{script}/deployments")
        for r in stack.control.requests("cloudflare")
    )


def test_a_release_dead_with_its_worker_is_marked_crashed_and_recovered(
    stack: Stack, tmp_path: Path, policy_file: Path
) -> None:
    # a watch long enough to die in, and still short enough to be over when the recovery comes
    doc = yaml.safe_load(policy_file.read_text())
    doc["profiles"]["sandbox"]["monitor"] = {
        **doc["profiles"]["sandbox"]["monitor"],
        "standard": "20s",
        "significant": "20s",
    }
    policy = tmp_path / "release-policy.yaml"
    policy.write_text(yaml.safe_dump(doc))
    release = stack.prepare("verifier")

    (tmp_path / "prefect").mkdir()
    settings = {"PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT1S"}
    with real_server(tmp_path / "prefect", settings) as server:
        env = {
            **os.environ,
            "PREFECT_API_URL": server.url,
            "RELORCH_HOME": str(ROOT),
            "RELORCH_POLICY": str(policy),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        }
        _prefect(env, "work-pool", "create", "release-local", "--type", "process", "--overwrite")
        _prefect(env, "--no-prompt", "deploy", "--all")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "relctl.cli",
                "automations",
                "apply",
                "--missed-after",
                str(MISSED_AFTER_S),
            ],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )
        subprocess.run(
            [sys.executable, "-m", "relctl.cli", "limits", "ensure"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )
        api = PrefectApi(server.url)
        try:
            deployment = api.deployment_id("workers-deploy", "standard")
            with _worker(env) as first:
                run, _ = api.create_flow_run(deployment, release.parameters)
                wait_for(lambda: _production_live(stack, "verifier"), 90, poll=0.2)
                time.sleep(1.0)  # in the watch: the version is live, not yet verified
                _kill_with_everything_it_started(first)  # the host is gone: nobody reports it
            assert api.flow_run(run["id"])["state"]["type"] == "RUNNING"

            with _worker(env):
                crashed = wait_for(
                    lambda: (r := api.flow_run(run["id"]))["state"]["type"] == "CRASHED" and r,
                    MISSED_AFTER_S + 45,
                )
                assert "heartbeat" in crashed["state"]["message"], crashed["state"]
                recover = api.deployment_id("workers-recover", "on-crash")
                recovery: list[dict[str, Any]] = wait_for(lambda: api.runs_of(recover), 30)
                finished = api.wait(recovery[0]["id"], timeout_s=90)
            limit = httpx.get(f"{server.url}/v2/concurrency_limits/workers-release-verifier").json()
            recoveries = api.runs_of(recover)
        finally:
            api.close()

    assert len(recoveries) == 1, recoveries  # one crash, one recovery
    assert recoveries[0]["parameters"] == {"service": "verifier", "flow_run_id": run["id"]}
    assert finished["state"]["type"] == "COMPLETED", finished["state"]
    assert stack.live_version("verifier") == release.parameters["version_ids"]["production"]
    assert len(created_deployments(stack, "verifier")) == 1  # verified, never deployed again
    assert stack.record_states("verifier") == ["success"]
    assert limit["active_slots"] == 0, limit


def test_applying_twice_leaves_one_automation_with_the_new_window(prefect_server: None) -> None:
    from prefect.client.orchestration import get_client

    async def apply_twice() -> list[float]:
        async with get_client() as client:
            await apply_automations(client, 90)
            await apply_automations(client, 120)
            found = await client.read_automations_by_name(CRASH_DETECTION)
            return [a.trigger.within.total_seconds() for a in found]  # type: ignore[union-attr]

    assert asyncio.run(apply_twice()) == [120]
