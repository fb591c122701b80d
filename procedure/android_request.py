"""android-release parameters, checked against the policy before Play is called."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field, model_validator

from procedure.android import resume_from
from procedure.policy import AndroidApp, Policy, PolicyError
from procedure.request import REQUEST_CONFIG, RequestError


class AndroidReleaseRequest(BaseModel):
    """android-release: take one Android version through the procedure, one due step per run."""

    model_config = REQUEST_CONFIG

    app: str = Field(min_length=1, description="an app from the policy's `android_apps`")
    version_code: int | None = Field(
        None,
        gt=0,
        le=2100000000,  # Play's ceiling
        description="the version CI uploaded to the internal track (or leave empty and give aab_path)",
    )
    aab_path: str | None = Field(None, description="a built .aab to upload to the internal track")
    version_name: str = Field("", max_length=50, description="the release name shown in Play")
    release_notes: str = Field(
        "", max_length=500, description="en-US release notes (Play: ≤ 500 characters)"
    )
    significant: bool | None = Field(
        None,
        description="a significant change (internal testing ≥ 24 h); leave empty to take it "
        "from the PR's significant-change label (pr_number); required without a PR",
    )
    resume_reason: str | None = Field(
        None, min_length=5, description="resume a HALTED rollout (needs operator)"
    )
    operator: str | None = Field(
        None, min_length=2, description="who resumes (or who runs an emergency release)"
    )
    pr_number: int | None = Field(
        None, gt=0, description="the PR this version was built from (CI gives it)"
    )
    significant_reason: str | None = Field(
        None,
        min_length=10,
        description="why a PR labelled significant is released as not significant (recorded)",
    )
    incident_id: str | None = Field(
        None,
        min_length=1,
        description="an emergency hotfix for this active P1/P2 incident: bypasses the freeze only",
    )
    emergency_reason: str | None = Field(
        None,
        min_length=10,
        description="why the hotfix cannot wait for the freeze to end (needs incident_id, operator)",
    )
    outage_attempt: int = Field(
        0,
        ge=0,
        description="set by the runs themselves: how many times this step met a Google Play outage",
    )

    @model_validator(mode="after")
    def _code_or_bundle(self) -> AndroidReleaseRequest:
        if self.version_code is None and not self.aab_path:
            raise ValueError("give version_code (uploaded by CI) or aab_path (to upload)")
        resume_from(self.resume_reason, self.operator)
        check_mobile_request(self, "soaks longer on the internal track")
        return self


def android_target(request: AndroidReleaseRequest, policy: Policy) -> AndroidApp:
    """The request's app from the policy, with what its optional parameters need there."""
    try:
        app = policy.android_app(request.app)
    except PolicyError as error:
        raise RequestError(f"app: {error}") from None
    if request.pr_number is not None and not app.repo:
        raise RequestError(f"pr_number: the policy gives no `repo` for Android app {request.app}")
    if request.aab_path and not app.builds_dir:
        raise RequestError(
            f"aab_path: the policy gives no `builds_dir` for Android app {request.app}"
        )
    return app


def check_mobile_request(request: AsksSignificance, longer: str) -> None:
    """What every mobile release request needs: `significant` said when no PR can say it, and
    an emergency's incident, reason and operator together (ValueError naming the field)."""
    if request.significant is None and request.pr_number is None:
        raise ValueError(
            "significant: required when no pr_number is given (true or false: "
            f"a significant change {longer})"
        )
    if request.incident_id and not (request.emergency_reason and request.operator):
        raise ValueError("incident_id: an emergency release needs emergency_reason and operator")
    if request.emergency_reason and not request.incident_id:
        raise ValueError("emergency_reason needs incident_id: the P1/P2 incident the fix is for")


class AsksSignificance(Protocol):
    """A mobile release request: what the caller says of `significant`, and the PR."""

    @property
    def significant(self) -> bool | None: ...
    @property
    def pr_number(self) -> int | None: ...
    @property
    def significant_reason(self) -> str | None: ...
    @property
    def operator(self) -> str | None: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def emergency_reason(self) -> str | None: ...


def resolve_significance(
    request: AsksSignificance, labels: frozenset[str] | None, label: str
) -> tuple[bool, str]:
    """(significant, why). With the PR's labels, the label decides; the caller may raise it to
    significant, and lower a labelled change only with a recorded `significant_reason`."""
    if labels is None:
        if request.significant is None:  # the request model refuses this; kept for safety
            raise RequestError("significant: required when no pr_number is given")
        return request.significant, f"given by the caller: {request.significant}"
    labelled = label in labels
    pr = f"PR #{request.pr_number}"
    if request.significant is None or request.significant == labelled:
        return labelled, f"{pr} {'has' if labelled else 'has no'} the {label} label"
    if request.significant:
        return True, f"{pr} has no {label} label; the caller says significant"
    if not request.significant_reason:
        raise RequestError(
            f"significant: {pr} is labelled {label}; setting significant=false "
            "needs significant_reason (recorded)"
        )
    who = f" by {request.operator}" if request.operator else ""
    return (
        False,
        f"{pr} is labelled {label}; downgraded to not significant{who}: {request.significant_reason}",
    )
