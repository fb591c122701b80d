"""The emergency deploy (`wrangler deploy --env production`) under seeded provider faults:
deployed once, verified, audited."""

from __future__ import annotations

import pytest

from tests.faults import _faults
from tests.faults.test_workers import applied_deploys
from tests.scenarios.conftest import Stack
from tests.scenarios.test_emergency_deploy import REASON, ci_down, needs_wrangler, run_emergency
from tests.scenarios.test_workers_deploy import artifacts_of

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("client_timeouts")]


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
