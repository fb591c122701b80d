"""pr-checklist's parameters: which open PR to evaluate the Pre-Deploy Checklist on."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from procedure.request import REQUEST_CONFIG, SHA

CHECK_NAME = "deployment procedure / pre-deploy checklist"


class PrChecklistRequest(BaseModel):
    """pr-checklist: the release's Pre-Deploy Checklist on an open PR, posted as a check run."""

    model_config = REQUEST_CONFIG

    service: str = Field(min_length=1, description="a service from the policy's registry")
    pr_number: int = Field(gt=0, description="the pull request to check")
    head_sha: str | None = Field(
        None, description="the PR head commit to check (full sha); unset = the PR's current head"
    )
    ci_run_id: int | None = Field(
        None,
        gt=0,
        description="the GitHub Actions run that triggers this check (GITHUB_RUN_ID): its own "
        "jobs are still in progress and so do not count as 'CI still running'",
    )

    @field_validator("head_sha")
    @classmethod
    def _full_sha(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if not SHA.match(value):
            raise ValueError("must be a full 40-character hexadecimal commit sha")
        return value

    @property
    def external_id(self) -> str:
        """What the check run carries so a re-run finds (and updates) the same one."""
        return f"pr-checklist:{self.service}:{self.pr_number}"
