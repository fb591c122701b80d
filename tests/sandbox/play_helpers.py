"""Fixtures and helpers for the Google Play sandbox tests.

Test modules import the fixtures they use (`clock`, `sandbox`, `play`, ...): the module-level
`sandbox` replaces conftest's with one on a ManualClock, so reviews, edit expiry and token expiry
move only when a test advances the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox.clock import ManualClock
from sandbox.control import SandboxControl
from sandbox.googleplay.keys import new_service_account
from sandbox.server import RunningSandbox, start_sandbox
from tests.sandbox.helpers import CF_TOKEN, GH_TOKEN

PKG = "com.acme.verifier"
LIVE = 100  # the version code live on production when a test starts
SA_EMAIL = "release-bot@acme-release.iam.gserviceaccount.com"
PUBLISHER = "https://www.googleapis.com/auth/androidpublisher"
REPORTING = "https://www.googleapis.com/auth/playdeveloperreporting"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    # Starts at the wall clock: JWTs signed with real time are valid on both clocks.
    return ManualClock(datetime.now(UTC))


@pytest.fixture(scope="module")
def sandbox(clock: ManualClock) -> Iterator[RunningSandbox]:
    with start_sandbox(tokens={"github": GH_TOKEN, "cloudflare": CF_TOKEN}, clock=clock) as running:
        yield running


@pytest.fixture(scope="module")
def keys(sandbox: RunningSandbox) -> tuple[dict[str, Any], str]:
    """One RSA key pair per module (generating one takes ~50 ms)."""
    return new_service_account(f"{sandbox.url}/google/oauth2/token", client_email=SA_EMAIL)


@pytest.fixture(scope="module")
def _google(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/google", timeout=10) as client:
        yield client


@dataclass
class Play:
    """One test's Google Play world: the app (live on production at LIVE), a registered service
    account, a token for both scopes, and shortcuts over the real API."""

    ctl: SandboxControl
    http: httpx.Client  # base /google, Authorization set
    clock: ManualClock
    account: dict[str, Any]
    token: str

    # -- raw paths -------------------------------------------------------------------------------
    @staticmethod
    def app_path(suffix: str = "", package: str = PKG) -> str:
        return f"/androidpublisher/v3/applications/{package}{suffix}"

    @staticmethod
    def upload_path(edit_id: str, package: str = PKG) -> str:
        return f"/upload/androidpublisher/v3/applications/{package}/edits/{edit_id}/bundles"

    @staticmethod
    def report_path(suffix: str, package: str = PKG) -> str:
        return f"/playdeveloperreporting/v1beta1/apps/{package}/{suffix}"

    def refresh(self) -> None:
        """A new access token (after the sandbox clock moved past the old one's hour)."""
        self.token = self.ctl.play_token(self.account)
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    # -- calls -----------------------------------------------------------------------------------
    def edit(self) -> str:
        return self.edit_for(PKG)

    def edit_for(self, package: str) -> str:
        answer = self.http.post(self.app_path("/edits", package=package), json={})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def upload(self, edit_id: str, code: int, payload: bytes | None = None) -> httpx.Response:
        return self.http.post(
            self.upload_path(edit_id),
            params={"uploadType": "media"},
            headers={
                "Content-Type": "application/octet-stream",
                "X-Sandbox-Version-Code": str(code),
            },
            content=payload or f"aab-{code}".encode(),
        )

    def put_track(self, edit_id: str, track: str, *releases: dict[str, Any]) -> httpx.Response:
        return self.http.put(
            self.app_path(f"/edits/{edit_id}/tracks/{track}"),
            json={"track": track, "releases": list(releases)},
        )

    def commit(self, edit_id: str, **params: str) -> httpx.Response:
        return self.http.post(self.app_path(f"/edits/{edit_id}:commit"), params=params)

    def change(self, track: str, *releases: dict[str, Any], **params: str) -> httpx.Response:
        """insert → tracks.update → commit; the commit's answer (the update must succeed)."""
        edit_id = self.edit()
        updated = self.put_track(edit_id, track, *releases)
        assert updated.status_code == 200, updated.text
        return self.commit(edit_id, **params)

    def ship(self, code: int, track: str = "internal") -> None:
        """CI: the bundle goes to `track` as a completed release."""
        self.ctl.play_upload_internal(PKG, code, token=self.token, track=track)

    def releases(self, track: str = "production") -> list[dict[str, Any]]:
        answer = self.http.get(self.app_path(f"/tracks/{track}/releases"))
        assert answer.status_code == 200, answer.text
        releases: list[dict[str, Any]] = answer.json().get("releases", [])
        return releases

    def states(self, track: str = "production") -> dict[int, str]:
        """versionCode -> releaseLifecycleState without the prefix."""
        return {
            r["activeArtifacts"][0]["versionCode"]: r["releaseLifecycleState"].removeprefix(
                "RELEASE_LIFECYCLE_STATE_"
            )
            for r in self.releases(track)
        }

    def track(self, track: str = "production") -> list[dict[str, Any]]:
        """The committed track as an edit shows it (opens, and so invalidates, an edit)."""
        edit_id = self.edit()
        answer = self.http.get(self.app_path(f"/edits/{edit_id}/tracks/{track}"))
        assert answer.status_code == 200, answer.text
        self.http.delete(self.app_path(f"/edits/{edit_id}"))
        releases: list[dict[str, Any]] = answer.json().get("releases", [])
        return releases


def staged(code: int, fraction: float, status: str = "inProgress", **extra: Any) -> dict[str, Any]:
    return {"versionCodes": [str(code)], "status": status, "userFraction": fraction, **extra}


def full(code: int, status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"versionCodes": [str(code)], "status": status, **extra}


def error(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()["error"]
    return body


@pytest.fixture
def play(
    control: SandboxControl,
    _google: httpx.Client,
    keys: tuple[dict[str, Any], str],
    clock: ManualClock,
) -> Play:
    account, public_pem = keys
    control.play_register_service_account(account["client_email"], public_pem)
    control.play_app(PKG, production_version_code=LIVE, production_release_name="1.0.0")
    token = control.play_token(account)
    _google.headers["Authorization"] = f"Bearer {token}"
    return Play(ctl=control, http=_google, clock=clock, account=account, token=token)
