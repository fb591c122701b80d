"""android-release parameters, checked against the policy before Play is called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from procedure.policy import Policy, PolicyError
from procedure.request import RequestError, bad_parameters


class AndroidReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app: str = Field(min_length=1)
    version_code: int | None = Field(None, gt=0, le=2100000000)  # Play's ceiling
    aab_path: str | None = None
    version_name: str = Field("", max_length=50)
    release_notes: str = Field("", max_length=500)  # Play: 500 characters per language
    significant: bool = False
    resume_reason: str | None = Field(None, min_length=5)
    operator: str | None = Field(None, min_length=2)

    @model_validator(mode="after")
    def _code_or_bundle(self) -> AndroidReleaseRequest:
        if self.version_code is None and not self.aab_path:
            raise ValueError("give version_code (uploaded by CI) or aab_path (to upload)")
        if self.aab_path and not Path(self.aab_path).is_file():
            raise ValueError(f"aab_path: no such file {self.aab_path!r}")
        if self.resume_reason and not self.operator:
            raise ValueError("resume_reason needs operator: who resumes the rollout")
        return self


def validate_android_request(params: dict[str, Any], policy: Policy) -> AndroidReleaseRequest:
    try:
        request = AndroidReleaseRequest.model_validate(params)
    except ValidationError as error:
        raise RequestError(bad_parameters(error)) from None
    try:
        policy.android_app(request.app)
    except PolicyError as error:
        raise RequestError(f"app: {error}") from None
    return request
