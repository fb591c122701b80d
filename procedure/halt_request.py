"""halt-rollout parameters: an operator stops a mobile rollout now — Android halts the staged
release on Google Play (also at 100 %), iOS pauses the phased release. A safety action: never
frozen, never waiting for the app's slot. It is undone only by `resume` (an operator's run of
android-release or ios-release, with a reason), never by the procedure itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from procedure.android import PlayState, ProductionRelease
from procedure.policy import AndroidApp, IosApp, Policy
from procedure.request import REQUEST_CONFIG, RequestError

__all__ = [
    "HaltRequest",
    "HaltTarget",
    "android_release_to_halt",
    "halt_target",
    "ios_release_to_pause",
]


class HaltRequest(BaseModel):
    """halt-rollout: stop one mobile rollout at once (Android halt, iOS pause)."""

    model_config = REQUEST_CONFIG

    platform: Literal["android", "ios"] = Field(
        description="android: halt on Google Play; ios: pause the phased release"
    )
    app: str = Field(min_length=1, description="an app from the policy's android_apps or ios_apps")
    operator: str = Field(min_length=2, description="who halts (recorded in the audit)")
    reason: str = Field(min_length=5, description="why (recorded in the audit and the alert)")
    version: str | None = Field(
        None,
        min_length=1,
        description="Android: the version code; iOS: the version string. Empty: the one "
        "rollout of the app in flight",
    )
    build_number: str | None = Field(
        None, min_length=1, description="iOS: the build (empty: the version's build)"
    )


@dataclass(frozen=True)
class HaltTarget:
    platform: Literal["android", "ios"]
    android: AndroidApp | None = None
    ios: IosApp | None = None
    version_code: int | None = None  # Android, when given


def halt_target(request: HaltRequest, policy: Policy) -> HaltTarget:
    """The request's app from the policy, with its version checked for that platform."""
    apps = policy.android_apps if request.platform == "android" else policy.ios_apps
    if request.app not in apps:
        known = ", ".join(sorted(apps)) or "none"
        raise RequestError(
            f"app: {request.app!r} is not a {request.platform} app of the policy (known: {known})"
        )
    if request.platform == "android":
        if request.build_number is not None:
            raise RequestError("build_number: Android app releases have no build number")
        code = None
        if request.version is not None:
            # ASCII digits only: "²" is a digit to isdigit() and no number to int()
            version = request.version
            if not (version.isascii() and version.isdigit()) or int(version) <= 0:
                raise RequestError(f"version: {request.version!r} is not an Android version code")
            code = int(request.version)
        return HaltTarget("android", android=policy.android_apps[request.app], version_code=code)
    if request.build_number is not None and request.version is None:
        raise RequestError("version: give the version the build belongs to")
    return HaltTarget("ios", ios=policy.ios_apps[request.app])


def android_release_to_halt(state: PlayState, version_code: int | None) -> ProductionRelease:
    """The production release to halt: the given version's (staged, halted or completed — Play
    halts a completed release too), or without one the single staged release in progress."""
    if version_code is not None:
        for release in state.production:
            if version_code in release.version_codes and release.status != "draft":
                return release
        raise RequestError(f"version: {version_code} has no release on the production track")
    staged = [r for r in state.production if r.status == "inProgress"]
    if len(staged) != 1:
        found = "no staged release in progress" if not staged else f"{len(staged)} staged releases"
        raise RequestError(f"version: Google Play shows {found}; give the version code to halt")
    return staged[0]


def ios_release_to_pause(
    in_flight: list[tuple[str, str]], version: str | None, build: str | None
) -> tuple[str, str]:
    """(version, build) to pause among those App Store Connect shows in flight: the given one,
    or without a version the single one in flight."""
    found = [
        (v, b)
        for v, b in in_flight
        if (version is None or v == version) and (build is None or b == build)
    ]
    if len(found) == 1:
        return found[0]
    what = f"version {version}" + (f" ({build})" if build else "") if version else "a release"
    if not found:
        raise RequestError(f"version: App Store Connect shows {what} in flight: none")
    raise RequestError(
        f"version: App Store Connect shows {len(found)} releases in flight; give the version"
        + (" and build_number" if version else "")
    )
