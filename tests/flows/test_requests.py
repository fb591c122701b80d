"""Each flow's parameters are its request model's fields: one definition for the Prefect form
(the deployment's parameter schema), the API, the CLI and the validation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect.utilities.callables import parameter_schema
from pydantic import BaseModel, Field

from flows.android_release import android_release
from flows.emergency_deploy import workers_emergency_deploy
from flows.ios_release import ios_release
from flows.requests import takes
from flows.rollout_halt import halt_rollout
from flows.workers_deploy import workers_deploy
from flows.workers_recover import workers_recover
from procedure.android_request import AndroidReleaseRequest
from procedure.emergency import EmergencyRequest
from procedure.halt_request import HaltRequest
from procedure.ios_request import IosReleaseRequest
from procedure.request import RequestError, WorkersDeployRequest, WorkersRecoverRequest

FLOWS = [
    (workers_deploy, WorkersDeployRequest, "service"),
    (workers_emergency_deploy, EmergencyRequest, "service"),
    (workers_recover, WorkersRecoverRequest, "service"),
    (android_release, AndroidReleaseRequest, "app"),
    (ios_release, IosReleaseRequest, "app"),
    (halt_rollout, HaltRequest, "app"),
]


@pytest.mark.parametrize(("flow", "model", "choice"), FLOWS, ids=lambda v: getattr(v, "name", ""))
def test_the_schema_is_the_models_fields(flow: Any, model: type[BaseModel], choice: str) -> None:
    schema = parameter_schema(flow).model_dump_for_openapi()
    assert list(schema["properties"]) == list(model.model_fields)
    assert set(schema.get("required", [])) == {
        name for name, field in model.model_fields.items() if field.is_required()
    }
    for name, field in model.model_fields.items():
        shown = schema["properties"][name]
        assert " ".join((field.description or "").split()) == shown.get("description", ""), name
        if not field.is_required():
            assert shown.get("default") == field.get_default(call_default_factory=True), name
    assert "enum" in schema["properties"][choice], "the policy's names are a choice in the form"


def test_the_body_gets_one_validated_model_and_bad_values_name_the_field() -> None:
    class Greeting(BaseModel):
        name: str = Field(min_length=2, description="who")
        times: int = Field(1, gt=0, description="how often")

    seen: list[Greeting] = []

    @takes(Greeting)
    async def greet(request: Greeting) -> str:
        """Say hello."""
        seen.append(request)
        return request.name * request.times

    assert asyncio.run(greet(name="ab", times="2")) == "abab"  # JSON-ish input is coerced
    assert seen == [Greeting(name="ab", times=2)]
    with pytest.raises(RequestError, match="times: Input should be greater than 0"):
        asyncio.run(greet(name="ab", times=0))
    with pytest.raises(TypeError, match="name"):
        asyncio.run(greet(times=3))  # a required field is a required parameter
    assert "Args:\n    name: who\n    times: how often" in (greet.__doc__ or "")
    assert len(seen) == 1, "a refused call never reaches the body"


def test_a_choice_must_name_a_field() -> None:
    with pytest.raises(TypeError, match="no field servise"):
        takes(WorkersDeployRequest, choices={"servise": "services"})
