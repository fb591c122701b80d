"""Every deployment's parameters, generated (issue 12, bad input): the request model is the
oracle, and every layer in front of the flow body agrees with it — Prefect's binding and casting
of the flow's signature, the API's parameter schema (what `relctl trigger` sends is accepted),
`relctl trigger`'s own check and the policy look-up. A refused set names the offending field.

Pure and fast: many examples. tests/scenarios/test_bad_input_parameters.py runs a few through the real
flows against the sandbox."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect._internal.schemas._registry import non_fetching_registry
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools import validate
from prefect.utilities.schema_tools.validation import _VALIDATOR, preprocess_schema
from pydantic import BaseModel, ValidationError

from procedure.emergency import EmergencyRefused
from procedure.request import RequestError, parse_request
from relctl.operator_cmd import FLOW_MODELS, trigger_parameters

from .catalogue import POLICY, SPECS, Deployment, Spec, deployments
from .mutations import Mutation, mutations

MANY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every machine: CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DEPLOYMENTS = deployments()


@pytest.fixture(autouse=True, scope="module")
def _quiet_prefect() -> Iterator[None]:
    """Prefect logs every parameter set it refuses at ERROR: thousands of lines here."""
    logger = logging.getLogger("prefect.flows")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


IDS = [d.id for d in DEPLOYMENTS]


def test_every_deployment_is_covered() -> None:
    """A deployment added to prefect.yaml fails here until its parameters are generated too."""
    assert {d.flow_name for d in DEPLOYMENTS} == set(SPECS)
    assert len(DEPLOYMENTS) >= 9
    for deployment in DEPLOYMENTS:
        flow, spec = deployment.flow(), SPECS[deployment.flow_name]
        # the spec's model is the flow's own: its parameters are the model's fields
        assert list(inspect.signature(flow.fn).parameters) == list(spec.model.model_fields)
        if deployment.flow_name in FLOW_MODELS:  # relctl trigger checks with the same model
            module, name = FLOW_MODELS[deployment.flow_name]
            assert (spec.model.__module__, spec.model.__name__) == (module, name)
    takes = {d.flow_name for d in DEPLOYMENTS if hasattr(d.flow().fn, "__wrapped__")}
    assert takes == set(FLOW_MODELS), "relctl trigger knows the model of every flow that has one"


def closed_schema(flow: Any) -> dict[str, Any]:
    """The deployment's parameter schema as the API enforces it once
    `relctl deployments refuse-unknown-parameters` closed it."""
    schema = parameter_schema(flow).model_dump_for_openapi()
    return {**schema, "additionalProperties": False}


@functools.cache
def _api_validator(flow: Any) -> Any:
    schema = closed_schema(flow)
    validate({}, schema, ignore_required=True)  # the API's own check, once: a schema it can use
    return _VALIDATOR(preprocess_schema(schema), registry=non_fetching_registry())


def api_refusal(flow: Any, params: dict[str, Any]) -> str | None:
    """What the API's `enforce_parameter_schema` says of `params` (as prefect's `validate`,
    with the schema compiled once: checking it on every call is most of the time)."""
    errors = list(_api_validator(flow).iter_errors(params))
    return "; ".join(f"{e.json_path}: {e.message}" for e in errors) or None


def model_verdict(model: type[BaseModel], params: dict[str, Any]) -> BaseModel | ValidationError:
    try:
        return model.model_validate(params)
    except ValidationError as error:
        return error


def named_fields(error: ValidationError, model: type[BaseModel], extra: str | None) -> set[str]:
    """The fields a refusal names; each of its lines must name one."""
    fields = set(model.model_fields)
    found: set[str] = set()
    for item in error.errors():
        if item["loc"]:
            name = str(item["loc"][0])
            assert name in fields or name == extra, item
            found.add(name)
        else:  # a rule across fields: its text says which
            mentioned = {f for f in fields if re.search(rf"\b{re.escape(f)}\b", item["msg"])}
            assert mentioned, f"a refusal that names no field: {item['msg']!r}"
            found |= mentioned
    return found


def through_prefect(flow: Any, params: dict[str, Any]) -> dict[str, Any] | str:
    """What Prefect does before the body: bind the call, then cast to the signature's types.
    The cast parameters, or the refusal's text."""
    try:
        inspect.signature(flow.fn).bind(**params)
    except TypeError as error:
        return f"bind: {error}"
    try:
        return flow.validate_parameters(params)
    except ParameterTypeError as error:
        return f"cast: {error}"


def check_target(spec: Spec, request: BaseModel) -> str | None:
    """The policy look-up of an accepted request: passes, or names the field it refuses."""
    if spec.target is None:
        return None
    try:
        spec.target(request, POLICY)
    except (RequestError, EmergencyRefused) as error:
        text = str(error)
        assert (
            re.match(r"^(\w+)[: ]", text)
            and text.split()[0].strip(":") in type(request).model_fields
            or any(re.search(rf"\b{f}\b", text) for f in type(request).model_fields)
        ), f"a policy refusal that names no field: {text!r}"
        return text
    return None


def agree(deployment: Deployment, params: dict[str, Any], mutation: Mutation | None) -> str:
    """Every layer's verdict on `params`, checked against the model's. Returns the verdict."""
    flow, spec = deployment.flow(), SPECS[deployment.flow_name]
    model = spec.model
    verdict = model_verdict(model, params)
    prefect = through_prefect(flow, params)

    if isinstance(verdict, ValidationError):
        extra = mutation.field if mutation and mutation.kind == "extra" else None
        names = named_fields(verdict, model, extra)
        # the field changed is named (a dropped optional field may instead leave another one
        # wanting: "significant: required when no pr_number is given" — named by itself)
        if mutation is not None and not (
            mutation.kind == "missing" and not model.model_fields[mutation.field].is_required()
        ):
            assert mutation.field in names, (mutation, verdict.errors())
        with pytest.raises(RequestError, match=r"^bad parameters: ") as refused:
            parse_request(model, params)
        assert all(name in str(refused.value) for name in names)
        if isinstance(prefect, str):  # Prefect refused first: naming the field too
            assert (
                mutation is None
                or repr(mutation.field) in prefect
                or (f" - {mutation.field}:" in prefect)
            ), prefect
        else:  # past Prefect, the body's model refuses the cast parameters too
            assert isinstance(model_verdict(model, prefect), ValidationError), (params, prefect)
        if deployment.flow_name in FLOW_MODELS:
            with pytest.raises(RequestError):
                trigger_parameters(deployment.flow_name, json.dumps(params))
        return "refused"

    # accepted: Prefect lets it through unchanged in meaning
    assert not isinstance(prefect, str), f"Prefect refuses what the model accepts: {prefect}"
    assert model.model_validate(prefect) == verdict
    # what was accepted is accepted again as it is dumped (relctl sends the dump to the API)
    dumped = verdict.model_dump(mode="json")
    assert model.model_validate(dumped) == verdict, "accepted, but not once more as dumped"
    if check_target(spec, verdict) is not None:
        return "refused by the policy"
    # what names a version to Apple or Play is ASCII digits, as they write it
    for name in ("version", "build_number"):
        value = getattr(verdict, name, None)
        if isinstance(value, str) and deployment.flow_name != "halt-rollout":
            assert re.fullmatch(r"[0-9.]+", value), f"{name} {value!r} accepted"
    code = getattr(spec.target and spec.target(verdict, POLICY), "version_code", None)
    if code is not None:
        assert str(code) == getattr(verdict, "version", None), "halt: the code as written"
    if deployment.flow_name in FLOW_MODELS:  # what relctl trigger sends, the API takes
        sent = trigger_parameters(deployment.flow_name, json.dumps(params, allow_nan=False))
        assert model.model_validate(sent) == verdict
        refused = api_refusal(flow, sent)
        assert refused is None, f"relctl sends {sent}, which the API refuses: {refused}"
    return "accepted"


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=IDS)
@MANY
@given(data=st.data())
def test_valid_parameters_pass_every_layer(deployment: Deployment, data: st.DataObject) -> None:
    params = data.draw(SPECS[deployment.flow_name].valid, label="params")
    assert agree(deployment, params, None) == "accepted"
    # as the UI and CI send them, the API's schema takes them too
    assert api_refusal(deployment.flow(), params) is None


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=IDS)
@settings(MANY, max_examples=200)
@given(data=st.data())
def test_bad_parameters_are_refused_naming_the_field(
    deployment: Deployment, data: st.DataObject
) -> None:
    spec = SPECS[deployment.flow_name]
    params = data.draw(spec.valid, label="valid")
    mutation = data.draw(mutations(spec.model, params), label="mutation")
    agree(deployment, mutation.apply(params), mutation)


@pytest.mark.parametrize("version", ["²", "１２", "٣", "0", "-1", "12a", "1e3", "0x1f"])
def test_an_android_halt_names_a_version_code_in_ascii_digits(version: str) -> None:
    """Odd digits the generator rarely draws: "²" passed isdigit() and crashed int()."""
    from procedure.halt_request import HaltRequest, halt_target

    request = HaltRequest(
        platform="android", app="wallet", operator="ops", reason="a check", version=version
    )
    with pytest.raises(RequestError, match=r"^version: .* is not an Android version code"):
        halt_target(request, POLICY)
