"""The emergency deploy (`wrangler deploy --env production`) under seeded provider faults:
deployed once, verified, audited."""

from __future__ import annotations

import pytest

from tests.faults import _faults
from tests.faults.test_workers import applied_deploys
from tests.scenarios.conftest import Stack
from tests.scenarios.test_emergency_deploy import REASON, ci_down, needs_wrangler, run_emergency
from tests.scenarios.test_workers_deploy import artifacts_of

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("short_waits")]


@needs_wrangler
def test_emergency_deploy_rides_out_provider_faults(stack: Stack, fault_seed: int) -> None:
    stack.control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    ci_down(stack)
    before = stack.live_version("verifier")
    _faults.install(stack.control, fault_seed)
    state = run_emergency(
        service="verifier", incident_id="PINC1", reason=REASON, acting_person="ana.oncall"
    )
    _faults.report(stack.control, fault_seed)
    stack.control.clear_faults()
    assert state.is_completed(), state.message
    after = stack.live_version("verifier")
    assert after != before
    assert len(applied_deploys(stack, "verifier", "production")) == 1  # deployed once
    assert len(stack.deployments("verifier")) == 2  # the seed's and the fix: no rollback
    audit = artifacts_of(state)["emergency-verifier-audit"]
    for expected in ("ana.oncall", "PINC1", after, before, "deployed and verified"):
        assert expected in audit, expected


@needs_wrangler
def test_a_lost_deployment_answer_is_found_live_and_not_deployed_again(stack: Stack) -> None:
    """wrangler fails when the answer to its deployment is lost, though Cloudflare made it: the
    flow reads the live deployment (its run's marker) instead of running wrangler again."""
    stack.control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    ci_down(stack)
    before = stack.live_version("verifier")
    stack.control.add_fault(
        "cloudflare", "drop_after_commit", method="POST", path_contains="/deployments", count=1
    )
    state = run_emergency(
        service="verifier", incident_id="PINC1", reason=REASON, acting_person="ana.oncall"
    )
    stack.control.clear_faults()
    assert state.is_completed(), state.message
    assert stack.live_version("verifier") != before
    assert len(applied_deploys(stack, "verifier", "production")) == 1
    uploads = [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST" and r["path"].endswith("/versions")
    ]
    assert len(uploads) == 1  # wrangler ran once
    audit = artifacts_of(state)["emergency-verifier-audit"]
    assert "API failure" in audit and "already live" in audit
