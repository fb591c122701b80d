"""The Workers standard release under seeded provider faults: released once, recorded once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults import _faults
from tests.scenarios.conftest import Stack
from tests.scenarios.test_workers_deploy import run_release

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("short_waits")]


def applied_deploys(stack: Stack, service: str, env: str) -> list[dict[str, Any]]:
    """POSTs to the script's /deployments that the sandbox applied (a dropped answer included)."""
    return [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST"
        and r["path"].endswith(f"/scripts/{stack.script(service, env)}/deployments")
        and (r["status"] < 300 or (r["fault"] or {}).get("kind") == "drop_after_commit")
    ]


def records(stack: Stack, service: str) -> dict[str, list[dict[str, Any]]]:
    repo = stack.policy.service(service).repo
    by_env: dict[str, list[dict[str, Any]]] = {}
    for deployment in stack.control.github_deployments(repo):
        by_env.setdefault(deployment["environment"], []).append(deployment)
    return by_env


def test_standard_release_rides_out_provider_faults(stack: Stack, fault_seed: int) -> None:
    release = stack.prepare("verifier")
    versions = release.parameters["version_ids"]
    _faults.install(stack.control, fault_seed)
    state = run_release(release.parameters)
    _faults.report(stack.control, fault_seed)
    stack.control.clear_faults()
    assert state.is_completed() and "released and verified" in (state.message or ""), state.message
    for env in ("sandbox", "production"):
        assert stack.live_version("verifier", env) == versions[env]
        assert len(applied_deploys(stack, "verifier", env)) == 1, env  # no deploy twice
    assert len(stack.deployments("verifier")) == 2  # the seed's and ours: no rollback either
    # one GitHub deployment record per environment, in progress then success: nothing doubled
    found = records(stack, "verifier")
    assert sorted(found) == ["production", "sandbox"]
    for env, recorded in found.items():
        assert [r["statuses"] for r in recorded] == [["in_progress", "success"]], env


# the gate and rollback cases: one seed each (the first; RELORCH_FAULT_SEED still chooses it)
@pytest.mark.parametrize("fault_seed", _faults.seeds()[:1], indirect=True)
def test_an_unreadable_error_rate_is_never_a_pass(stack: Stack, fault_seed: int) -> None:
    """Cloudflare's analytics never answer (besides the random faults): the production deploy
    is not verified, so the release fails and its record stays unfinished for the recovery
    (advance-rollouts' safety net) — never "released and verified", never a success status."""
    release = stack.prepare("verifier")
    stack.control.add_fault("cloudflare", "status", status=503, path_contains="/graphql")
    _faults.install(stack.control, fault_seed)
    state = run_release(release.parameters)
    stack.control.clear_faults()
    assert state.is_failed(), state.message
    assert "analytics" in (state.message or ""), state.message
    assert len(applied_deploys(stack, "verifier", "production")) == 1
    (production,) = records(stack, "verifier")["production"]
    assert production["statuses"] == ["in_progress"]


@pytest.mark.parametrize("fault_seed", _faults.seeds()[:1], indirect=True)
def test_a_failing_release_is_rolled_back_once_under_faults(stack: Stack, fault_seed: int) -> None:
    """Production health fails: the rollback (a write that must get through) is made once, a
    lost answer included, and the record ends `failure`."""
    release = stack.prepare("edge-router")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("edge-router"), new, health="fail")
    _faults.install(stack.control, fault_seed)
    state = run_release(release.parameters)
    _faults.report(stack.control, fault_seed)
    stack.control.clear_faults()
    assert state.is_failed() and "rolled back" in (state.message or ""), state.message
    assert "health" in (state.message or ""), state.message
    assert stack.live_version("edge-router") == release.previous_versions["production"]
    # the deploy and the rollback, each once
    assert len(applied_deploys(stack, "edge-router", "production")) == 2
    assert len(stack.deployments("edge-router")) == 3  # the seed's, ours, the rollback
    (production,) = records(stack, "edge-router")["production"]
    assert production["statuses"] == ["in_progress", "failure"]
