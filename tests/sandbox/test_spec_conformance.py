"""The sandbox answers what the vendors' own API descriptions (tests/specs/) say they answer.

Responses are validated with openapi-core against the trimmed vendor descriptions. The sandbox
serves each provider under a path prefix; requests are matched against the spec's own server
URL with that prefix swapped for the server's path.

Known, documented exceptions (each has a test below that pins it down):
* cloudflare-workers.json's `4XX` schemas are `allOf(<success envelope>, <failure envelope>)`,
  which no body can satisfy (`success` must be both true and false). Error bodies are checked
  against the common failure envelope in cloudflare-common-envelope.json instead.
* That 2024 description gives a deployment version `percentage` a minimum of 0.01; Cloudflare
  documents 0% versions (reachable only by version override), and the sandbox allows them.
* github-rest.json marks a check run's `conclusion` `nullable` but its `enum` lacks null; under
  OpenAPI 3.0.3's rules (enum is checked as written) a run still in progress, whose conclusion
  GitHub really sends as null, cannot validate. Reads are checked with completed runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from sandbox.control import SandboxControl
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, REPO, SCRIPT, SHA, deploy, script_path

SPECS = Path(__file__).parents[1] / "specs"
GITHUB = ("https://api.github.com", "/github", "")
CLOUDFLARE = ("https://api.cloudflare.com", "/cloudflare/client/v4", "/client/v4")


@pytest.fixture(scope="module")
def specs() -> dict[str, OpenAPI]:
    return {
        name: OpenAPI.from_file_path(str(SPECS / f"{name}.json"))
        for name in ("github-rest", "cloudflare-workers", "cloudflare-workers-secrets.transcribed")
    }


def spec_errors(spec: OpenAPI, response: httpx.Response, server: tuple[str, str, str]) -> list:
    """openapi-core's complaints about one real sandbox response."""
    host, sandbox_prefix, spec_prefix = server
    request = response.request
    path = spec_prefix + request.url.path.removeprefix(sandbox_prefix)
    mock_request = MockRequest(host, request.method, path, args=dict(request.url.params))
    mock_response = MockResponse(
        response.content,
        response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )
    return list(spec.iter_response_errors(mock_request, mock_response))


def schema_errors(error: Exception) -> list:
    """The individual JSON-schema failures behind one openapi-core error."""
    return list(getattr(error.__cause__, "schema_errors", []))


def assert_conforms(spec: OpenAPI, response: httpx.Response, server: tuple[str, str, str]) -> None:
    errors = spec_errors(spec, response, server)
    details = [f"{type(e).__name__}: {[s.message[:200] for s in schema_errors(e)]}" for e in errors]
    assert not errors, f"{response.request.method} {response.request.url.path}: {details}"


# -- GitHub ------------------------------------------------------------------------------------


@pytest.fixture
def github_world(control: SandboxControl, gh: httpx.Client) -> Iterator[int]:
    control.github_repo(REPO)
    control.github_pull(
        REPO,
        1,
        head_sha=SHA,
        labels=["api-change"],
        reviews=[{"user": "alice", "state": "APPROVED"}, {"user": "bob", "state": "COMMENTED"}],
    )
    control.github_checks(
        REPO,
        SHA,
        check_runs=[{"name": "test"}, {"name": "lint", "conclusion": "skipped"}],
        statuses=[{"context": "ci", "state": "success", "target_url": "https://ci.example/1"}],
    )
    created = gh.post(f"/repos/{REPO}/deployments", json={"ref": SHA, "required_contexts": []})
    deployment_id = created.json()["id"]
    gh.post(f"/repos/{REPO}/deployments/{deployment_id}/statuses", json={"state": "success"})
    yield deployment_id


GITHUB_READS = [
    "/repos/{repo}/pulls/1",
    "/repos/{repo}/pulls/1/reviews",
    "/repos/{repo}/issues/1/labels",
    "/repos/{repo}/commits/{sha}/check-runs",
    "/repos/{repo}/commits/{sha}/status",
    "/repos/{repo}/branches/main/protection/required_pull_request_reviews",
    "/repos/{repo}/deployments",
    "/repos/{repo}/deployments/{deployment}/statuses",
]


@pytest.mark.parametrize("template", GITHUB_READS)
def test_github_reads_conform(
    specs: dict[str, OpenAPI], gh: httpx.Client, github_world: int, template: str
) -> None:
    path = template.format(repo=REPO, sha=SHA, deployment=github_world)
    response = gh.get(path)
    assert response.status_code == 200
    assert_conforms(specs["github-rest"], response, GITHUB)


def test_github_writes_conform(
    specs: dict[str, OpenAPI], gh: httpx.Client, github_world: int
) -> None:
    created = gh.post(
        f"/repos/{REPO}/deployments",
        json={"ref": SHA, "auto_merge": False, "required_contexts": [], "payload": {"v": 1}},
    )
    assert created.status_code == 201
    assert_conforms(specs["github-rest"], created, GITHUB)
    status = gh.post(
        f"/repos/{REPO}/deployments/{created.json()['id']}/statuses",
        json={"state": "in_progress", "log_url": "https://ci.example/2", "description": "going"},
    )
    assert status.status_code == 201
    assert_conforms(specs["github-rest"], status, GITHUB)


def test_github_errors_conform(
    specs: dict[str, OpenAPI], gh: httpx.Client, github_world: int
) -> None:
    missing = gh.get(f"/repos/{REPO}/pulls/404")
    assert missing.status_code == 404
    assert_conforms(specs["github-rest"], missing, GITHUB)
    invalid = gh.post(f"/repos/{REPO}/deployments/{github_world}/statuses", json={"state": "?"})
    assert invalid.status_code == 422
    assert_conforms(specs["github-rest"], invalid, GITHUB)


# -- Cloudflare --------------------------------------------------------------------------------


@pytest.fixture
def cloudflare_world(control: SandboxControl) -> Iterator[str]:
    control.cf_script(ACCOUNT, SCRIPT, secrets=["SIGNING_KEY"])
    yield control.cf_upload_version(ACCOUNT, SCRIPT, message="ci build", token=CF_TOKEN)


def upload_files(message: str = "hotfix") -> dict[str, Any]:
    metadata = {"main_module": "index.js", "annotations": {"workers/message": message}}
    return {
        "metadata": (None, json.dumps(metadata), "application/json"),
        "index.js": ("index.js", b"export default {}", "application/javascript+module"),
    }


@pytest.mark.parametrize(
    "suffix",
    [
        "",
        "/{s}/versions",
        "/{s}/versions?page=1&per_page=1",
        "/{s}/versions/{v}",
        "/{s}/deployments",
    ],
)
def test_cloudflare_reads_conform(
    specs: dict[str, OpenAPI], cf: httpx.Client, cloudflare_world: str, suffix: str
) -> None:
    path = f"/accounts/{ACCOUNT}/workers/scripts" + suffix.format(s=SCRIPT, v=cloudflare_world)
    response = cf.get(path)
    assert response.status_code == 200
    assert_conforms(specs["cloudflare-workers"], response, CLOUDFLARE)


def test_cloudflare_writes_conform(
    specs: dict[str, OpenAPI], cf: httpx.Client, cloudflare_world: str
) -> None:
    spec = specs["cloudflare-workers"]
    uploaded = cf.post(script_path("/versions"), files=upload_files())
    assert uploaded.status_code == 200
    assert_conforms(spec, uploaded, CLOUDFLARE)
    deployed = deploy(cf, {cloudflare_world: 30, uploaded.json()["result"]["id"]: 70}, "canary")
    assert deployed.status_code == 200
    assert_conforms(spec, deployed, CLOUDFLARE)
    put = cf.put(script_path(), files=upload_files())
    assert put.status_code == 200
    assert_conforms(spec, put, CLOUDFLARE)


def test_cloudflare_secrets_conform(
    specs: dict[str, OpenAPI], cf: httpx.Client, cloudflare_world: str
) -> None:
    spec = specs["cloudflare-workers-secrets.transcribed"]
    listed = cf.get(script_path("/secrets"))
    assert_conforms(spec, listed, CLOUDFLARE)
    deploy(cf, {cloudflare_world: 100})  # a secret edit needs the latest version fully live
    put = cf.put(script_path("/secrets"), json={"name": "API", "text": "x", "type": "secret_text"})
    assert put.status_code == 200
    assert_conforms(spec, put, CLOUDFLARE)
    ghost = cf.get(f"/accounts/{ACCOUNT}/workers/scripts/ghost/secrets")
    assert ghost.status_code == 404
    assert_conforms(spec, ghost, CLOUDFLARE)  # this file's 4XX is the plain failure envelope


def test_cloudflare_error_bodies_match_the_common_failure_envelope(
    specs: dict[str, OpenAPI], cf: httpx.Client, cloudflare_world: str
) -> None:
    common = json.loads((SPECS / "cloudflare-common-envelope.json").read_text())
    failure = {**common["components"]["schemas"]["api-response-common-failure"]}
    failure["components"] = common["components"]  # so its $refs resolve
    validator = OAS30Validator(failure)
    errors = [
        cf.get(f"/accounts/{ACCOUNT}/workers/scripts/ghost/versions"),
        cf.post(script_path("/deployments"), json={"strategy": "immediate", "versions": []}),
        cf.post(script_path("/versions"), files={"metadata": (None, "{}", "application/json")}),
    ]
    for response in errors:
        assert response.status_code in (400, 404)
        validator.validate(response.json())
        # The documented exception: the per-operation 4XX schema cannot be satisfied at all.
        assert spec_errors(specs["cloudflare-workers"], response, CLOUDFLARE)


def test_zero_percent_versions_are_the_one_documented_schema_deviation(
    specs: dict[str, OpenAPI], cf: httpx.Client, cloudflare_world: str
) -> None:
    listed = cf.get(script_path("/versions")).json()["result"]["items"]
    old = listed[-1]["id"]
    zero = deploy(cf, {cloudflare_world: 0, old: 100})
    assert zero.status_code == 200
    errors = spec_errors(specs["cloudflare-workers"], zero, CLOUDFLARE)
    assert errors, "the 2024 schema's `minimum: 0.01` should reject a 0% version"
    not_zero = deploy(cf, {cloudflare_world: 1, old: 99})
    assert_conforms(specs["cloudflare-workers"], not_zero, CLOUDFLARE)


def test_in_progress_check_runs_are_the_documented_github_schema_deviation(
    specs: dict[str, OpenAPI], control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_checks(REPO, SHA, check_runs=[{"name": "lint", "status": "in_progress"}])
    response = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs")
    assert response.json()["check_runs"][0]["conclusion"] is None  # as GitHub sends it
    (error,) = spec_errors(specs["github-rest"], response, GITHUB)
    (cause,) = schema_errors(error)
    assert cause.message.startswith("None is not one of")
