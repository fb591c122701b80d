from __future__ import annotations

from dataclasses import replace

import pytest

from procedure.checklist import (
    CheckFact,
    PullRequestFacts,
    ReviewFact,
    ThreadFact,
    evaluate_checklist,
    latest_review_by_user,
    named_secrets,
)
from procedure.policy import ChecklistRules

SHA = "a" * 40
RULES = ChecklistRules()


def green_facts(**changes) -> PullRequestFacts:
    base = PullRequestFacts(
        number=7, body="", labels=frozenset(), merged=True, merge_commit_sha=SHA, head_sha="b" * 40,
        reviews=[ReviewFact("ana", "APPROVED")], required_approvals=1,
        requirement_sources=("protection",), review_decision="APPROVED",
        threads=[ThreadFact(True, "src/a.ts")],
        check_runs=[CheckFact("test", "completed", "success"), CheckFact("lint", "completed", "skipped")],
        combined_state="pending", combined_total=0,
    )
    return replace(base, **changes)


def failing_items(facts: PullRequestFacts) -> set[str]:
    return {i.name for i in evaluate_checklist(facts, SHA, RULES).failures}


def test_green_pr_passes_every_item() -> None:
    verdict = evaluate_checklist(green_facts(), SHA, RULES)
    assert verdict.passed, verdict.failures


def test_actions_only_repo_pending_with_zero_statuses_is_not_a_failure() -> None:
    assert failing_items(green_facts(combined_state="pending", combined_total=0)) == set()
    assert failing_items(green_facts(combined_state="pending", combined_total=2)) == {"ci-green"}


@pytest.mark.parametrize(
    ("changes", "item"),
    [
        ({"merged": False}, "merged"),
        ({"merge_commit_sha": "c" * 40}, "merged"),
        ({"reviews": []}, "approved"),
        ({"reviews": [ReviewFact("ana", "APPROVED"), ReviewFact("ana", "DISMISSED")]}, "approved"),
        ({"reviews": [ReviewFact("ana", "APPROVED"), ReviewFact("bo", "CHANGES_REQUESTED")]}, "approved"),
        ({"required_approvals": 2}, "approved"),
        ({"check_runs": [CheckFact("test", "completed", "failure")]}, "ci-green"),
        ({"check_runs": [CheckFact("test", "in_progress", None)]}, "ci-green"),
        ({"check_runs": []}, "ci-green"),
        ({"combined_state": "failure", "combined_total": 1, "failing_statuses": ["ci/legacy"]}, "ci-green"),
        ({"threads": [ThreadFact(False, "src/a.ts")]}, "no-unresolved-comments"),
        ({"labels": frozenset({"api-change"})}, "api-compatibility"),
        ({"labels": frozenset({"secret-change"})}, "secrets-in-place"),
        ({"labels": frozenset({"secret-change"}), "body": "Secrets: SIGNING_KEY",
          "secrets_by_environment": {"production": frozenset()}}, "secrets-in-place"),
    ],
)
def test_each_item_fails_alone(changes: dict, item: str) -> None:
    assert failing_items(green_facts(**changes)) == {item}


def test_null_review_decision_is_not_approval_but_real_approvals_count() -> None:
    assert failing_items(green_facts(review_decision=None, reviews=[])) == {"approved"}
    assert failing_items(green_facts(review_decision=None)) == set()


def test_commented_review_keeps_approval() -> None:
    standing = latest_review_by_user([ReviewFact("ana", "APPROVED"), ReviewFact("ana", "COMMENTED")])
    assert standing == {"ana": "APPROVED"}


def test_api_change_with_marker_and_secrets_present_pass() -> None:
    facts = green_facts(
        labels=frozenset({"api-change", "secret-change"}),
        body="Adds v2.\nMigration note: clients move by March.\n- Secrets: SIGNING_KEY, `API_KEY`",
        secrets_by_environment={"production": frozenset({"SIGNING_KEY", "API_KEY", "X"}),
                                "sandbox": frozenset({"SIGNING_KEY", "API_KEY"})},
    )
    assert evaluate_checklist(facts, SHA, RULES).passed


def test_named_secrets_parsing() -> None:
    assert named_secrets("intro\nSecrets: A, B; C\n", "Secrets:") == ["A", "B", "C"]
    assert named_secrets("nothing here", "Secrets:") == []
