"""The real flows agree with their request models (issue 12, bad input): for every deployment,
a few generated parameter sets the model refuses end the run Failed (or are refused at the
call) with a message naming the field, and no provider hears of them; a name the policy does
not know is refused the same way; a set the model accepts gets past validation.

The many-example half is tests/inputs/test_parameter_models.py (generators in tests/inputs/);
this one, here for the scenario fixtures (one test server per process), runs real flow runs
on the Prefect test server, in this process, against the sandbox (whose request log sees every
provider call the run makes: Cloudflare, GitHub, PagerDuty, Statuspage, Play, App Store Connect,
Sentry)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from prefect.exceptions import ParameterBindError
from pydantic import ValidationError

import flows.advance_rollouts
import flows.freeze_status
import flows.requests
from tests.inputs.catalogue import SPECS, Deployment, deployments
from tests.inputs.mutations import Mutation, mutations
from tests.inputs.test_parameter_models import model_verdict, named_fields
from tests.scenarios.conftest import Android

pytestmark = [pytest.mark.scenario]

FEW = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the sandbox log is cleared for each example
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
DEPLOYMENTS = deployments()
CHOICE = {"service", "app"}  # the policy's names


PAST = "Flow run encountered an exception: PastValidation: past validation"


class PastValidation(RuntimeError):
    """Raised where the flow would first reach for credentials: the parameters were accepted."""


def run(deployment: Deployment, params: dict[str, Any]) -> tuple[str, str]:
    """(how it ended, its message): a run's final state, or the call refused before a run."""
    try:
        state = asyncio.run(deployment.flow()(**params, return_state=True))
    except ParameterBindError as error:  # unknown or missing: Python refuses the call
        return "refused at the call", str(error)
    assert state.is_final()
    return state.type.value, str(state.message)


@st.composite
def model_refused(draw: st.DrawFn, deployment: Deployment) -> tuple[dict[str, Any], Mutation]:
    spec = SPECS[deployment.flow_name]
    valid = draw(spec.valid)
    mutation = draw(mutations(spec.model, valid))
    params = mutation.apply(valid)
    verdict = model_verdict(spec.model, params)
    assume(isinstance(verdict, ValidationError))
    assert isinstance(verdict, ValidationError)
    extra = mutation.field if mutation.kind == "extra" else None
    assume(mutation.field in named_fields(verdict, spec.model, extra))
    return params, mutation


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d.id for d in DEPLOYMENTS])
@FEW
@given(data=st.data())
def test_bad_parameters_never_reach_a_provider(
    deployment: Deployment,
    data: st.DataObject,
    android: Android,
) -> None:
    control = android.stack.control
    spec = SPECS[deployment.flow_name]

    # refused by the model: the run fails naming the field, before any provider call
    params, mutation = data.draw(model_refused(deployment), label="refused")
    control.clear_requests()
    ended, message = run(deployment, params)
    assert ended in ("FAILED", "refused at the call"), (ended, message)
    assert mutation.field in message or repr(mutation.field) in message, message
    assert "Traceback" not in message
    assert control.requests() == [], f"{params} reached a provider"

    # a name the policy does not know: refused the same way
    choice = CHOICE & set(spec.model.model_fields)
    if choice:
        field = choice.pop()
        unknown = data.draw(st.sampled_from(["wallets", "verifier2", "Wallet", "é"]))
        params = {**data.draw(spec.valid, label="valid"), field: unknown}
        control.clear_requests()
        ended, message = run(deployment, params)
        assert ended == "FAILED", (ended, message)
        assert message.split(": ", 2)[1].startswith(field) or f"{field} " in message, message
        assert control.requests() == [], f"{params} reached a provider"

    # accepted by the model: past validation, where the flow first reaches for credentials
    async def past(*_: Any) -> None:
        raise PastValidation("past validation")

    params = data.draw(spec.valid, label="accepted")
    control.clear_requests()
    with pytest.MonkeyPatch.context() as patch:
        for module in (flows.requests, flows.freeze_status, flows.advance_rollouts):
            patch.setattr(module, "load_credential_blocks", past)
        ended, message = run(deployment, params)
    assert (ended, message) == ("FAILED", PAST), params
    assert control.requests() == []


def test_the_request_log_sees_a_flow_that_calls_a_provider(android: Android) -> None:
    """The zero-calls checks above can fail: a valid halt in this process reads Google Play."""
    halt = next(d for d in DEPLOYMENTS if d.flow_name == "halt-rollout")
    params = {"platform": "android", "app": "wallet", "operator": "ops", "reason": "a check"}
    android.stack.control.clear_requests()
    ended, message = run(halt, params)
    assert ended == "FAILED" and "no staged release in progress" in message, message
    assert android.stack.control.requests("googleplay"), "Play was read"
