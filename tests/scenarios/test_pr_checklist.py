"""pr-checklist on a real Prefect server against the sandbox: the release's Pre-Deploy Checklist
on an open PR, posted as one check run on its head commit."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from prefect.states import State

from procedure.pr_checklist_request import CHECK_NAME
from sandbox.control import CHECKS
from tests.scenarios.conftest import Stack

pytestmark = [pytest.mark.scenario]
SERVICE, PR = "verifier", 77


def run_checklist(**params: Any) -> State:
    from flows.pr_checklist import pr_checklist

    return asyncio.run(pr_checklist(**params, return_state=True))  # type: ignore[call-overload]


def open_pull(
    stack: Stack, *, approved: bool = True, conclusion: str = "success"
) -> tuple[str, str, int]:
    """An open PR with green CI (unless told), its pr-checklist CI job in progress."""
    repo = stack.policy.service(SERVICE).repo
    sha = secrets.token_hex(20)
    stack.control.github_checks(
        repo,
        sha,
        check_runs=[{"name": n, "conclusion": "success"} for n in CHECKS[:-1]]
        + [{"name": CHECKS[-1], "conclusion": conclusion}],
    )
    job = stack.control.github_workflow_run(
        repo, sha, name="pr-checklist", jobs=[{"name": "pr-checklist", "status": "in_progress"}]
    )
    reviews = [{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}] if approved else []
    stack.control.github_pull(repo, PR, head_sha=sha, merged=False, reviews=reviews)
    return repo, sha, int(job["id"])


def posted(stack: Stack, repo: str) -> list[dict[str, Any]]:
    return [r for r in stack.control.github_created_check_runs(repo) if r["name"] == CHECK_NAME]


def test_green_pr_gets_a_success_check_run_with_every_item(stack: Stack) -> None:
    repo, sha, job = open_pull(stack)
    state = run_checklist(service=SERVICE, pr_number=PR, ci_run_id=job)
    assert state.is_completed(), state.message
    [run] = posted(stack, repo)
    assert (run["head_sha"], run["status"], run["conclusion"]) == (sha, "completed", "success")
    assert run["external_id"] == f"pr-checklist:{SERVICE}:{PR}"
    summary = run["output"]["summary"]
    for item in (
        "merged",
        "approved",
        "ci-green",
        "no-unresolved-comments",
        "api-compatibility",
        "secrets-in-place",
    ):
        assert f"| {item} |" in summary, item
    assert "| merged | n/a |" in summary  # an open PR: checked when it is released


def test_missing_approval_and_failing_ci_fail_naming_the_items(stack: Stack) -> None:
    repo, _, job = open_pull(stack, approved=False, conclusion="failure")
    state = run_checklist(service=SERVICE, pr_number=PR, ci_run_id=job)
    assert state.is_completed(), state.message  # the check run carries the verdict
    [run] = posted(stack, repo)
    assert run["conclusion"] == "failure"
    assert "approved" in run["output"]["title"] and "ci-green" in run["output"]["title"]
    assert "| approved | FAIL |" in run["output"]["summary"]
    assert f"{CHECKS[-1]}=failure" in run["output"]["summary"]


def test_re_run_updates_the_same_check_run(stack: Stack) -> None:
    repo, sha, job = open_pull(stack, approved=False)
    assert run_checklist(service=SERVICE, pr_number=PR, ci_run_id=job).is_completed()
    [first] = posted(stack, repo)
    assert first["conclusion"] == "failure"
    # the approval arrives (pull_request_review event): CI runs the checklist again
    stack.control.github_pull(
        repo,
        PR,
        head_sha=sha,
        merged=False,
        reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
    )
    assert run_checklist(service=SERVICE, pr_number=PR, head_sha=sha, ci_run_id=job).is_completed()
    [second] = posted(stack, repo)
    assert (second["id"], second["conclusion"]) == (first["id"], "success")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": SERVICE, "pr_number": 0}, "pr_number"),
        ({"service": SERVICE, "pr_number": PR, "head_sha": "abc"}, "head_sha"),
        ({"service": "no-such-service", "pr_number": PR}, "service"),
    ],
)
def test_bad_parameters_are_refused_before_any_github_call(
    stack: Stack, params: dict[str, Any], field: str
) -> None:
    stack.control.clear_requests()
    state = run_checklist(**params)
    assert state.is_failed()
    assert field in (state.message or "")
    assert stack.control.requests("github") == []
