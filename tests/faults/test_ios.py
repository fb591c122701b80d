"""The iOS release, from upload to 100 %, under seeded provider faults: submitted once,
released once, the phased release started once and never paused by a fault."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tasks.clock import ManualClock
from tests.faults import _faults
from tests.scenarios.conftest import Ios
from tests.scenarios.test_ios_release import NEW, drive, messages, release

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("short_waits")]


def test_ios_release_rides_out_provider_faults(
    shared_clock: ManualClock,
    ios: Ios,
    fault_seed: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fewer, longer looks (the suite is about faults, not cadence): a health check every 3 s of
    # the 8 s phase day, and a step due within 3 s taken in the same run (the product's default
    # is 5 s; the sandbox profile's 0 makes every check a run of its own) — a few steps per
    # run, then a continuation, so the release still re-enters often.
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    wallet = doc["profiles"]["sandbox"]["ios_apps"]["wallet"]
    wallet["checkpoint_margin"] = "7s"
    wallet["health"] = {**wallet["health"], "check_interval": "3s"}
    _faults.policy_with(
        tmp_path,
        monkeypatch,
        continuations={"wait_inline_under": "3s", "inline_steps_max": 4},
        ios_apps={"wallet": wallet},
    )
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    _faults.install(ios.control, fault_seed)
    states = drive(release(release_notes="Faster proofs."))
    _faults.report(ios.control, fault_seed)
    ios.control.clear_faults()
    final = states[-1]
    assert final.is_completed() and "live to 100 %" in (final.message or ""), messages(states)
    version = ios.version(NEW[0])
    assert version["state"] == "READY_FOR_DISTRIBUTION"
    assert version["phased_release"]["day"] == 7
    assert version["phased_release"]["pause_seconds"] == 0  # no fault taken for a failed gate
    # once each, a lost answer included: one submission, one release request, one phased release
    assert len(ios.state()["submissions"]) == 1
    writes = ios.control
    assert len(_faults.applied(writes, "app-store-connect", "POST", "/v1/reviewSubmissions")) == 1
    release_requests = _faults.applied(
        writes, "app-store-connect", "POST", "/v1/appStoreVersionReleaseRequests"
    )
    assert len(release_requests) == 1
    started = _faults.applied(writes, "app-store-connect", "POST", "/v1/appStoreVersionPhasedRel")
    assert len(started) == 1
    # never paused, resumed or completed early by the orchestrator
    assert (
        _faults.applied(writes, "app-store-connect", "PATCH", "/v1/appStoreVersionPhasedRel") == []
    )
