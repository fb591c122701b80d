"""ios-release parameters, checked against the policy before App Store Connect is called."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from procedure.android_request import check_mobile_request
from procedure.policy import IosApp, Policy, PolicyError
from procedure.request import REQUEST_CONFIG, RequestError

__all__ = ["IosReleaseRequest", "ios_target"]

# CFBundleShortVersionString / CFBundleVersion: ASCII digits (a \d would take "２.４" or "٣")
VERSION = r"^[0-9]+(\.[0-9]+){0,2}$"


class IosReleaseRequest(BaseModel):
    """ios-release: take one iOS build through the procedure, one due step per run."""

    model_config = REQUEST_CONFIG

    app: str = Field(min_length=1, description="an app from the policy's `ios_apps`")
    version: str = Field(
        pattern=VERSION, description="the version string (CFBundleShortVersionString), e.g. 2.4.1"
    )
    build_number: str = Field(
        pattern=VERSION, description="the build number CI uploaded (CFBundleVersion), e.g. 412"
    )
    release_notes: str = Field(
        "", max_length=4000, description="What's New in this version (App Store: ≤ 4000 characters)"
    )
    significant: bool | None = Field(
        None,
        description="a significant change (TestFlight internal testing ≥ 24 h); leave empty to "
        "take it from the PR's significant-change label (pr_number); required without a PR",
    )
    pr_number: int | None = Field(
        None, gt=0, description="the PR this build was made from (CI gives it)"
    )
    significant_reason: str | None = Field(
        None,
        min_length=10,
        description="why a PR labelled significant is released as not significant (recorded)",
    )
    action: Literal["release", "resume", "release to all", "remove from sale"] = Field(
        "release",
        description="release: the procedure, step by step; resume a paused phased release, "
        "release to all users, or remove the app from sale (an operator's action, audited)",
    )
    operator: str | None = Field(
        None, min_length=2, description="who acts (an operator's action, an emergency release)"
    )
    reason: str | None = Field(
        None, min_length=5, description="why (an operator's action; recorded in the audit)"
    )
    confirm_remove_from_sale: bool = Field(
        False,
        description="remove from sale takes the whole app off the App Store: say true to mean it",
    )
    incident_id: str | None = Field(
        None,
        min_length=1,
        description="an emergency fix for this active P1/P2 incident: bypasses the freeze only",
    )
    emergency_reason: str | None = Field(
        None,
        min_length=10,
        description="why the fix cannot wait for the freeze to end (needs incident_id, operator)",
    )
    outage_attempt: int = Field(
        0,
        ge=0,
        description="set by the runs themselves: how many times this step met an App Store "
        "Connect outage",
    )

    @model_validator(mode="after")
    def _consistent(self) -> IosReleaseRequest:
        if self.action != "release" and not (self.operator and self.reason):
            raise ValueError(f"action {self.action!r} needs operator and reason (audited)")
        if self.action == "remove from sale" and not self.confirm_remove_from_sale:
            raise ValueError(
                "confirm_remove_from_sale: removing from sale takes the whole app off the "
                "App Store; set it true to mean it"
            )
        if self.action == "release":
            check_mobile_request(self, "is tested longer on TestFlight")
        return self


def ios_target(request: IosReleaseRequest, policy: Policy) -> IosApp:
    """The request's app from the policy."""
    try:
        app = policy.ios_app(request.app)
    except PolicyError as error:
        raise RequestError(f"app: {error}") from None
    if request.pr_number is not None and not app.repo:
        raise RequestError(f"pr_number: the policy gives no `repo` for iOS app {request.app}")
    return app
