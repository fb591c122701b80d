"""Fault injection: each kind, targeting, counting, and seeded reproducibility."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.control import PlayControlError, SandboxAdminError, SandboxControl
from tests.sandbox.helpers import (
    ACCOUNT,
    CF_TOKEN,
    GH_TOKEN,
    REPO,
    SCRIPT,
    SHA,
    deploy,
    live_versions,
)


def test_status_fault_answers_without_processing(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    control.add_fault("cloudflare", "status", status=503, path_contains="/deployments")
    answer = deploy(cf, {new: 100})
    assert answer.status_code == 503
    assert answer.json()["success"] is False and answer.json()["errors"][0]["code"] == 10002
    control.clear_faults()
    assert new not in live_versions(cf)


def test_rate_limit_sends_retry_after(
    control: SandboxControl, gh: httpx.Client, cf: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.add_fault("*", "rate_limit", retry_after=7)
    limited = gh.get(f"/repos/{REPO}/pulls/1")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "rate limit" in limited.json()["message"]
    cf_limited = cf.get(f"/accounts/{ACCOUNT}/workers/scripts")
    assert cf_limited.status_code == 429 and cf_limited.headers["Retry-After"] == "7"
    assert cf_limited.json()["errors"][0]["code"] == 971


def test_drop_after_commit_changes_state_but_answers_502(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    control.add_fault("cloudflare", "drop_after_commit", method="POST", count=1)
    lost = deploy(cf, {new: 100})
    assert lost.status_code == 502
    assert live_versions(cf) == {new: 100}  # the deployment happened all the same
    logged = control.requests("cloudflare")
    (drop,) = [e for e in logged if e["fault"]]
    assert drop["path"].endswith("/deployments") and drop["status"] == 502
    assert drop["fault"]["kind"] == "drop_after_commit"


def test_slow_delays_then_processes(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    control.ready_pull(REPO, 1, SHA)
    control.add_fault("github", "slow", delay_s=0.3)
    started = time.perf_counter()
    answer = gh.get(f"/repos/{REPO}/pulls/1")
    assert answer.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_count_limits_firing(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    fault = control.add_fault("github", "status", status=500, count=2)
    statuses = [gh.get(f"/repos/{REPO}/rules/branches/main").status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert [f["fired"] for f in control.faults() if f["id"] == fault] == [2]


def test_targeting_by_provider_method_and_path(
    control: SandboxControl, gh: httpx.Client, cf: httpx.Client, worker: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.cf_script(ACCOUNT, SCRIPT)
    control.add_fault("worker", "status", status=503)
    control.add_fault("github", "status", status=502, method="POST")
    control.add_fault("cloudflare", "status", status=500, path_contains="/secrets")
    assert worker.get("/health").status_code == 503
    assert gh.get(f"/repos/{REPO}/rules/branches/main").status_code == 200
    assert gh.post(f"/repos/{REPO}/deployments", json={"ref": SHA}).status_code == 502
    assert cf.get(f"/accounts/{ACCOUNT}/workers/scripts").status_code == 200
    assert cf.get(f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/secrets").status_code == 500
    # The admin API is never faulted.
    assert len(control.faults()) == 3


def test_seeded_probability_is_reproducible(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)

    def pattern() -> list[int]:
        control.clear_faults()
        control.add_fault("github", "status", probability=0.5, seed=42)
        return [gh.get(f"/repos/{REPO}/rules/branches/main").status_code for _ in range(12)]

    first = pattern()
    assert set(first) == {200, 503}
    assert pattern() == first


def test_bad_fault_specs_are_refused(sandbox_url: str, control: SandboxControl) -> None:
    for body in (
        {"target": "gitlab", "kind": "status"},
        {"target": "github", "kind": "explode"},
        {"target": "github", "kind": "status", "probability": 2},
    ):
        answer = httpx.post(f"{sandbox_url}/_sandbox/faults", json=body)
        assert answer.status_code == 400 and "error" in answer.json()


def test_timeout_holds_the_request_unprocessed_until_the_client_gives_up(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    control.add_fault("cloudflare", "timeout", path_contains="/deployments", count=1)
    started = time.perf_counter()
    try:
        cf.post(
            f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/deployments",
            json={"strategy": "percentage", "versions": [{"version_id": new, "percentage": 100}]},
            timeout=0.3,
        )
    except httpx.ReadTimeout:
        pass
    else:
        raise AssertionError("the hung provider answered")
    assert time.perf_counter() - started < 5  # the client's timeout, not the fault's 30 s
    assert new not in live_versions(cf)  # nothing was processed
    faulted: list[dict[str, object]] = []
    for _ in range(50):  # the sandbox logs the request once it sees the client leave
        faulted = [e for e in control.requests("cloudflare") if e["fault"]]
        if faulted:
            break
        time.sleep(0.05)
    (entry,) = faulted
    assert entry["fault"] == {"id": entry["fault"]["id"], "kind": "timeout"}  # type: ignore[index]
    assert entry["status"] == 499


def test_timeout_shorter_than_the_client_s_answers_a_gateway_504(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.add_fault("github", "timeout", delay_s=0.2, count=1)
    started = time.perf_counter()
    answer = gh.get(f"/repos/{REPO}/rules/branches/main")
    assert answer.status_code == 504 and time.perf_counter() - started >= 0.2
    assert gh.get(f"/repos/{REPO}/rules/branches/main").status_code == 200


def test_echo_credentials_quotes_the_callers_authorization(
    control: SandboxControl, gh: httpx.Client, cf: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.add_fault("github", "echo_credentials", count=1)
    echoed = gh.get(f"/repos/{REPO}/pulls/1")
    assert echoed.status_code == 401
    assert f"Authorization: Bearer {GH_TOKEN}" in echoed.json()["message"]
    assert gh.get(f"/repos/{REPO}/pulls/1").status_code != 401  # count=1: only the first
    control.add_fault("cloudflare", "echo_credentials", status=500, echo_body="html", pad=290)
    page = cf.get(f"/accounts/{ACCOUNT}/workers/scripts")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert text.index(f"Authorization: Bearer {CF_TOKEN}") > 290
    assert control.faults()[-1]["echo_body"] == "html"
    # both credentials are remembered, and a reset does not forget them
    control.reset()
    assert {GH_TOKEN, CF_TOKEN} <= set(control.credentials_seen())


def test_echo_credentials_quotes_the_google_grant_assertion(control: SandboxControl) -> None:
    account = control.play_service_account()
    control.add_fault("google-oauth", "echo_credentials", status=400)
    with pytest.raises(PlayControlError) as refused:
        control.play_token(account)
    assert "assertion=eyJ" in str(refused.value)
    assertion = next(c for c in control.credentials_seen() if c.startswith("eyJ"))
    assert assertion in str(refused.value)


@pytest.mark.parametrize(
    ("doc", "complaint"),
    [
        ({"echo_body": "xml"}, "echo_body"),
        ({"pad": -1}, "pad"),
        ({"status": 302}, "status"),
    ],
)
def test_echo_credentials_refuses_a_bad_spec(
    control: SandboxControl, doc: dict[str, object], complaint: str
) -> None:
    with pytest.raises(SandboxAdminError, match=complaint):
        control.add_fault("github", "echo_credentials", **doc)
