"""GitHub deployments: creation rules (status contexts), statuses and their validation."""

from __future__ import annotations

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import REPO, SHA

RECORD = {"auto_merge": False, "required_contexts": []}


def create(gh: httpx.Client, **body: object) -> httpx.Response:
    return gh.post(f"/repos/{REPO}/deployments", json={"ref": SHA, **body})


def test_record_a_deploy_and_its_statuses(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    created = create(gh, environment="production", description="v1", **RECORD)
    assert created.status_code == 201
    deployment = created.json()
    assert (deployment["sha"], deployment["environment"], deployment["task"]) == (
        SHA,
        "production",
        "deploy",
    )
    path = f"/repos/{REPO}/deployments/{deployment['id']}/statuses"
    for state in ("in_progress", "success"):
        answer = gh.post(path, json={"state": state, "log_url": "https://ci.example/run/1"})
        assert answer.status_code == 201
        assert answer.json()["state"] == state
        assert answer.json()["target_url"] == "https://ci.example/run/1"
    assert [s["state"] for s in gh.get(path).json()] == ["success", "in_progress"]  # newest first
    recorded = control.github_deployments(REPO)
    assert recorded[0]["auto_merge"] is False and recorded[0]["required_contexts"] == []


def test_list_filters_and_orders_newest_first(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    first = create(gh, environment="staging", **RECORD).json()["id"]
    second = create(gh, environment="production", **RECORD).json()["id"]
    third = create(gh, ref="f" * 40, environment="production", **RECORD).json()["id"]
    assert [d["id"] for d in gh.get(f"/repos/{REPO}/deployments").json()] == [third, second, first]
    filtered = gh.get(
        f"/repos/{REPO}/deployments", params={"sha": SHA, "environment": "production"}
    )
    assert [d["id"] for d in filtered.json()] == [second]


def test_omitted_contexts_must_all_be_green(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_checks(
        REPO,
        SHA,
        statuses=[{"context": "ci", "state": "success"}, {"context": "sec", "state": "pending"}],
    )
    refused = create(gh)
    assert refused.status_code == 409
    assert refused.json()["message"] == f"Conflict: Commit status checks failed for {SHA}."
    assert refused.json()["errors"][0]["contexts"] == [{"context": "sec", "state": "pending"}]
    # Naming only the green context, or none at all, records the deployment.
    assert create(gh, required_contexts=["ci"]).status_code == 201
    assert create(gh, required_contexts=[]).status_code == 201


def test_a_required_context_that_never_reported_blocks(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    refused = create(gh, required_contexts=["ci/required"])
    assert refused.status_code == 409
    # With no statuses at all there is nothing to verify: GitHub creates the deployment.
    assert create(gh).status_code == 201


def test_status_validation(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    deployment_id = create(gh, **RECORD).json()["id"]
    path = f"/repos/{REPO}/deployments/{deployment_id}/statuses"
    bad_state = gh.post(path, json={"state": "done"})
    assert bad_state.status_code == 422
    assert bad_state.json()["errors"][0]["field"] == "state"
    too_long = gh.post(path, json={"state": "success", "description": "x" * 141})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "description"
    assert gh.post(path, json={"state": "success", "description": "x" * 140}).status_code == 201
    assert (
        gh.post(f"/repos/{REPO}/deployments/999999/statuses", json={"state": "success"}).status_code
        == 404
    )


def test_missing_ref_is_a_validation_error(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO)
    answer = gh.post(f"/repos/{REPO}/deployments", json={"environment": "production"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0] == {
        "resource": "Deployment",
        "code": "missing_field",
        "field": "ref",
    }


def test_success_marks_earlier_non_production_deploys_inactive(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    old = create(gh, environment="staging", **RECORD).json()["id"]
    new = create(gh, environment="staging", **RECORD).json()["id"]
    gh.post(f"/repos/{REPO}/deployments/{old}/statuses", json={"state": "success"})
    gh.post(f"/repos/{REPO}/deployments/{new}/statuses", json={"state": "success"})
    old_states = [s["state"] for s in gh.get(f"/repos/{REPO}/deployments/{old}/statuses").json()]
    assert old_states == ["inactive", "success"]
