from __future__ import annotations

from pathlib import Path

import pytest

from procedure.request import RequestError, WorkersDeployRequest, parse_request, workers_target
from tasks.policy_file import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "policy" / "release-policy.yaml")
V1, V2 = "0b9f7c3e-6a2d-4c1e-9f10-2a3b4c5d6e7f", "1c8e6d2f-5b3a-4d2c-8e21-3b4c5d6e7f80"
GOOD = {
    "service": "verifier",
    "git_sha": "a" * 40,
    "pr_number": 3,
    "version_ids": {"sandbox": V1, "production": V2},
}


def validate_workers_request(params: dict, policy: object) -> WorkersDeployRequest:
    """What workers-deploy does with its parameters before any provider call."""
    request = parse_request(WorkersDeployRequest, params)
    workers_target(request, POLICY)
    return request


def test_good_request_resolves_to_the_policys_service() -> None:
    request = parse_request(WorkersDeployRequest, GOOD)
    assert request.version_ids["production"] == V2 and request.significant is None
    service = workers_target(request, POLICY)
    assert service.name == "verifier" and service == POLICY.services["verifier"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"service": "nope"}, "service: unknown service 'nope'"),
        ({"git_sha": "abc123"}, "git_sha: Value error, must be a full 40-character"),
        ({"git_sha": "g" * 40}, "git_sha"),
        ({"pr_number": 0}, "pr_number: Input should be greater than 0"),
        ({"pr_number": -4}, "pr_number"),
        (
            {"version_ids": {"production": V2}},
            "version_ids: missing the uploaded version for sandbox",
        ),
        (
            {"version_ids": {"sandbox": V1, "production": "latest"}},
            "production: 'latest' is not a Worker version id",
        ),
        ({"service": "edge-router"}, "edge-router has no sandbox environment"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        ({"ci_run_id": 0}, "ci_run_id: Input should be greater than 0"),
        ({"ci_run_id": "run-7"}, "ci_run_id: Input should be a valid integer"),
    ],
)
def test_bad_requests_name_the_field(changes: dict, message: str) -> None:
    with pytest.raises(RequestError) as raised:
        validate_workers_request({**GOOD, **changes}, POLICY)
    assert message in str(raised.value)


def test_ci_run_id_is_optional_and_kept() -> None:
    assert (
        validate_workers_request({**GOOD, "ci_run_id": 9876543210}, POLICY).ci_run_id == 9876543210
    )
    assert validate_workers_request(GOOD, POLICY).ci_run_id is None


def test_significant_reason_must_say_something() -> None:
    base = {"service": "s", "git_sha": "a" * 40, "pr_number": 1, "version_ids": {}}
    assert (
        WorkersDeployRequest.model_validate(
            {**base, "significant_reason": " why "}
        ).significant_reason
        == "why"
    )
    with pytest.raises(ValueError, match="significant_reason"):
        WorkersDeployRequest.model_validate({**base, "significant_reason": "  "})
