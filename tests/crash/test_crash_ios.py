"""Crash suite, iOS path (issue 12): the process running an iOS release (its runs and their
continuations) is SIGKILLed at a seeded point among its App Store Connect writes or during the
phase days after them, on a real `prefect server start`; then the product takes over — the next
advance-rollouts ticks finding the orphaned release and/or its re-run (`relctl release
--resume`). Every time: one export-compliance answer, one version, one submission, the phased
release started once and never paused, Apple's day 7 reached, the app's slot free."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crash import driver, harness
from tests.crash.conftest import World
from tests.scenarios.test_team_shape_leases import active_slots

pytestmark = [pytest.mark.scenario, pytest.mark.xdist_group("crash-ios")]

VERSION, BUILD = "2.4.0", "400"
PARAMS: dict[str, Any] = {
    "app": "wallet",
    "version": VERSION,
    "build_number": BUILD,
    "significant": False,
}
# A clean release's writes: export compliance, the TestFlight groups, the version, its phased
# release, the submission (three requests), the release request; the kill lands after one of
# them plus up to 4 s (the phase days have only reads: a late kill lands among them).
WRITES = 8
MAX_DELAY_S = 4.0
HEALS = ("re-run", "advance-rollouts ticks, then re-run")


def _is_write(entry: harness.Entry) -> bool:
    return entry["target"] == "app-store-connect"


@pytest.mark.parametrize("seed", harness.seeds([51, 52]))
def test_a_killed_ios_release_starts_its_phased_release_once_and_completes(
    world: World, seed: int
) -> None:
    ios, control = world.ios, world.stack.control
    ios.ci_upload(VERSION, BUILD)
    ios.health(VERSION, BUILD)
    the_plan = harness.plan("ios", seed, WRITES, HEALS, MAX_DELAY_S)
    started = harness.now()
    harness.slow_writes(the_plan, control, ("app-store-connect",))
    print(the_plan)
    harness.kill_at(the_plan, harness.spawn("ios", PARAMS, world.env()), control, _is_write)
    harness.settle(the_plan, control)
    harness.dead_runs(the_plan, started)

    if the_plan.heal.startswith("advance-rollouts"):
        driver.tick_until(driver.rollout_over("wallet (iOS)"))
    said = driver.drive("ios", PARAMS)

    plan = str(the_plan)
    final = said[-1]
    assert final["type"] == "COMPLETED" and "live to 100 %" in str(final["message"]), (plan, said)
    version = ios.version(VERSION)
    assert version["state"] == "READY_FOR_DISTRIBUTION", (plan, version)
    assert version["phased_release"]["day"] == 7, (plan, version)
    assert version["phased_release"]["pause_seconds"] == 0, (plan, version)
    assert len(ios.writes("/v1/builds/")) == 1, (plan, "export compliance answered once")
    assert len(ios.writes("/v1/appStoreVersions", "POST")) == 1, (plan, "one version")
    assert len(ios.writes("/v1/appStoreVersionPhasedReleases", "POST")) == 1, plan
    assert len(ios.state()["submissions"]) == 1, (plan, ios.state()["submissions"])
    assert len(ios.writes("/v1/appStoreVersionReleaseRequests", "POST")) == 1, (plan, "released")
    assert not ios.writes("/v1/appStoreVersionPhasedReleases/"), (plan, "never paused")
    assert active_slots(world.server, "ios-app-wallet") == 0, plan
