"""GitHub REST behaviour: pull readiness, review rules, CI results, pagination."""

from __future__ import annotations

import httpx
import pytest

from sandbox.control import SandboxControl
from tests.sandbox.helpers import REPO, SHA


def test_ready_pull_reads_back_as_merged_approved_and_green(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.ready_pull(REPO, 12, SHA, labels=["api-change"], body="Adds /verify")

    pull = gh.get(f"/repos/{REPO}/pulls/12").json()
    assert pull["merged"] is True and pull["state"] == "closed"
    assert pull["merge_commit_sha"] == SHA and pull["head"]["sha"] == SHA
    assert pull["base"]["ref"] == "main" and pull["merged_at"]
    assert [label["name"] for label in pull["labels"]] == ["api-change"]
    assert pull["body"] == "Adds /verify"
    reviews = gh.get(f"/repos/{REPO}/pulls/12/reviews").json()
    assert [(r["user"]["login"], r["state"], r["commit_id"]) for r in reviews] == [
        ("reviewer-1", "APPROVED", SHA)
    ]
    runs = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs").json()
    assert runs["total_count"] == 4  # with CI's release job, in progress as it triggers us
    assert {(r["name"], r["status"], r["conclusion"]) for r in runs["check_runs"]} == {
        ("lint", "completed", "success"),
        ("test", "completed", "success"),
        ("build", "completed", "success"),
        ("deploy", "in_progress", None),
    }
    assert all(r["app"]["slug"] == "github-actions" for r in runs["check_runs"])
    labels = gh.get(f"/repos/{REPO}/issues/12/labels").json()
    assert [label["name"] for label in labels] == ["api-change"]


def test_combined_status_is_pending_with_no_statuses(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.ready_pull(REPO, 1, SHA)
    combined = gh.get(f"/repos/{REPO}/commits/{SHA}/status").json()
    assert combined["state"] == "pending"
    assert combined["total_count"] == 0 and combined["statuses"] == []
    assert combined["sha"] == SHA


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["success", "success"], "success"),
        (["success", "pending"], "pending"),
        (["success", "error"], "failure"),
        (["pending", "failure"], "failure"),
    ],
)
def test_combined_status_rolls_up_contexts(
    control: SandboxControl, gh: httpx.Client, states: list[str], expected: str
) -> None:
    statuses = [{"context": f"ci/{i}", "state": s} for i, s in enumerate(states)]
    control.github_checks(REPO, SHA, statuses=statuses)
    combined = gh.get(f"/repos/{REPO}/commits/{SHA}/status").json()
    assert combined["state"] == expected
    assert combined["total_count"] == len(states)


def test_latest_status_per_context_wins(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_checks(
        REPO,
        SHA,
        statuses=[{"context": "ci", "state": "failure"}, {"context": "ci", "state": "success"}],
    )
    combined = gh.get(f"/repos/{REPO}/commits/{SHA}/status").json()
    assert (combined["state"], combined["total_count"]) == ("success", 1)


def test_check_runs_keep_latest_per_name_and_filter(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_checks(
        REPO,
        SHA,
        check_runs=[
            {"name": "test", "conclusion": "failure"},
            {"name": "test", "conclusion": "success"},
            {"name": "deploy-preview", "status": "in_progress"},
        ],
    )
    latest = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs").json()
    assert {(r["name"], r["conclusion"]) for r in latest["check_runs"]} == {
        ("test", "success"),
        ("deploy-preview", None),
    }
    everything = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs", params={"filter": "all"})
    assert everything.json()["total_count"] == 3
    named = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs", params={"check_name": "test"})
    assert named.json()["total_count"] == 1


def test_check_runs_paginate_with_link_header(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_checks(REPO, SHA, check_runs=[{"name": f"job-{i}"} for i in range(5)])
    first = gh.get(f"/repos/{REPO}/commits/{SHA}/check-runs", params={"per_page": 2})
    assert first.json()["total_count"] == 5 and len(first.json()["check_runs"]) == 2
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    names = []
    response = first
    while True:
        names += [r["name"] for r in response.json()["check_runs"]]
        if "next" not in response.links:
            break
        response = gh.get(response.links["next"]["url"])
    assert names == [f"job-{i}" for i in range(5)]


def test_reviews_paginate_in_chronological_order(control: SandboxControl, gh: httpx.Client) -> None:
    reviews = [{"user": f"user-{i}", "state": "COMMENTED"} for i in range(3)]
    control.github_pull(REPO, 5, head_sha=SHA, reviews=reviews)
    page1 = gh.get(f"/repos/{REPO}/pulls/5/reviews", params={"per_page": 2, "page": 1})
    page2 = gh.get(f"/repos/{REPO}/pulls/5/reviews", params={"per_page": 2, "page": 2})
    logins = [r["user"]["login"] for r in page1.json() + page2.json()]
    assert logins == ["user-0", "user-1", "user-2"]
    assert "next" in page1.links and "next" not in page2.links and "prev" in page2.links


@pytest.mark.parametrize("via", ["protection", "both"])
def test_branch_protection_reports_required_reviews(
    control: SandboxControl, gh: httpx.Client, via: str
) -> None:
    control.github_repo(REPO, required_approvals=2, via=via)
    answer = gh.get(f"/repos/{REPO}/branches/main/protection/required_pull_request_reviews")
    assert answer.status_code == 200
    assert answer.json()["required_approving_review_count"] == 2


@pytest.mark.parametrize("via", ["rulesets", "none"])
def test_branch_not_protected_is_404(control: SandboxControl, gh: httpx.Client, via: str) -> None:
    control.github_repo(REPO, via=via)
    answer = gh.get(f"/repos/{REPO}/branches/main/protection/required_pull_request_reviews")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Branch not protected"


def test_rulesets_expose_the_pull_request_rule(control: SandboxControl, gh: httpx.Client) -> None:
    control.github_repo(REPO, required_approvals=2, via="rulesets", thread_resolution=True)
    rules = gh.get(f"/repos/{REPO}/rules/branches/main").json()
    assert [r["type"] for r in rules] == ["pull_request"]
    assert rules[0]["parameters"]["required_approving_review_count"] == 2
    assert rules[0]["parameters"]["required_review_thread_resolution"] is True
    # Other branches and repos without rulesets have no active rules.
    assert gh.get(f"/repos/{REPO}/rules/branches/feature/x").json() == []
    control.github_repo(REPO, via="protection")
    assert gh.get(f"/repos/{REPO}/rules/branches/main").json() == []


def test_unknown_repo_and_pull_are_404_in_githubs_shape(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    for path in (f"/repos/{REPO}/pulls/404", "/repos/acme/nope/pulls/1", "/no/such/route"):
        answer = gh.get(path)
        assert answer.status_code == 404
        assert answer.json()["message"] == "Not Found"
        assert "documentation_url" in answer.json()


def test_api_links_point_back_at_the_sandbox(
    sandbox_url: str, control: SandboxControl, gh: httpx.Client
) -> None:
    control.ready_pull(REPO, 7, SHA)
    pull = gh.get(f"/repos/{REPO}/pulls/7").json()
    assert pull["url"] == f"{sandbox_url}/github/repos/{REPO}/pulls/7"
    assert pull["html_url"] == f"https://github.com/{REPO}/pull/7"
