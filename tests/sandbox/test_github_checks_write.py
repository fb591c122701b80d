"""The Checks API writes (create / update a check run), as strict as GitHub: only an app
installation token (`ghs_…`) may write, a completed run needs a conclusion, bad bodies are 422 —
and githubkit's models (GitHub's own REST description) accept every answer."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx
import pytest

from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from tests.sandbox.helpers import REPO, SHA

githubkit = pytest.importorskip("githubkit")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from githubkit import GitHub, TokenAuthStrategy

OWNER, NAME = REPO.split("/")
APP_TOKEN = "ghs_installationTOKEN0123456789"
NAME_ = "deployment procedure / pre-deploy checklist"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    # No GitHub token configured: any token authenticates, so its kind alone decides writes.
    with start_sandbox(tokens={}) as running:
        yield running


@pytest.fixture
def world(control: SandboxControl) -> None:
    control.github_repo(REPO)
    control.github_pull(REPO, 7, head_sha=SHA, merged=False)
    control.github_checks(REPO, SHA, check_runs=[{"name": "test"}])


def _client(url: str, token: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    return httpx.Client(base_url=f"{url}/github/repos/{REPO}", headers=headers)


def test_only_a_github_app_may_write_check_runs(sandbox_url: str, world: None) -> None:
    for token in ("ghp_personal0123", "github_pat_11AAA", "gho_oauth0123", "plain-token"):
        with _client(sandbox_url, token) as gh:
            answer = gh.post("/check-runs", json={"name": "x", "head_sha": SHA})
        assert answer.status_code == 403, token
        assert answer.json()["message"] == "You must authenticate via a GitHub App."


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"head_sha": SHA}, "name"),
        ({"name": "x"}, "head_sha"),
        ({"name": "x", "head_sha": SHA, "status": "completed"}, "conclusion"),
        ({"name": "x", "head_sha": SHA, "status": "done"}, "status"),
        ({"name": "x", "head_sha": SHA, "conclusion": "green"}, "conclusion"),
        ({"name": "x", "head_sha": SHA, "output": {"title": "t"}}, "summary"),
        (
            {"name": "x", "head_sha": SHA, "output": {"title": "t", "summary": "s" * 65536}},
            "summary",
        ),
        ({"name": "x", "head_sha": "f" * 40}, "No commit found"),
    ],
)
def test_validation_errors_are_422(sandbox_url: str, world: None, body: dict, says: str) -> None:
    with _client(sandbox_url, APP_TOKEN) as gh:
        answer = gh.post("/check-runs", json=body)
    assert answer.status_code == 422
    assert says in answer.json()["message"]


def test_create_update_and_list_with_githubkit(
    sandbox_url: str, world: None, control: SandboxControl
) -> None:
    with GitHub(TokenAuthStrategy(APP_TOKEN), base_url=f"{sandbox_url}/github/") as kit:
        rest = kit.rest("2022-11-28")
        created = rest.checks.create(
            OWNER,
            NAME,
            data={
                "name": NAME_,
                "head_sha": SHA,
                "status": "in_progress",
                "external_id": "pr-7",
                "output": {"title": "checking", "summary": "reading the PR"},
            },
        ).parsed_data
        assert (created.status, created.conclusion, created.app.slug) == (
            "in_progress",
            None,
            "github-actions",
        )
        updated = rest.checks.update(
            OWNER,
            NAME,
            created.id,
            data={"conclusion": "failure", "output": {"title": "1 failed", "summary": "| a |"}},
        ).parsed_data
        assert (updated.id, updated.status, updated.conclusion) == (
            created.id,
            "completed",
            "failure",
        )
        assert updated.completed_at is not None
        listed = rest.checks.list_for_ref(OWNER, NAME, SHA, check_name=NAME_).parsed_data
        assert [(r.id, r.external_id, r.output.summary) for r in listed.check_runs] == [
            (created.id, "pr-7", "| a |")
        ]
        everything = rest.checks.list_for_ref(OWNER, NAME, SHA).parsed_data
        assert {r.name for r in everything.check_runs} == {"test", NAME_}
    recorded = control.github_created_check_runs(REPO)
    assert [(r["id"], r["conclusion"], r["output"]["title"]) for r in recorded] == [
        (created.id, "failure", "1 failed")
    ]
    # Re-seeding the CI checks leaves the app's own run alone.
    control.github_checks(REPO, SHA, check_runs=[{"name": "test"}])
    assert len(control.github_created_check_runs(REPO)) == 1


def test_update_unknown_run_is_404_and_pat_is_403(sandbox_url: str, world: None) -> None:
    with _client(sandbox_url, APP_TOKEN) as gh:
        assert gh.patch("/check-runs/999999", json={"status": "queued"}).status_code == 404
        run_id = gh.post("/check-runs", json={"name": "x", "head_sha": SHA}).json()["id"]
    with _client(sandbox_url, "ghp_personal0123") as gh:
        assert gh.patch(f"/check-runs/{run_id}", json={"status": "queued"}).status_code == 403
