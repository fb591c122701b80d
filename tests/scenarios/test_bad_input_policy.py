"""A flow run under a bad policy file fails naming the file and the key, before any provider
call (issue 12, bad input): a few generated bad policies, each through a Workers, an Android
and the freeze-status flow on the Prefect test server against the sandbox."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings

from flows.android_release import android_release
from flows.freeze_status import freeze_status
from flows.workers_deploy import workers_deploy
from procedure.policy import PolicyError
from tests.inputs.policy_mutations import PolicyMutation, policy_mutations
from tests.inputs.test_policy_files import load
from tests.scenarios.conftest import Android

pytestmark = [pytest.mark.scenario]


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the sandbox log is cleared for each example
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(mutation=policy_mutations())
def test_a_bad_policy_fails_the_run_before_any_provider_call(
    mutation: PolicyMutation, android: Android
) -> None:
    url = android.stack.url
    refused = load(mutation, "sandbox", {"RELORCH_SANDBOX_URL": url})
    assume(isinstance(refused, PolicyError))
    event(mutation.kind)
    release = android.stack.prepare("verifier")  # a release that would deploy under a good one
    runs = {
        "workers-deploy": lambda: workers_deploy(**release.parameters, return_state=True),
        "android-release": lambda: android_release(
            app="wallet", version_code=101, significant=False, return_state=True
        ),
        "freeze-status": lambda: freeze_status(days=3, return_state=True),
    }
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        path = mutation.write(Path(folder))
        patch.setenv("RELORCH_POLICY", str(path))
        for name, run in runs.items():
            android.stack.control.clear_requests()
            state = asyncio.run(run())
            assert state.is_failed(), (name, state)
            message = str(state.message)
            assert f"PolicyError: {path}" in message, (name, message)
            # the same refusal the loader gives: the key (or the YAML line) it names
            first = str(refused).split(": ", 1)[1].splitlines()[0]
            assert first in message, (name, message, refused)
            assert android.stack.control.requests() == [], f"{name} called a provider"
