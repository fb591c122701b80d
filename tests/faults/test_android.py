"""The Android staged rollout, driven end to end under seeded provider faults: every stage
committed once, in order, none skipped, the health gate read at each."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.clock import ManualClock
from tests.faults import _faults
from tests.scenarios.conftest import PACKAGE, Android
from tests.scenarios.test_android_release import drive, is_deferred

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("short_waits")]
STAGES = ["inProgress:0.05", "inProgress:0.2", "inProgress:0.5", "completed:None"]


def committed_stages(android: Android, code: int) -> list[str]:
    """Every production state of `code` Play committed, in order (the sandbox's commit log)."""
    seen = []
    for commit in android.stack.control.play_state(android.package)["commits"]:
        for release in commit["tracks"].get("production", []):
            if str(code) in release["versionCodes"]:
                seen.append(f"{release['status']}:{release['userFraction']}")
    return seen


def test_staged_rollout_rides_out_provider_faults(
    shared_clock: ManualClock, android: Android, fault_seed: int
) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(
        PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000
    )
    _faults.install(android.stack.control, fault_seed)
    params: dict[str, Any] = {
        "app": "wallet",
        "version_code": 101,
        "significant": False,
        "version_name": "1.5.0",
    }
    states = drive(params, max_runs=60)
    _faults.report(android.stack.control, fault_seed)
    android.stack.control.clear_faults()
    final = states[-1]
    assert final.is_completed() and not is_deferred(final), final.message
    assert "100 %" in (final.message or ""), final.message
    # each stage committed exactly once, in order: none doubled, none skipped
    assert committed_stages(android, 101) == STAGES
    assert android.release_of(101)["status"] == "completed"
