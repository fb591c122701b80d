"""Crash suite, Android paths (issue 12): the process running an Android release (its runs and
their continuations) or the advance-rollouts cron is SIGKILLed at a seeded point among its Google
Play edit requests, on a real `prefect server start`; then the product takes over — the next
advance-rollouts ticks finding the orphaned rollout and/or the release's re-run (`relctl release
--resume`). Every time: each production stage committed exactly once and in order (5 → 20 → 50
→ 100 %, none twice, none skipped, never halted), the release completed, the app's slot free."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.crash import driver, harness
from tests.crash.conftest import World
from tests.scenarios.conftest import PACKAGE
from tests.scenarios.test_team_shape_leases import active_slots

pytestmark = [pytest.mark.scenario, pytest.mark.xdist_group("crash-android")]

CODE = 101
PARAMS: dict[str, Any] = {"app": "wallet", "version_code": CODE, "significant": False}
STAGES = ["inProgress:0.05", "inProgress:0.2", "inProgress:0.5", "completed:"]
# A clean release's production changes: a track update and its edit's commit each, 4 times; the
# kill lands after one of them plus a delay (in the reads between them, or inside the next one).
RELEASE_WRITES = 8
TICK_WRITES = 6  # from 5 % on
MAX_DELAY_S = 1.5
HEALS = ("re-run", "advance-rollouts ticks, then re-run")


def _is_write(entry: harness.Entry) -> bool:
    """A production change on Play: the edit's track update, its commit."""
    path = entry["path"]
    return entry["target"] == "googleplay" and (
        path.endswith(":commit") or path.endswith("/tracks/production")
    )


def committed_stages(world: World) -> list[str]:
    """Every production status/fraction of CODE that Play committed (an edit's track update
    counts once its edit's commit succeeded), in order."""
    requests = world.stack.control.requests("googleplay")
    committed = {
        r["path"].rsplit("/", 1)[-1].removesuffix(":commit")
        for r in requests
        if r["path"].endswith(":commit") and r["status"] < 300
    }
    stages = []
    for r in requests:
        if r["method"] == "PUT" and r["path"].endswith("/tracks/production") and r["status"] < 300:
            edit = r["path"].split("/edits/")[1].split("/")[0]
            for release in r["body"]["releases"] if edit in committed else []:
                if str(CODE) in release["versionCodes"]:
                    stages.append(f"{release['status']}:{release.get('userFraction', '')}")
    return stages


def _heal(world: World, the_plan: harness.Plan) -> list[dict[str, Any]]:
    if the_plan.heal.startswith("advance-rollouts"):
        driver.tick_until(driver.rollout_over("wallet"))
    return driver.drive("android", PARAMS)


def _assert_exactly_once(world: World, the_plan: harness.Plan, said: list[dict[str, Any]]) -> None:
    final = said[-1]
    assert final["type"] == "COMPLETED" and "100 %" in str(final["message"]), (str(the_plan), said)
    assert committed_stages(world) == STAGES, str(the_plan)
    release = world.android.release_of(CODE)
    assert release is not None and release["status"] == "completed", (str(the_plan), release)
    assert active_slots(world.server, "android-app-wallet") == 0, str(the_plan)


def _kill(world: World, the_plan: harness.Plan, path: str, params: dict[str, Any]) -> None:
    control = world.stack.control
    started = harness.now()
    harness.slow_writes(the_plan, control, ("googleplay",))
    print(the_plan)
    harness.kill_at(the_plan, harness.spawn(path, params, world.env()), control, _is_write)
    harness.settle(the_plan, control)
    harness.dead_runs(the_plan, started)


@pytest.fixture
def uploaded(world: World) -> World:
    """CI uploaded 101 to the internal track; its vitals are healthy."""
    world.android.ci_upload(CODE)
    world.stack.control.play_set_vitals(PACKAGE, CODE, distinct_users=4000)
    return world


@pytest.mark.parametrize("seed", harness.seeds([32, 36]))
def test_a_killed_android_release_commits_every_stage_exactly_once(
    uploaded: World, seed: int
) -> None:
    the_plan = harness.plan("android", seed, RELEASE_WRITES, HEALS, MAX_DELAY_S)
    _kill(uploaded, the_plan, "android", PARAMS)
    _assert_exactly_once(uploaded, the_plan, _heal(uploaded, the_plan))


@pytest.mark.parametrize("seed", harness.seeds([41]))
def test_a_killed_advance_rollouts_tick_commits_every_stage_exactly_once(
    uploaded: World, seed: int
) -> None:
    """The rollout's continuation is lost after its promotion (its first run was not started
    from a deployment): the cron drives it, and the cron's process is the one killed; its next
    ticks take over (then a late re-run of the release finds nothing left to do)."""
    for _ in range(20):  # its runs until it is promoted to production at 5 % (in review)
        state = driver.run_flow("android", PARAMS)
        assert state.name == "Deferred", state.message
        if committed_stages(uploaded):
            break
        time.sleep(0.5)
    assert committed_stages(uploaded) == STAGES[:1]
    the_plan = harness.plan("advance", seed, TICK_WRITES, HEALS[1:], MAX_DELAY_S)
    _kill(uploaded, the_plan, "advance", {"app": "wallet"})
    _assert_exactly_once(uploaded, the_plan, _heal(uploaded, the_plan))
