"""workers-recover on a crashed emergency deploy (found by the crash suite: the on-crash recovery
looked only at GitHub records, which an emergency never writes). The crash is reproduced as the
state it leaves: the emergency's version live in Cloudflare, its deployment message led by the
dead run's id, nothing verified. The recovery is given that id, as the on-crash trigger gives it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.crash import driver
from tests.crash.conftest import World
from tests.scenarios.test_workers_deploy import _deploy_directly, created_deployments

pytestmark = [pytest.mark.scenario, pytest.mark.xdist_group("crash-workers")]


def _emergency_left_unverified(world: World) -> tuple[str, str, str]:
    """(dead run id, the emergency's version, the version before it)."""
    stack = world.stack
    release = stack.prepare("verifier")  # an uploaded version stands in for wrangler's
    version = release.parameters["version_ids"]["production"]
    dead = str(uuid.uuid4())
    _deploy_directly(stack, "verifier", version, f"emergency run {dead} 0123abcd4567 PINC1 by ana")
    return dead, version, release.previous_versions["production"]


def _recover(flow_run_id: str) -> dict[str, Any]:
    state = driver.run_flow("recover", {"service": "verifier", "flow_run_id": flow_run_id})
    assert state.is_completed(), state.message
    result = state.result()
    assert isinstance(result, dict)
    return result


def test_a_crashed_emergency_deploy_is_verified_by_the_on_crash_recovery(world: World) -> None:
    dead, version, _ = _emergency_left_unverified(world)
    before = len(created_deployments(world.stack, "verifier"))
    result = _recover(dead)
    assert result["recovered"] == [
        f"emergency deploy {version} (run {dead}): recovered, verified"
    ], result
    assert world.stack.live_version("verifier") == version
    assert len(created_deployments(world.stack, "verifier")) == before  # watched, not redeployed


def test_a_crashed_emergency_deploy_failing_its_watch_is_rolled_back(world: World) -> None:
    dead, version, previous = _emergency_left_unverified(world)
    world.stack.control.worker_behaviour(world.stack.script("verifier"), version, health="fail")
    (line,) = _recover(dead)["recovered"]
    assert "recovered, production verification fail" in line and previous in line, line
    assert world.stack.live_version("verifier") == previous


def test_the_recovery_of_another_crashed_run_leaves_a_live_emergency_alone(world: World) -> None:
    _, version, _ = _emergency_left_unverified(world)
    before = len(created_deployments(world.stack, "verifier"))
    assert _recover(str(uuid.uuid4()))["recovered"] == []
    assert world.stack.live_version("verifier") == version
    assert len(created_deployments(world.stack, "verifier")) == before
