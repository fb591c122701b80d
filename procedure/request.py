"""Run parameters checked against the policy before any provider is called."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from procedure.policy import Policy, PolicyError

SHA = re.compile(r"^[0-9a-f]{40}$")
ENVIRONMENTS = ("sandbox", "production")


class RequestError(ValueError):
    """Bad run parameters. The text names the field; nothing has been called yet."""


def bad_parameters(error: ValidationError) -> str:
    """One line naming every bad field and what was wrong with it."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}" for e in error.errors()
    )
    return f"bad parameters: {problems}"


class WorkersDeployRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = Field(min_length=1)
    git_sha: str
    pr_number: int = Field(gt=0)
    version_ids: dict[str, str]
    significant: bool | None = None
    # The CI workflow run that triggered this release (GITHUB_RUN_ID): its own check runs are
    # still in progress on the commit and must not hold the release up.
    ci_run_id: int | None = Field(None, gt=0)
    # Why `significant=False` overrides the PR's significant-change label (recorded as evidence).
    significant_reason: str | None = Field(None, max_length=500)

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


def validate_workers_request(params: dict[str, Any], policy: Policy) -> WorkersDeployRequest:
    try:
        request = WorkersDeployRequest.model_validate(params)
    except ValidationError as error:
        raise RequestError(bad_parameters(error)) from None
    try:
        service = policy.service(request.service)
    except PolicyError as error:
        raise RequestError(f"service: {error}") from None
    wanted = set(service.deploy_order)
    missing = sorted(wanted - set(request.version_ids))
    extra = sorted(set(request.version_ids) - wanted)
    if missing:
        raise RequestError(f"version_ids: missing the uploaded version for {', '.join(missing)}")
    if extra:
        raise RequestError(
            f"version_ids: {request.service} has no {', '.join(extra)} environment in the policy"
        )
    return request
