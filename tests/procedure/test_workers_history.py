from __future__ import annotations

from datetime import UTC, datetime, timedelta

from procedure.workers import DeploymentView, is_live, live_since, rollback_target

T0 = datetime(2026, 11, 26, tzinfo=UTC)


def dep(i: int, *shares: tuple[str, float]) -> DeploymentView:
    return DeploymentView(f"d{i}", T0 + timedelta(minutes=i), tuple(shares))


def test_previous_version_is_the_newest_other_one() -> None:
    history = [dep(3, ("new", 100)), dep(2, ("old", 100)), dep(1, ("older", 100))]
    assert rollback_target(history, "new") == "old"
    assert rollback_target(history[1:], "new") == "old"  # before deploying
    assert rollback_target([dep(2, ("new", 10), ("old", 90))], "new") == "old"
    assert rollback_target([], "new") is None


def test_live_since_spans_repeated_deployments_of_the_same_version() -> None:
    history = [dep(3, ("new", 100)), dep(2, ("new", 100)), dep(1, ("old", 100))]
    assert is_live(history, "new")
    assert live_since(history, "new") == T0 + timedelta(minutes=2)
    assert live_since(history, "old") is None


def test_a_rolled_back_version_is_recognised() -> None:
    from procedure.workers import rolled_back_from

    rolled = DeploymentView(
        "d3", T0 + timedelta(minutes=3), (("old", 100),), "rollback: health 503"
    )
    history = [rolled, dep(2, ("new", 100)), dep(1, ("old", 100))]
    assert rolled_back_from(history, "new") == rolled
    assert rolled_back_from(history, "old") is None
    # replaced by a later ordinary release, not a rollback: deploying it again is allowed
    replaced = [dep(3, ("newer", 100)), dep(2, ("new", 100))]
    assert rolled_back_from(replaced, "new") is None
    assert rolled_back_from([], "new") is None


def test_messages_keep_sha_pr_and_kind_within_cloudflares_100_bytes() -> None:
    from procedure.workers import MESSAGE_BYTES, release_message, rollback_message

    sha = "0123456789abcdef0123456789abcdef01234567"
    message = release_message(sha, 123456, significant=True)
    assert message.startswith("0123456789ab PR #123456 significant")
    assert len(message.encode()) <= MESSAGE_BYTES
    assert "standard" in release_message(sha, 1, significant=False)
    long_reason = "production verification fail: health: 500: " + "ü" * 200
    rollback = rollback_message(long_reason, "0123456789ab PR #42")
    assert rollback.startswith("rollback: 0123456789ab PR #42 — production verification fail")
    assert len(rollback.encode()) <= MESSAGE_BYTES
    rollback.encode().decode()  # never half a character


def test_provenance_refuses_another_commits_version_and_warns_on_allowed_untagged() -> None:
    from procedure.workers import check_provenance

    sha = "0123456789abcdef0123456789abcdef01234567"
    ok = check_provenance({"production": ("v1", sha.upper())}, sha, allow_untagged=False)
    assert ok.passed and not ok.warnings
    wrong = check_provenance({"production": ("v1", "f" * 40)}, sha, allow_untagged=True)
    assert not wrong.passed and "f" * 40 in wrong.detail and sha in wrong.detail
    untagged = check_provenance({"sandbox": ("v0", None)}, sha, allow_untagged=False)
    assert not untagged.passed and "--tag" in untagged.detail
    allowed = check_provenance({"sandbox": ("v0", None)}, sha, allow_untagged=True)
    assert allowed.passed and allowed.warnings and "warning" in allowed.detail


def test_a_labelled_significant_change_is_downgraded_only_with_a_reason() -> None:
    import pytest

    from procedure.workers import significance

    label = "significant-change"
    assert significance(None, True, None, label)[0] is True
    assert significance(None, False, None, label)[0] is False
    assert significance(True, False, None, label)[0] is True  # upgrading needs no reason
    with pytest.raises(ValueError, match="significant_reason"):
        significance(False, True, None, label)
    downgraded, why = significance(False, True, "docs-only change", label)
    assert downgraded is False and "docs-only change" in why


def test_production_only_moves_forward() -> None:
    from procedure.workers import production_order

    me, live = "a" * 40, "b" * 40
    assert production_order([("v1", live)], me, {live: "ahead"}).action == "deploy"
    assert production_order([("v1", me)], me, {}).action == "already live"
    behind = production_order([("v1", live)], me, {live: "behind"})
    assert behind.action == "superseded" and me in behind.detail and live in behind.detail
    assert production_order([("v1", live)], me, {live: "diverged"}).action == "superseded"
    assert production_order([("v1", live)], me, {live: "unknown"}).action == "refuse"
    untagged = production_order([("v1", None)], me, {})
    assert untagged.action == "deploy" and "no workers/tag" in untagged.warnings[0]
