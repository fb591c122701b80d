"""android-release parameters: "significant" is never silently false; emergency needs its facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from procedure.android import Resume, resume_from
from procedure.android_request import AndroidReleaseRequest, android_target, resolve_significance
from procedure.policy import Policy
from procedure.request import RequestError, parse_request
from tasks.policy_file import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "policy" / "release-policy.yaml")
LABEL = POLICY.checklist.labels.significant


def validate_android_request(params: dict[str, Any], policy: Policy) -> AndroidReleaseRequest:
    """What android-release does with its parameters before Play is called."""
    request = parse_request(AndroidReleaseRequest, params)
    android_target(request, policy)
    return request


def request(**params: Any) -> Any:
    return validate_android_request({"app": "wallet", "version_code": 101, **params}, POLICY)


def test_without_a_pr_significant_is_required() -> None:
    with pytest.raises(RequestError, match="significant: required when no pr_number"):
        request()
    assert resolve_significance(request(significant=False), None, LABEL)[0] is False


def test_the_pr_label_decides_when_the_caller_does_not_say() -> None:
    assert resolve_significance(request(pr_number=7), frozenset({LABEL}), LABEL)[0] is True
    assert resolve_significance(request(pr_number=7), frozenset({"docs"}), LABEL)[0] is False
    # raising it is always allowed
    assert (
        resolve_significance(request(pr_number=7, significant=True), frozenset(), LABEL)[0] is True
    )


def test_a_labelled_significant_change_is_not_downgraded_without_a_recorded_reason() -> None:
    with pytest.raises(RequestError, match="significant_reason"):
        resolve_significance(request(pr_number=7, significant=False), frozenset({LABEL}), LABEL)
    ok, why = resolve_significance(
        request(
            pr_number=7,
            significant=False,
            significant_reason="Copy change only, no code",
            operator="ana.release",
        ),
        frozenset({LABEL}),
        LABEL,
    )
    assert ok is False and "Copy change only" in why and "ana.release" in why


def test_pr_number_needs_the_apps_repo_in_the_policy() -> None:
    policy = POLICY.model_copy(
        update={
            "android_apps": {
                "wallet": POLICY.android_app("wallet").model_copy(update={"repo": None})
            }
        }
    )
    with pytest.raises(RequestError, match="pr_number: the policy gives no `repo`"):
        validate_android_request({"app": "wallet", "version_code": 101, "pr_number": 7}, policy)


def test_an_emergency_release_needs_reason_and_operator() -> None:
    with pytest.raises(RequestError, match="incident_id: an emergency release needs"):
        request(significant=False, incident_id="P123", operator="oncall.ana")
    with pytest.raises(RequestError, match="emergency_reason needs incident_id"):
        request(significant=False, emergency_reason="Hotfix that cannot wait")
    ok = request(
        significant=False,
        incident_id="P123",
        emergency_reason="Hotfix that cannot wait",
        operator="oncall.ana",
    )
    assert ok.incident_id == "P123"


def test_the_policy_names_the_android_watch_builds_dir_and_repo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from procedure.policy import PolicyError, parse_policy

    monkeypatch.setenv("RELORCH_SANDBOX_URL", "http://127.0.0.1:9")
    sandbox = load_policy(
        Path(__file__).resolve().parents[2] / "policy" / "release-policy.yaml", "sandbox"
    )
    wallet = sandbox.android_app("wallet")
    assert wallet.vitals.check_interval == timedelta(seconds=1)
    assert wallet.vitals.watch_after_complete == timedelta(seconds=2)
    assert wallet.builds_dir and wallet.repo == "MaelstromAI/provii-wallet"
    doc = {
        "metadata": {"owner": "x", "last_updated": "2026-01-01", "next_review": "2027-01-01"},
        "services": POLICY.model_dump(mode="json")["services"],
        "android_apps": {"wallet": {"package_name": "app.provii.wallet", "repo": "not a repo"}},
    }
    with pytest.raises(PolicyError, match="android_apps.wallet.repo"):
        parse_policy(doc)


@pytest.mark.parametrize(
    ("reason", "operator", "expected"),
    [
        (None, None, None),
        (None, "ana", None),
        ("Crash fixed server-side", None, "operator"),
        ("Crash fixed server-side", "ana", Resume("Crash fixed server-side", "ana")),
    ],
)
def test_resuming_a_halted_rollout_needs_its_operator_one_rule(
    reason: str | None, operator: str | None, expected: Resume | str | None
) -> None:
    """The request model and the rollout step ask the same rule (procedure.android.resume_from)."""
    params = {"significant": False, "resume_reason": reason, "operator": operator}
    if expected == "operator":
        with pytest.raises(ValueError, match="resume_reason needs operator"):
            resume_from(reason, operator)
        with pytest.raises(RequestError, match="resume_reason needs operator"):
            request(**params)
        return
    assert resume_from(reason, operator) == expected
    assert request(**params).resume_reason == reason
