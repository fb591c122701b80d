"""A Workers release whose run died after the production deploy and before its watch ended is
finished by workers-recover: the rest of its window, then verified or rolled back, its GitHub
record given its final status. The crash is reproduced as the state it leaves: the version live
in Cloudflare and the GitHub record's latest status `in_progress`."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.scenarios.conftest import GITHUB_TOKEN, Android, Stack
from tests.scenarios.test_workers_deploy import _deploy_directly, created_deployments

pytestmark = [pytest.mark.scenario]


def _crashed_mid_watch(stack: Stack, service: str, window_s: float | None) -> tuple[Any, int]:
    """What a run SIGKILLed during its watch leaves: its version live, its record in progress."""
    release = stack.prepare(service)
    version = release.parameters["version_ids"]["production"]
    _deploy_directly(stack, service, version, f"release {release.parameters['git_sha'][:12]}")
    repo = stack.policy.service(service).repo
    headers = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
    payload: dict[str, Any] = {"service": service, "version_id": version, "pr": 1}
    if window_s is not None:
        payload["window_s"] = window_s
    made = httpx.post(
        f"{stack.url}/github/repos/{repo}/deployments",
        headers=headers,
        json={
            "ref": release.parameters["git_sha"],
            "task": f"deploy:{service}",
            "environment": "production",
            "auto_merge": False,
            "required_contexts": [],
            "payload": payload,
            "description": "x",
        },
    )
    assert made.status_code == 201, made.text
    record = int(made.json()["id"])
    status = httpx.post(
        f"{stack.url}/github/repos/{repo}/deployments/{record}/statuses",
        headers=headers,
        json={"state": "in_progress", "description": "deploying"},
    )
    assert status.status_code == 201, status.text
    return release, record


def _latest_state(stack: Stack, service: str, record: int) -> tuple[str, str]:
    repo = stack.policy.service(service).repo
    listed = httpx.get(
        f"{stack.url}/github/repos/{repo}/deployments/{record}/statuses",
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
    ).json()
    newest = max(listed, key=lambda s: s["id"])
    return newest["state"], newest["description"]


def _recover(service: str) -> Any:
    from flows.workers_recover import workers_recover

    return asyncio.run(workers_recover(service, "crashed-run", return_state=True))  # type: ignore[call-overload]


def test_a_release_killed_mid_watch_is_verified_by_the_recovery(stack: Stack) -> None:
    release, record = _crashed_mid_watch(stack, "verifier", window_s=2.0)
    before = len(created_deployments(stack, "verifier"))
    state = _recover("verifier")
    assert state.is_completed(), state.message
    assert _latest_state(stack, "verifier", record)[0] == "success"
    assert stack.live_version("verifier") == release.parameters["version_ids"]["production"]
    assert len(created_deployments(stack, "verifier")) == before  # no deploy by the recovery
    # nothing unverified is left: a second recovery does nothing
    again = _recover("verifier")
    assert again.is_completed() and again.result() == {"service": "verifier", "recovered": []}


def test_a_failing_health_after_the_restart_rolls_back(stack: Stack) -> None:
    release, record = _crashed_mid_watch(stack, "verifier", window_s=None)
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("verifier"), new, health="fail")
    state = _recover("verifier")
    assert state.is_completed(), state.message
    state_name, description = _latest_state(stack, "verifier", record)
    assert state_name == "failure" and "rolled back" in description, description
    assert stack.live_version("verifier") == release.previous_versions["production"]
    assert stack.deployments("verifier")[0]["annotations"]["workers/message"].startswith(
        "rollback:"
    )


def test_a_record_whose_version_no_longer_serves_is_closed_without_a_deploy(stack: Stack) -> None:
    release, record = _crashed_mid_watch(stack, "verifier", window_s=2.0)
    _deploy_directly(
        stack, "verifier", release.previous_versions["production"], "rolled back by hand"
    )
    before = len(created_deployments(stack, "verifier"))
    state = _recover("verifier")
    assert state.is_completed(), state.message
    state_name, description = _latest_state(stack, "verifier", record)
    assert state_name == "inactive" and "no longer serves" in description, description
    assert len(created_deployments(stack, "verifier")) == before


def _recovery_runs() -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["on-crash"]))
            )

    return asyncio.run(read())


def test_advance_rollouts_starts_one_recovery_of_an_unverified_release(android: Android) -> None:
    """The safety net behind the on-crash automation: the cron tick finds the record in progress
    with the service's slot free, starts workers-recover (not awaited), and a second tick does not
    start a second one."""
    from flows.advance_rollouts import advance_rollouts
    from flows.workers_recover import workers_recover

    stack = android.stack
    workers_recover.to_deployment(name="on-crash").apply()  # what `prefect deploy --all` registers
    _, record = _crashed_mid_watch(stack, "verifier", window_s=2.0)
    before = {r.id for r in _recovery_runs()}
    first = asyncio.run(advance_rollouts())
    asyncio.run(advance_rollouts())
    started = [r for r in _recovery_runs() if r.id not in before]
    assert [r.parameters for r in started] == [{"service": "verifier"}]
    assert [row["stage"] for row in first if row["app"] == "verifier"] == ["unverified"]
    # once the recovery has run (here in-process) nothing is unverified: the next tick starts none
    assert _recover("verifier").is_completed()
    assert _latest_state(stack, "verifier", record)[0] == "success"
    third = asyncio.run(advance_rollouts())
    assert not [row for row in third if row["app"] == "verifier"]
    assert len([r for r in _recovery_runs() if r.id not in before]) == 1


def test_records_are_read_down_to_the_newest_finished_one(stack: Stack) -> None:
    """Every release and recovery finishes the records before its own, so reading stops at the
    newest finished record: one status read per record in flight, not one per record ever."""
    from tasks.record import read_deployment_records

    for _ in range(2):  # two releases in the past, both finished
        _, finished = _crashed_mid_watch(stack, "verifier", window_s=2.0)
        assert _recover("verifier").is_completed()
    _, newest = _crashed_mid_watch(stack, "verifier", window_s=2.0)

    def status_reads() -> list[dict[str, object]]:
        return [
            r
            for r in stack.control.requests("github")
            if r["method"] == "GET" and r["path"].endswith("/statuses")
        ]

    before = len(status_reads())
    views = asyncio.run(read_deployment_records.fn(stack.policy.service("verifier"), "production"))
    assert [(v.id, v.latest_state) for v in views] == [
        (newest, "in_progress"),
        (finished, "success"),
    ]
    assert len(status_reads()) - before == 2
