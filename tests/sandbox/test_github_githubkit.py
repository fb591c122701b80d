"""The sandbox's GitHub driven by githubkit, whose pydantic models follow GitHub's own REST
description strictly: any answer they reject (a required field missing, a wrong type) fails here.

It covers every GitHub REST call the orchestrator makes. githubkit sends `Authorization: token …`
for a token, so this also proves the sandbox takes that scheme as GitHub does.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from sandbox.control import SandboxControl
from tests.sandbox.helpers import GH_TOKEN, REPO, SHA

githubkit = pytest.importorskip("githubkit")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from githubkit import GitHub, TokenAuthStrategy

OWNER, NAME = REPO.split("/")
API_VERSION = "2022-11-28"  # what clients/_github.py sends


@pytest.fixture
def kit(sandbox_url: str) -> Iterator[object]:
    with GitHub(TokenAuthStrategy(GH_TOKEN), base_url=f"{sandbox_url}/github/") as gh:
        yield gh.rest(API_VERSION)


@pytest.fixture
def world(control: SandboxControl) -> dict[str, object]:
    control.github_repo(
        REPO,
        via="both",
        required_checks=["lint", "test", {"context": "build", "app_id": 15368}],
        dismiss_stale_reviews=True,
        require_code_owner_reviews=True,
        codeowners="* @reviewer-1\n/src/crypto/ @acme/security\n",
        teams={"acme/security": ["sec-lead"]},
        collaborators={"maintainer": "maintain", "reader": "read"},
    )
    control.github_pull(
        REPO,
        7,
        head_sha=SHA,
        merge_commit_sha=SHA,
        labels=["api-change", "secret-change"],
        files=["src/index.ts", "src/crypto/sign.ts"],
        body="Secrets: SIGNING_KEY",
        reviews=[
            {"user": "reviewer-1", "state": "APPROVED", "commit_id": SHA},
            {"user": "reader", "state": "COMMENTED", "commit_id": SHA, "permission": "read"},
        ],
    )
    control.github_checks(
        REPO,
        SHA,
        check_runs=[{"name": "lint"}, {"name": "test", "status": "in_progress"}, {"name": "build"}],
        statuses=[{"context": "ci/legacy", "state": "success", "target_url": "https://ci.example"}],
    )
    run = control.github_workflow_run(REPO, SHA)
    return {"run_id": run["id"], "suite": run["check_suite_id"]}


def test_pull_request_reviews_files_and_labels_parse(kit, world) -> None:
    pull = kit.pulls.get(OWNER, NAME, 7).parsed_data
    assert (pull.merged, pull.merge_commit_sha, pull.base.ref) == (True, SHA, "main")
    assert pull.base.repo.default_branch == "main"
    assert [label.name for label in pull.labels] == ["api-change", "secret-change"]
    reviews = kit.pulls.list_reviews(OWNER, NAME, 7).parsed_data
    assert [(r.user.login, r.state, r.commit_id) for r in reviews] == [
        ("reviewer-1", "APPROVED", SHA),
        ("reader", "COMMENTED", SHA),
    ]
    files = kit.pulls.list_files(OWNER, NAME, 7).parsed_data
    assert [f.filename for f in files] == ["src/index.ts", "src/crypto/sign.ts"]
    labels = kit.issues.list_labels_on_issue(OWNER, NAME, 7).parsed_data
    assert [(label.name, label.archived_at) for label in labels] == [
        ("api-change", None),
        ("secret-change", None),
    ]


def test_check_runs_combined_status_and_the_triggering_workflow_run_parse(kit, world) -> None:
    runs = kit.checks.list_for_ref(OWNER, NAME, SHA, filter_="latest").parsed_data
    assert {(r.name, r.status) for r in runs.check_runs} == {
        ("lint", "completed"),
        ("test", "in_progress"),
        ("build", "completed"),
        ("deploy", "in_progress"),
    }
    deploy = next(r for r in runs.check_runs if r.name == "deploy")
    assert deploy.check_suite.id == world["suite"]
    combined = kit.repos.get_combined_status_for_ref(OWNER, NAME, SHA).parsed_data
    assert (combined.state, combined.total_count) == ("success", 1)
    run = kit.actions.get_workflow_run(OWNER, NAME, world["run_id"]).parsed_data
    assert (run.check_suite_id, run.head_sha, run.status) == (world["suite"], SHA, "in_progress")


def test_branch_protection_and_rulesets_parse(kit, world) -> None:
    protection = kit.repos.get_branch_protection(OWNER, NAME, "main").parsed_data
    assert protection.required_pull_request_reviews.dismiss_stale_reviews is True
    checks = kit.repos.get_status_checks_protection(OWNER, NAME, "main").parsed_data
    assert [(c.context, c.app_id) for c in checks.checks] == [
        ("lint", None),
        ("test", None),
        ("build", 15368),
    ]
    reviews = kit.repos.get_pull_request_review_protection(OWNER, NAME, "main").parsed_data
    assert reviews.require_code_owner_reviews is True
    rules = kit.repos.get_branch_rules(OWNER, NAME, "main").parsed_data
    assert {rule.type for rule in rules} == {"pull_request", "required_status_checks"}


def test_permissions_codeowners_and_team_membership_parse(kit, world) -> None:
    for login, permission, role in (
        ("reviewer-1", "write", "write"),
        ("maintainer", "write", "maintain"),
        ("reader", "read", "read"),
        ("stranger", "none", "none"),
    ):
        answer = kit.repos.get_collaborator_permission_level(OWNER, NAME, login).parsed_data
        assert (answer.permission, answer.role_name) == (permission, role)
    content = kit.repos.get_content(OWNER, NAME, ".github/CODEOWNERS", ref="main").parsed_data
    import base64

    assert "@acme/security" in base64.b64decode(content.content).decode()
    member = kit.teams.get_membership_for_user_in_org("acme", "security", "sec-lead").parsed_data
    assert member.state == "active"


def test_deployments_and_statuses_parse(kit, world) -> None:
    created = kit.repos.create_deployment(
        OWNER,
        NAME,
        ref=SHA,
        environment="production",
        auto_merge=False,
        required_contexts=[],
        payload={"version_id": "v1"},
        description="edge",
        production_environment=True,
    ).parsed_data
    listed = kit.repos.list_deployments(OWNER, NAME, sha=SHA).parsed_data
    assert [d.id for d in listed] == [created.id]
    status = kit.repos.create_deployment_status(
        OWNER, NAME, created.id, state="success", description="live"
    ).parsed_data
    statuses = kit.repos.list_deployment_statuses(OWNER, NAME, created.id).parsed_data
    assert [s.id for s in statuses] == [status.id]


def test_review_state_query_through_githubkit_graphql(sandbox_url: str, world) -> None:
    from clients._queries import GITHUB_REVIEW_STATE_QUERY

    with GitHub(TokenAuthStrategy(GH_TOKEN), base_url=f"{sandbox_url}/github/") as gh:
        data = gh.graphql(
            GITHUB_REVIEW_STATE_QUERY,
            variables={"owner": OWNER, "name": NAME, "number": 7, "cursor": None},
        )
        pull = data["repository"]["pullRequest"]
        # reviewer-1 owns src/index.ts, but no one of @acme/security approved src/crypto/sign.ts
        assert pull["reviewDecision"] == "REVIEW_REQUIRED"
        assert pull["reviewThreads"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}
        from githubkit.exception import GraphQLFailed

        with pytest.raises(GraphQLFailed, match="isStale"):
            gh.graphql(
                GITHUB_REVIEW_STATE_QUERY.replace("isOutdated", "isStale"),
                variables={"owner": OWNER, "name": NAME, "number": 7},
            )
