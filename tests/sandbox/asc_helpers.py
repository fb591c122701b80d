"""Fixtures and helpers for the App Store Connect and Sentry sandbox tests.

The module-level `sandbox` runs on a ManualClock (shared with the tests), so processing, review
and phased-release days move only when a test advances the clock. Every App Store answer a test
receives through `asc` is checked against tests/specs/app-store-connect.json when the test ends
(operations the trimmed spec does not carry are skipped).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

from sandbox.clock import ManualClock
from sandbox.control import SandboxControl
from sandbox.control_appstore import asc_jwt
from sandbox.server import RunningSandbox, start_sandbox
from tests.sandbox.helpers import CF_TOKEN, GH_TOKEN

SPEC = Path(__file__).parents[1] / "specs" / "app-store-connect.json"
APP_ID = "1234567890"
BUNDLE = "com.acme.verifier"
SENTRY_TOKEN = "sntrys-test-token"
HOST = "https://api.appstoreconnect.apple.com"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="module")
def sandbox(clock: ManualClock) -> Iterator[RunningSandbox]:
    tokens = {"github": GH_TOKEN, "cloudflare": CF_TOKEN, "sentry": SENTRY_TOKEN}
    with start_sandbox(tokens=tokens, clock=clock) as running:
        yield running


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    # The trimmed spec is validated once by tests/specs; validating it again here costs ~6 s.
    return OpenAPI.from_dict(json.loads(SPEC.read_text()), config=Config(spec_validator_cls=None))


@pytest.fixture(scope="module")
def _control(sandbox: RunningSandbox) -> Iterator[SandboxControl]:
    with SandboxControl(sandbox.url) as ctl:
        yield ctl


@pytest.fixture(scope="module")
def _http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/appstore", timeout=10) as client:
        yield client


def spec_problems(spec: OpenAPI, response: httpx.Response) -> list[str]:
    """openapi-core's complaints about one answer; [] for operations the spec does not have."""
    request = response.request
    path = request.url.path.removeprefix("/appstore")
    mock_request = MockRequest(HOST, request.method.lower(), path, args=dict(request.url.params))
    mock_response = MockResponse(
        response.content,
        response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )
    problems = []
    for error in spec.iter_response_errors(mock_request, mock_response):
        if isinstance(error, PathNotFound | OperationNotFound):
            return []
        if isinstance(error, ResponseNotFound) and response.status_code >= 500:
            continue  # injected faults: the spec documents no 5xx, Apple still sends them
        inner = getattr(error.__cause__, "schema_errors", [])
        problems.append(f"{type(error).__name__}: {[e.message[:300] for e in inner]}")
    return problems


@dataclass
class Asc:
    """One test's App Store world: the app (with an internal beta group), a registered API key,
    a client that signs a fresh JWT on the sandbox clock for every request."""

    ctl: SandboxControl
    http: httpx.Client
    clock: ManualClock
    key: dict[str, str]
    seen: list[httpx.Response] = field(default_factory=list)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or asc_jwt(self.key, now=self.clock())}"}

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", None) or self.headers(kw.pop("token", None))
        response = self.http.request(method, path, json=body, headers=headers, **kw)
        self.seen.append(response)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("DELETE", path, **kw)

    # -- shortcuts over the real API ---------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return self.ctl.asc_app_state(APP_ID)

    def valid_build(self, version: str = "1.2.0", number: str = "45") -> str:
        """Upload, let it process, answer export compliance: a build ready to submit."""
        build_id = self.ctl.asc_upload_build(APP_ID, version, number)
        self.clock.advance(self.state()["processing_seconds"])
        body = {
            "data": {
                "type": "builds",
                "id": build_id,
                "attributes": {"usesNonExemptEncryption": False},
            }
        }
        assert self.patch(f"/v1/builds/{build_id}", body).status_code == 200
        return build_id

    def new_version(
        self, version: str, build_id: str | None = None, release_type: str = "MANUAL"
    ) -> httpx.Response:
        relationships: dict[str, Any] = {"app": {"data": {"type": "apps", "id": APP_ID}}}
        if build_id:
            relationships["build"] = {"data": {"type": "builds", "id": build_id}}
        return self.post(
            "/v1/appStoreVersions",
            {
                "data": {
                    "type": "appStoreVersions",
                    "attributes": {
                        "platform": "IOS",
                        "versionString": version,
                        "releaseType": release_type,
                    },
                    "relationships": relationships,
                }
            },
        )

    def phased(self, version_id: str) -> httpx.Response:
        return self.post(
            "/v1/appStoreVersionPhasedReleases",
            {
                "data": {
                    "type": "appStoreVersionPhasedReleases",
                    "attributes": {"phasedReleaseState": "INACTIVE"},
                    "relationships": {
                        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version_id}}
                    },
                }
            },
        )

    def set_phase(self, phased_id: str, wanted: str) -> httpx.Response:
        return self.patch(
            f"/v1/appStoreVersionPhasedReleases/{phased_id}",
            {
                "data": {
                    "type": "appStoreVersionPhasedReleases",
                    "id": phased_id,
                    "attributes": {"phasedReleaseState": wanted},
                }
            },
        )

    def submission(self) -> httpx.Response:
        return self.post(
            "/v1/reviewSubmissions",
            {
                "data": {
                    "type": "reviewSubmissions",
                    "attributes": {"platform": "IOS"},
                    "relationships": {"app": {"data": {"type": "apps", "id": APP_ID}}},
                }
            },
        )

    def add_item(self, submission_id: str, version_id: str) -> httpx.Response:
        return self.post(
            "/v1/reviewSubmissionItems",
            {
                "data": {
                    "type": "reviewSubmissionItems",
                    "relationships": {
                        "reviewSubmission": {
                            "data": {"type": "reviewSubmissions", "id": submission_id}
                        },
                        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version_id}},
                    },
                }
            },
        )

    def submit(self, submission_id: str) -> httpx.Response:
        return self.patch(
            f"/v1/reviewSubmissions/{submission_id}",
            {
                "data": {
                    "type": "reviewSubmissions",
                    "id": submission_id,
                    "attributes": {"submitted": True},
                }
            },
        )

    def release(self, version_id: str) -> httpx.Response:
        return self.post(
            "/v1/appStoreVersionReleaseRequests",
            {
                "data": {
                    "type": "appStoreVersionReleaseRequests",
                    "relationships": {
                        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version_id}}
                    },
                }
            },
        )

    def version_state(self, version_id: str) -> str:
        response = self.get(f"/v1/appStoreVersions/{version_id}")
        return str(response.json()["data"]["attributes"]["appVersionState"])

    def submitted_version(self, version: str = "1.2.0", number: str = "45", **kw: Any) -> str:
        """A version with a ready build, submitted for review; returns the version id."""
        build_id = self.valid_build(version, number)
        version_id = self.new_version(version, build_id, **kw).json()["data"]["id"]
        submission_id = self.submission().json()["data"]["id"]
        assert self.add_item(submission_id, version_id).status_code == 201
        assert self.submit(submission_id).status_code == 200
        return str(version_id)


@pytest.fixture
def asc(
    _control: SandboxControl, _http: httpx.Client, clock: ManualClock, spec: OpenAPI
) -> Generator[Asc]:
    _control.reset()
    _control.asc_app(
        APP_ID,
        BUNDLE,
        name="Verifier",
        beta_groups=[{"name": "Internal", "internal": True}, {"name": "Public", "internal": False}],
        processing_seconds=300,
        review_seconds=3600,
        day_seconds=86400,
    )
    world = Asc(_control, _http, clock, _control.asc_api_key())
    yield world
    problems = {
        f"{r.request.method} {r.request.url.path} -> {r.status_code}": p
        for r in world.seen
        if (p := spec_problems(spec, r))
    }
    assert not problems, problems
