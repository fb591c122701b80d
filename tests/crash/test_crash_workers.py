"""Crash suite, Workers paths (issue 12): the process running a Workers release or an emergency
deploy is SIGKILLed at a seeded point on a real `prefect server start`, then the product takes
over — the on-crash recovery (`workers-recover`) and/or the release's re-run (`relctl release
--resume`). Every time: one production deploy, production verified and live, no rollback, every
GitHub deployment record final, the slot free. Seeds in harness.py; each test prints its plan."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crash import driver, harness
from tests.crash.conftest import World
from tests.scenarios.test_team_shape_leases import active_slots
from tests.scenarios.test_workers_deploy import created_deployments

pytestmark = [pytest.mark.scenario, pytest.mark.xdist_group("crash-workers")]

SERVICE = "verifier"
# A clean release's writes: its GitHub records and statuses, the sandbox and production deploys,
# at least a couple of key-flow checks per watch (the kill lands anywhere among them).
RELEASE_WRITES = 9
EMERGENCY_WRITES = 5  # wrangler's upload, deploy, settings, subdomain; a key-flow check
UNFINISHED = {"none", "queued", "pending", "in_progress"}  # as _record_states names them
REASON = "Signing key rotation broke verification for every user"


def _is_write(entry: harness.Entry) -> bool:
    if entry["path"].endswith("/graphql"):
        return False  # GitHub's and Cloudflare's GraphQL here are reads
    if entry["target"] == "worker":
        return entry["path"].endswith("/challenge")  # one key-flow check of the watch
    return entry["target"] in ("github", "cloudflare")


def _crash(world: World, the_plan: harness.Plan, path: str, params: dict[str, Any]) -> str:
    """Kill the path's process at the plan's point; the dead run's id."""
    control = world.stack.control
    started = harness.now()
    harness.slow_writes(the_plan, control, ("github", "cloudflare"))
    print(the_plan)
    harness.kill_at(the_plan, harness.spawn(path, params, world.env()), control, _is_write)
    harness.settle(the_plan, control)
    dead = harness.dead_runs(the_plan, started)
    assert len(dead) <= 1, dead
    return dead[0] if dead else "none (it had ended)"


def _recover(the_plan: harness.Plan, dead: str) -> list[str]:
    """What prefect.yaml's on-crash trigger starts: workers-recover with the crashed run's id."""
    state = driver.run_flow("recover", {"service": SERVICE, "flow_run_id": dead})
    assert state.is_completed(), (str(the_plan), state.message)
    result = state.result()
    assert isinstance(result, dict), result
    return [str(line) for line in result["recovered"]]


@pytest.mark.parametrize("seed", harness.seeds([21, 22]))
def test_a_killed_workers_release_ends_verified_with_one_production_deploy(
    world: World, seed: int
) -> None:
    stack = world.stack
    release = stack.prepare(SERVICE)
    the_plan = harness.plan(
        "workers", seed, RELEASE_WRITES, heals=("re-run", "on-crash recovery, then re-run")
    )
    dead = _crash(world, the_plan, "workers", release.parameters)

    if the_plan.heal.startswith("on-crash"):
        live_unverified = bool(UNFINISHED & set(stack.record_states(SERVICE)))
        recovered = _recover(the_plan, dead)
        assert bool(recovered) == live_unverified, (str(the_plan), recovered)
    said = driver.drive("workers", release.parameters)

    final = said[-1]
    assert final["type"] == "COMPLETED" and final["name"] == "Completed", (str(the_plan), said)
    production = release.parameters["version_ids"]["production"]
    assert stack.live_version(SERVICE) == production, the_plan
    assert len(created_deployments(stack, SERVICE)) == 1, (str(the_plan), "production deploys")
    assert len(created_deployments(stack, SERVICE, "sandbox")) == 1, (str(the_plan), "sandbox")
    assert not [
        d
        for d in stack.deployments(SERVICE)
        if str(d["annotations"].get("workers/message", "")).startswith("rollback:")
    ], the_plan
    # newest first: the release's own record verified; one the kill left behind before its
    # deploy landed is closed as inactive, never left in progress
    records = stack.record_states(SERVICE)
    assert records and records[0] == "success", (str(the_plan), records)
    assert set(records) <= {"success", "inactive"}, (str(the_plan), records)
    assert active_slots(world.server, f"workers-release-{SERVICE}") == 0, the_plan


@pytest.mark.parametrize("seed", harness.seeds([21, 24]))
def test_a_killed_emergency_deploy_ends_verified_with_one_production_deploy(
    world: World, seed: int
) -> None:
    stack = world.stack
    control = stack.control
    control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    control.status_set_component("github", "Actions", "major_outage")  # CI is unavailable
    before = stack.live_version(SERVICE)
    params = {
        "service": SERVICE,
        "incident_id": "PINC1",
        "reason": REASON,
        "acting_person": "ana.oncall",
    }
    the_plan = harness.plan(
        "emergency", seed, EMERGENCY_WRITES, heals=("re-run", "on-crash recovery, then re-run")
    )
    dead = _crash(world, the_plan, "emergency", params)

    if the_plan.heal.startswith("on-crash"):
        deployed = bool(created_deployments(stack, SERVICE))
        recovered = _recover(the_plan, dead)
        # no GitHub record to find it by: the recovery finds the fix by its run in Cloudflare
        assert bool(recovered) == deployed, (str(the_plan), recovered)
        assert not recovered or recovered[0].endswith("recovered, verified"), recovered
    said = driver.drive("emergency", params)

    assert said[-1]["type"] == "COMPLETED", (str(the_plan), said)
    assert stack.live_version(SERVICE) != before, the_plan
    assert len(created_deployments(stack, SERVICE)) == 1, (str(the_plan), "production deploys")
    records = stack.record_states(SERVICE)
    assert not UNFINISHED & set(records), (str(the_plan), records)
    assert active_slots(world.server, f"workers-release-{SERVICE}") == 0, the_plan
