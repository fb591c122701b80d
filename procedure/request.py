"""Run parameters checked against the policy before any provider is called."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from procedure.policy import Policy, PolicyError, WorkerService

SHA = re.compile(r"^[0-9a-f]{40}$")
ENVIRONMENTS = ("sandbox", "production")


# Every request model: no unknown field, and text stripped before its length is checked, so a
# blank operator or reason is refused and what is accepted is accepted again as dumped (relctl
# checks the parameters, then sends the model's dump to the API and the run checks it again).
REQUEST_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RequestError(ValueError):
    """Bad run parameters. The text names the field; nothing has been called yet."""


def bad_parameters(error: ValidationError) -> str:
    """One line naming every bad field and what was wrong with it."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}" for e in error.errors()
    )
    return f"bad parameters: {problems}"


M = TypeVar("M", bound=BaseModel)


def parse_request(model: type[M], params: Mapping[str, Any]) -> M:
    """The run's parameters as `model`, or a RequestError naming every bad field."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        raise RequestError(bad_parameters(error)) from None


class WorkersDeployRequest(BaseModel):
    """workers-deploy: release one Cloudflare Worker through the standard procedure."""

    model_config = REQUEST_CONFIG

    service: str = Field(min_length=1, description="a service from the policy's registry")
    git_sha: str = Field(description="the merged commit (full 40-character sha)")
    pr_number: int = Field(gt=0, description="the pull request that was merged")
    version_ids: dict[str, str] = Field(
        description='the version CI uploaded per environment, e.g. {"sandbox": "…", "production": "…"}'
    )
    significant: bool | None = Field(
        None, description="a significant change (2-hour watch); unset = read the PR's label"
    )
    ci_run_id: int | None = Field(
        None,
        gt=0,
        description="the GitHub Actions run that triggers this release (GITHUB_RUN_ID), whose "
        "own check runs are still in progress and so do not count against 'CI passes'",
    )
    significant_reason: str | None = Field(
        None,
        max_length=500,
        description="required to pass significant=false for a PR labelled significant-change; "
        "recorded in the evidence",
    )

    @field_validator("significant_reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must say why, or be left out")
        return value.strip() if value is not None else None

    @field_validator("git_sha")
    @classmethod
    def _full_sha(cls, value: str) -> str:
        value = value.strip().lower()
        if not SHA.match(value):
            raise ValueError("must be a full 40-character hexadecimal commit sha")
        return value

    @field_validator("version_ids")
    @classmethod
    def _uuids(cls, value: dict[str, str]) -> dict[str, str]:
        for env, version in value.items():
            if env not in ENVIRONMENTS:
                raise ValueError(f"{env!r} is not an environment (sandbox or production)")
            try:
                uuid.UUID(version)
            except (ValueError, AttributeError, TypeError):
                raise ValueError(
                    f"{env}: {version!r} is not a Worker version id (a UUID)"
                ) from None
        return {env: str(uuid.UUID(v)) for env, v in value.items()}


class WorkersRecoverRequest(BaseModel):
    """workers-recover: finish a release whose run died mid-watch (verified or rolled back)."""

    model_config = REQUEST_CONFIG

    service: str = Field(min_length=1, description="a service from the policy's registry")
    flow_run_id: str | None = Field(
        None,
        description="the crashed run (the on-crash automation gives it): named in the summary; "
        "an emergency deploy, which has no GitHub record, is found by it",
    )


def service_target(name: str, policy: Policy) -> WorkerService:
    """The service a request names, from the policy: what every task of the release takes."""
    try:
        return policy.service(name)
    except PolicyError as error:
        raise RequestError(f"service: {error}") from None


def workers_target(request: WorkersDeployRequest, policy: Policy) -> WorkerService:
    """The request's service, with one uploaded version for each of its environments."""
    service = service_target(request.service, policy)
    wanted = set(service.deploy_order)
    missing = sorted(wanted - set(request.version_ids))
    extra = sorted(set(request.version_ids) - wanted)
    if missing:
        raise RequestError(f"version_ids: missing the uploaded version for {', '.join(missing)}")
    if extra:
        raise RequestError(
            f"version_ids: {request.service} has no {', '.join(extra)} environment in the policy"
        )
    return service
