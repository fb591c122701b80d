"""Auth on every provider call, and a request log that never holds a credential or secret."""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.control import SandboxControl
from sandbox.server import start_sandbox
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, GH_TOKEN, REPO, SCRIPT


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "token wrong-token", "Bearer"])
def test_github_rejects_missing_or_wrong_tokens(
    sandbox_url: str, control: SandboxControl, header: str | None
) -> None:
    control.github_repo(REPO)
    headers = {"Authorization": header} if header is not None else {}
    answer = httpx.get(f"{sandbox_url}/github/repos/{REPO}/rules/branches/main", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["message"] in ("Bad credentials", "Requires authentication")
    graphql = httpx.post(f"{sandbox_url}/github/graphql", headers=headers, json={"query": "{}"})
    assert graphql.status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "token", "TOKEN"])
def test_github_accepts_the_token_scheme_as_well_as_bearer(
    sandbox_url: str, control: SandboxControl, scheme: str
) -> None:
    control.github_repo(REPO)
    headers = {"Authorization": f"{scheme} {GH_TOKEN}"}
    answer = httpx.get(f"{sandbox_url}/github/repos/{REPO}/rules/branches/main", headers=headers)
    assert answer.status_code == 200, answer.text


def test_cloudflare_rejects_wrong_tokens_with_code_10000(
    sandbox_url: str, control: SandboxControl
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    answer = httpx.get(
        f"{sandbox_url}/cloudflare/client/v4/accounts/{ACCOUNT}/workers/scripts",
        headers={"Authorization": "Bearer nope"},
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "success": False,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
        "result": None,
    }


def test_tokens_are_per_provider(sandbox_url: str, control: SandboxControl) -> None:
    control.github_repo(REPO)
    swapped = httpx.get(
        f"{sandbox_url}/github/repos/{REPO}/rules/branches/main",
        headers={"Authorization": f"Bearer {CF_TOKEN}"},
    )
    assert swapped.status_code == 401


def test_any_token_is_accepted_when_none_is_configured() -> None:
    with start_sandbox() as open_sandbox, SandboxControl(open_sandbox.url) as ctl:
        ctl.github_repo(REPO)
        url = f"{open_sandbox.url}/github/repos/{REPO}/rules/branches/main"
        assert httpx.get(url, headers={"Authorization": "Bearer anything"}).status_code == 200
        assert httpx.get(url).status_code == 401


def test_seeded_tokens_replace_the_open_policy() -> None:
    with start_sandbox() as open_sandbox, SandboxControl(open_sandbox.url) as ctl:
        ctl.seed({"tokens": {"github": "seeded"}, "github": {"repos": [{"repo": REPO}]}})
        url = f"{open_sandbox.url}/github/repos/{REPO}/rules/branches/main"
        assert httpx.get(url, headers={"Authorization": "Bearer other"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer seeded"}).status_code == 200


def test_request_log_redacts_credentials_and_secret_values(
    control: SandboxControl, gh: httpx.Client, cf: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.cf_script(ACCOUNT, SCRIPT)
    gh.get(f"/repos/{REPO}/pulls/1", params={"per_page": "5"})
    cf.put(
        f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/secrets",
        json={"name": "SIGNING_KEY", "text": "top-secret-value", "type": "secret_text"},
    )
    control.cf_upload_version(ACCOUNT, SCRIPT, message="ci", token=CF_TOKEN)
    everything = json.dumps(control.requests())
    for secret in (GH_TOKEN, CF_TOKEN, "top-secret-value"):
        assert secret not in everything

    (github_entry,) = control.requests("github")
    assert github_entry["path"] == f"/repos/{REPO}/pulls/1"
    assert github_entry["query"] == {"per_page": "5"}
    assert github_entry["status"] == 404 and github_entry["fault"] is None
    assert github_entry["headers"]["authorization"] == "[redacted]"
    secret_put, upload = control.requests("cloudflare")
    assert secret_put["body"] == {
        "name": "SIGNING_KEY",
        "text": "[redacted]",
        "type": "secret_text",
    }
    assert upload["path"] == f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/versions"
    assert upload["body"]["metadata"]["main_module"] == "index.js"
    assert [p["name"] for p in upload["body"]["parts"]] == ["index.js"]


def test_reset_clears_state_log_and_faults(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    control.add_fault("github", "slow", delay_s=0.01)
    gh.get(f"/repos/{REPO}/rules/branches/main")
    control.reset()
    assert control.requests() == [] and control.faults() == []
    assert gh.get(f"/repos/{REPO}/rules/branches/main").status_code == 404
