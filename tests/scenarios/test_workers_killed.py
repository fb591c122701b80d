"""A Workers release SIGKILLed at seeded points — before, during and after the production deploy,
during the watch — then re-run (what `relctl release --resume` or the on-crash automation does):
the release ends verified, exactly one production deployment, its GitHub record given its final
status, the slot free. Each run is its own process on a real `prefect server start`."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scenarios.conftest import GITHUB_TOKEN, ROOT, Stack
from tests.scenarios.real_server import real_prefect_server
from tests.scenarios.test_workers_deploy import created_deployments

pytestmark = [pytest.mark.scenario]


def _production_deploys(stack: Stack) -> list[dict[str, Any]]:
    script = stack.script("verifier")
    return [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST" and r["path"].endswith(f"/scripts/{script}/deployments")
    ]


def _reached(stack: Stack, point: str) -> bool:
    if point == "before the production deploy":  # the freeze gate reads PagerDuty right before it
        return any("incidents" in r["path"] for r in stack.control.requests("pagerduty"))
    deploys = _production_deploys(stack)
    if point == "during the production deploy":
        return bool(deploys)  # sent; its answer is slowed down, so the process dies waiting
    return any(r["status"] in (200, 201) for r in deploys)  # after it / during the watch


def _records(stack: Stack) -> list[tuple[int, str]]:
    repo = stack.policy.service("verifier").repo
    headers = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
    out = []
    for d in httpx.get(
        f"{stack.url}/github/repos/{repo}/deployments",
        params={"environment": "production"},
        headers=headers,
    ).json():
        statuses = httpx.get(
            f"{stack.url}/github/repos/{repo}/deployments/{d['id']}/statuses", headers=headers
        ).json()
        out.append((d["id"], max(statuses, key=lambda s: s["id"])["state"] if statuses else "none"))
    return out


POINTS = {  # point → extra seconds after it is reached (seeded jitter on top)
    "before the production deploy": 0.0,
    "during the production deploy": 0.3,
    "after the production deploy": 0.0,
    "during the watch": 2.0,
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_release_killed_then_re_run_ends_verified_with_one_production_deploy(
    stack: Stack, tmp_path: Path, point: str
) -> None:
    seed = random.randrange(10_000)
    jitter = random.Random(seed).uniform(0.0, 0.5)
    print(f"seed {seed}: kill {point} + {POINTS[point] + jitter:.2f} s")  # a failure replays
    release = stack.prepare("verifier")
    params = json.dumps(release.parameters)
    if point == "during the production deploy":
        stack.control.add_fault(
            "cloudflare",
            "slow",
            delay_s=3.0,
            method="POST",
            path_contains=f"/scripts/{stack.script('verifier')}/deployments",
        )
    with real_prefect_server(tmp_path) as api_url:
        env = {**os.environ, "PREFECT_API_URL": api_url}

        def run() -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.scenarios.workers_driver", params],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )

        doomed = run()
        try:
            deadline = time.monotonic() + 90
            while not _reached(stack, point):
                assert doomed.poll() is None, f"the run ended before {point}"
                assert time.monotonic() < deadline, f"never reached {point}"
                time.sleep(0.05)
            time.sleep(POINTS[point] + jitter)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            if doomed.poll() is None:
                doomed.kill()
        time.sleep(3.2 if point == "during the production deploy" else 0.0)  # the deploy lands
        stack.control.clear_faults()

        again = run()
        out, _ = again.communicate(timeout=180)
        result = json.loads(out.strip().splitlines()[-1])
        slots = httpx.get(f"{api_url}/v2/concurrency_limits/workers-release-verifier").json()

    assert result["type"] == "COMPLETED", result
    assert stack.live_version("verifier") == release.parameters["version_ids"]["production"]
    assert len(created_deployments(stack, "verifier")) == 1, f"seed {seed}"
    records = _records(stack)
    assert records and all(state == "success" for _, state in records), records
    assert slots["active_slots"] == 0, slots
