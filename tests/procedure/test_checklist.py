from __future__ import annotations

from dataclasses import replace

import pytest

from procedure.checklist import (
    CheckFact,
    PullRequestFacts,
    RequiredCheck,
    ReviewFact,
    StatusFact,
    ThreadFact,
    check_ci,
    evaluate_checklist,
    latest_review_by_user,
    named_secrets,
)
from procedure.codeowners import owned_files, parse_codeowners
from procedure.policy import ChecklistRules

SHA = "a" * 40
RULES = ChecklistRules()


def green_facts(**changes) -> PullRequestFacts:
    base = PullRequestFacts(
        number=7,
        body="",
        labels=frozenset(),
        merged=True,
        merge_commit_sha=SHA,
        head_sha="b" * 40,
        reviews=[ReviewFact("ana", "APPROVED", "b" * 40, "write")],
        required_approvals=1,
        requirement_sources=("protection",),
        review_decision="APPROVED",
        threads=[ThreadFact(True, "src/a.ts")],
        check_runs=[
            CheckFact("test", "completed", "success"),
            CheckFact("lint", "completed", "skipped"),
        ],
        combined_state="pending",
        combined_total=0,
        base_ref="main",
        release_branch="main",
    )
    return replace(base, **changes)


def failing_items(facts: PullRequestFacts) -> set[str]:
    return {i.name for i in evaluate_checklist(facts, SHA, RULES).failures}


def test_green_pr_passes_every_item() -> None:
    verdict = evaluate_checklist(green_facts(), SHA, RULES)
    assert verdict.passed, verdict.failures


def test_actions_only_repo_pending_with_zero_statuses_is_not_a_failure() -> None:
    assert failing_items(green_facts(combined_state="pending", combined_total=0)) == set()
    pending = [StatusFact("ci/a", "success"), StatusFact("ci/b", "pending")]
    assert failing_items(green_facts(combined_state="pending", statuses=pending)) == {"ci-green"}


@pytest.mark.parametrize(
    ("changes", "item"),
    [
        ({"merged": False}, "merged"),
        ({"merge_commit_sha": "c" * 40}, "merged"),
        ({"reviews": []}, "approved"),
        (
            {
                "reviews": [
                    ReviewFact("ana", "APPROVED", "b" * 40, "write"),
                    ReviewFact("ana", "DISMISSED"),
                ]
            },
            "approved",
        ),
        (
            {
                "reviews": [
                    ReviewFact("ana", "APPROVED", "b" * 40, "write"),
                    ReviewFact("bo", "CHANGES_REQUESTED"),
                ]
            },
            "approved",
        ),
        ({"required_approvals": 2}, "approved"),
        ({"check_runs": [CheckFact("test", "completed", "failure")]}, "ci-green"),
        ({"check_runs": [CheckFact("test", "in_progress", None)]}, "ci-green"),
        ({"check_runs": []}, "ci-green"),
        (
            {
                "combined_state": "failure",
                "combined_total": 1,
                "statuses": [StatusFact("ci/legacy", "failure")],
            },
            "ci-green",
        ),
        ({"threads": [ThreadFact(False, "src/a.ts")]}, "no-unresolved-comments"),
        ({"labels": frozenset({"api-change"})}, "api-compatibility"),
        ({"labels": frozenset({"secret-change"})}, "secrets-in-place"),
        (
            {
                "labels": frozenset({"secret-change"}),
                "body": "Secrets: SIGNING_KEY",
                "secrets_by_environment": {"production": frozenset()},
            },
            "secrets-in-place",
        ),
    ],
)
def test_each_item_fails_alone(changes: dict, item: str) -> None:
    assert failing_items(green_facts(**changes)) == {item}


def test_null_review_decision_is_not_approval_but_real_approvals_count() -> None:
    assert failing_items(green_facts(review_decision=None, reviews=[])) == {"approved"}
    assert failing_items(green_facts(review_decision=None)) == set()


def test_commented_review_keeps_approval() -> None:
    standing = latest_review_by_user(
        [ReviewFact("ana", "APPROVED"), ReviewFact("ana", "COMMENTED")]
    )
    assert standing == {"ana": "APPROVED"}


def test_api_change_with_marker_and_secrets_present_pass() -> None:
    facts = green_facts(
        labels=frozenset({"api-change", "secret-change"}),
        body="Adds v2.\nMigration note: clients move by March.\n- Secrets: SIGNING_KEY, `API_KEY`",
        secrets_by_environment={
            "production": frozenset({"SIGNING_KEY", "API_KEY", "X"}),
            "sandbox": frozenset({"SIGNING_KEY", "API_KEY"}),
        },
    )
    assert evaluate_checklist(facts, SHA, RULES).passed


def test_named_secrets_parsing() -> None:
    assert named_secrets("intro\nSecrets: A, B; C\n", "Secrets:") == ["A", "B", "C"]
    assert named_secrets("nothing here", "Secrets:") == []


OWN_SUITE = 77
REQUIRED = [RequiredCheck("test"), RequiredCheck("lint")]


def test_triggering_run_in_progress_does_not_block_ci() -> None:
    runs = [
        CheckFact("test", "completed", "success", 1),
        CheckFact("lint", "completed", "success", 1),
        CheckFact("deploy", "in_progress", None, OWN_SUITE),
    ]
    for required in (REQUIRED, [*REQUIRED, RequiredCheck("deploy")], []):
        item = check_ci(
            green_facts(check_runs=runs, required_checks=required, triggering_suite_id=OWN_SUITE),
            RULES,
        )
        assert item.passed, (required, item.detail)
        assert "triggering run in progress: deploy" in item.detail
    # without knowing which run triggered, an in-progress job is only harmless when not required
    item = check_ci(green_facts(check_runs=runs, required_checks=[]), RULES)
    assert not item.passed and item.waiting and "deploy (in_progress)" in item.detail


def test_required_check_in_progress_waits_and_others_in_progress_do_not_block() -> None:
    runs = [
        CheckFact("test", "in_progress", None, 1),
        CheckFact("lint", "completed", "success", 1),
        CheckFact("e2e-nightly", "queued", None, 2),
    ]
    item = check_ci(green_facts(check_runs=runs, required_checks=REQUIRED), RULES)
    assert (item.passed, item.waiting) == (False, True)
    assert item.detail == "required check(s) not finished: test (in_progress)"
    done = [CheckFact("test", "completed", "success", 1), *runs[1:]]
    item = check_ci(green_facts(check_runs=done, required_checks=REQUIRED), RULES)
    assert item.passed and "not required, still running: e2e-nightly" in item.detail


def test_required_check_not_reported_yet_waits_and_a_status_can_satisfy_it() -> None:
    runs = [CheckFact("lint", "completed", "success", 1)]
    item = check_ci(green_facts(check_runs=runs, required_checks=REQUIRED), RULES)
    assert item.waiting and "test (not reported yet)" in item.detail
    with_status = green_facts(
        check_runs=runs, required_checks=REQUIRED, statuses=[StatusFact("test", "success")]
    )
    assert check_ci(with_status, RULES).passed
    pinned = [RequiredCheck("test", app_id=15368), RequiredCheck("lint")]
    other_app = [*runs, CheckFact("test", "completed", "success", 1, app_id=999)]
    item = check_ci(
        green_facts(
            check_runs=other_app, required_checks=pinned, statuses=[StatusFact("test", "success")]
        ),
        RULES,
    )
    assert item.waiting, "a check pinned to an app is not satisfied by another app or a status"


def test_any_completed_failure_fails_even_when_not_required() -> None:
    runs = [
        CheckFact("test", "completed", "success", 1),
        CheckFact("lint", "completed", "success", 1),
        CheckFact("docs", "completed", "failure", 2),
        CheckFact("deploy", "in_progress", None, 3),
    ]
    item = check_ci(
        green_facts(check_runs=runs, required_checks=REQUIRED, triggering_suite_id=3), RULES
    )
    assert not item.passed and not item.waiting and "docs=failure" in item.detail
    own_failed = [*runs[:2], CheckFact("migrate", "completed", "failure", 3)]
    item = check_ci(
        green_facts(check_runs=own_failed, required_checks=REQUIRED, triggering_suite_id=3), RULES
    )
    assert not item.passed and "migrate=failure" in item.detail


def test_merged_into_a_branch_other_than_the_release_branch_is_refused() -> None:
    verdict = evaluate_checklist(green_facts(base_ref="feature/x"), SHA, RULES)
    (item,) = verdict.failures
    assert item.name == "merged"
    assert item.detail == "PR #7 was merged into feature/x, not the release branch main"
    assert failing_items(green_facts(release_branch=None)) == {"merged"}


def approval(user: str, permission: str | None = "write", commit: str = "b" * 40) -> ReviewFact:
    return ReviewFact(user, "APPROVED", commit, permission)


def test_approval_without_write_permission_does_not_count() -> None:
    for permission in ("read", "triage", "none", None):
        verdict = evaluate_checklist(green_facts(reviews=[approval("ana", permission)]), SHA, RULES)
        assert {i.name for i in verdict.failures} == {"approved"}
        assert "ana has" in verdict.failures[0].detail and "not write" in verdict.failures[0].detail
    for permission in ("write", "maintain", "admin"):
        assert failing_items(green_facts(reviews=[approval("ana", permission)])) == set()


def test_stale_approval_does_not_count_when_the_branch_dismisses_stale_reviews() -> None:
    old = [approval("ana", commit="c" * 40)]
    assert failing_items(green_facts(reviews=old)) == set()  # not dismissed: GitHub counts it
    verdict = evaluate_checklist(green_facts(reviews=old, dismiss_stale_reviews=True), SHA, RULES)
    assert {i.name for i in verdict.failures} == {"approved"}
    assert "(stale)" in verdict.failures[0].detail


def test_review_required_is_never_overridden_by_a_count() -> None:
    facts = green_facts(
        review_decision="REVIEW_REQUIRED", reviews=[approval("ana"), approval("bo")]
    )
    verdict = evaluate_checklist(facts, SHA, RULES)
    assert {i.name for i in verdict.failures} == {"approved"}
    assert "REVIEW_REQUIRED" in verdict.failures[0].detail


def test_code_owner_approval_is_required_for_each_owned_file() -> None:
    rules = parse_codeowners("* @platform/core\n/src/crypto/ @sec-lead\ndocs/ \n")
    owned = owned_files(rules, ["src/crypto/sign.ts", "src/index.ts", "docs/readme.md"])
    assert owned == {"src/crypto/sign.ts": ("sec-lead",), "src/index.ts": ("platform/core",)}
    base = {"require_code_owner_reviews": True, "file_owners": owned}
    only_team = green_facts(
        **base, reviews=[approval("ana")], teams_of={"ana": frozenset({"platform/core"})}
    )
    verdict = evaluate_checklist(only_team, SHA, RULES)
    assert [i.detail for i in verdict.failures] == [
        "no approval from a code owner of src/crypto/sign.ts (owners @sec-lead)"
    ]
    both = green_facts(
        **base,
        reviews=[approval("ana"), approval("sec-lead")],
        teams_of={"ana": frozenset({"platform/core"})},
    )
    assert failing_items(both) == set()
    reader_owner = green_facts(
        **base,
        reviews=[approval("ana"), approval("sec-lead", "read")],
        teams_of={"ana": frozenset({"platform/core"})},
    )
    assert failing_items(reader_owner) == {"approved"}
