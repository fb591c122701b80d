"""The GitHub client's checklist reads against the sandbox: required checks, the triggering
workflow run, reviewer permissions, changed files, CODEOWNERS and team membership."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from clients import GitHubClient, NotFoundError
from clients._github_models import RequiredStatusCheck
from sandbox.control import SandboxControl
from tests.sandbox.helpers import GH_TOKEN, REPO, SHA


def run(sandbox_url: str, call: Callable[[GitHubClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with GitHubClient(f"{sandbox_url}/github", GH_TOKEN) as gh:
            return await call(gh)

    return asyncio.run(go())


@pytest.mark.parametrize("via", ["protection", "rulesets", "both"])
def test_required_status_checks_from_protection_and_rulesets(
    sandbox_url: str, control: SandboxControl, via: str
) -> None:
    control.github_repo(REPO, via=via, required_checks=["lint", {"context": "build", "app_id": 7}])
    found = run(sandbox_url, lambda gh: gh.required_status_checks(REPO, "main"))
    assert found.checks == (
        RequiredStatusCheck(context="lint", app_id=None),
        RequiredStatusCheck(context="build", app_id=7),
    )
    assert (
        found.sources
        == {
            "protection": ("protection",),
            "rulesets": ("rulesets",),
            "both": ("protection", "rulesets"),
        }[via]
    )
    other = run(sandbox_url, lambda gh: gh.required_status_checks(REPO, "feature/x"))
    assert (other.checks, other.sources) == ((), ())


def test_no_required_checks_reads_as_none(sandbox_url: str, control: SandboxControl) -> None:
    control.github_repo(REPO)
    found = run(sandbox_url, lambda gh: gh.required_status_checks(REPO, "main"))
    assert (found.checks, found.sources) == ((), ())


def test_the_triggering_run_names_the_check_suite_of_its_jobs(
    sandbox_url: str, control: SandboxControl
) -> None:
    pull = control.ready_pull(REPO, 4, SHA)
    workflow = run(sandbox_url, lambda gh: gh.workflow_run(REPO, pull["ci_run_id"]))
    runs = run(sandbox_url, lambda gh: gh.check_runs(REPO, SHA))
    deploy = next(r for r in runs if r.name == "deploy")
    assert (deploy.status, deploy.check_suite_id) == ("in_progress", workflow.check_suite_id)
    assert all(r.check_suite_id != workflow.check_suite_id for r in runs if r.name != "deploy")
    assert deploy.app_id == 15368  # GitHub Actions
    with pytest.raises(NotFoundError):
        run(sandbox_url, lambda gh: gh.workflow_run(REPO, 999999))


def test_permissions_files_codeowners_and_teams(sandbox_url: str, control: SandboxControl) -> None:
    control.github_repo(
        REPO,
        collaborators={"boss": "admin", "lead": "maintain", "bot": "triage"},
        codeowners="* @boss\n",
        teams={"acme/security": ["lead"]},
        dismiss_stale_reviews=True,
        require_code_owner_reviews=True,
    )
    control.github_pull(REPO, 5, head_sha=SHA, files=["a.ts", "src/b.ts"])
    permissions = {
        login: run(sandbox_url, lambda gh, login=login: gh.collaborator_permission(REPO, login))
        for login in ("boss", "lead", "bot", "stranger")
    }
    assert permissions == {"boss": "admin", "lead": "write", "bot": "read", "stranger": "none"}
    assert run(sandbox_url, lambda gh: gh.pull_files(REPO, 5)) == ["a.ts", "src/b.ts"]
    text = run(sandbox_url, lambda gh: gh.file_text(REPO, ".github/CODEOWNERS", "main"))
    assert text == "* @boss\n"
    assert run(sandbox_url, lambda gh: gh.file_text(REPO, "CODEOWNERS", "main")) is None
    assert run(sandbox_url, lambda gh: gh.team_member("acme", "security", "lead")) is True
    assert run(sandbox_url, lambda gh: gh.team_member("acme", "security", "boss")) is False
    requirement = run(sandbox_url, lambda gh: gh.review_requirement(REPO, "main"))
    assert requirement.dismiss_stale_reviews and requirement.require_code_owner_reviews
    pull = run(sandbox_url, lambda gh: gh.get_pull(REPO, 5))
    assert (pull.base_ref, pull.default_branch) == ("main", "main")


def test_review_decision_counts_as_github_does(sandbox_url: str, control: SandboxControl) -> None:
    def decision() -> str | None:
        return run(sandbox_url, lambda gh: gh.review_state(REPO, 6)).review_decision

    control.github_repo(REPO, dismiss_stale_reviews=True)
    approve = {"user": "ana", "state": "APPROVED", "commit_id": SHA}
    control.github_pull(REPO, 6, head_sha=SHA, reviews=[approve])
    assert decision() == "APPROVED"
    control.github_pull(REPO, 6, head_sha=SHA, reviews=[{**approve, "permission": "read"}])
    assert decision() == "REVIEW_REQUIRED"
    control.github_pull(
        REPO, 6, head_sha=SHA, reviews=[{**approve, "permission": "write", "commit_id": "f" * 40}]
    )
    assert decision() == "REVIEW_REQUIRED"  # stale, and the branch dismisses stale reviews
    control.github_repo(REPO, require_code_owner_reviews=True, codeowners="/src/ @sec\n")
    control.github_pull(REPO, 6, head_sha=SHA, files=["src/a.ts"], reviews=[approve])
    assert decision() == "REVIEW_REQUIRED"
    control.github_pull(REPO, 6, head_sha=SHA, files=["README.md"], reviews=[approve])
    assert decision() == "APPROVED"  # the changed file has no code owner
