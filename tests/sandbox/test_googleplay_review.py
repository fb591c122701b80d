"""Google's review of production changes, on the sandbox clock: IN_REVIEW → PUBLISHED /
APPROVED_NOT_PUBLISHED / NOT_APPROVED, ERROR_IF_IN_REVIEW against the default
CANCEL_IN_REVIEW_AND_SUBMIT, changesNotSentForReview after a rejection, managed publishing."""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from sandbox.clock import ManualClock
from sandbox.control import SandboxAdminError
from tests.sandbox.play_helpers import (  # noqa: F401  (fixtures)
    LIVE,
    PKG,
    Play,
    _google,
    clock,
    error,
    full,
    keys,
    play,
    sandbox,
    staged,
)

ERROR_IF_IN_REVIEW = {"changesInReviewBehavior": "ERROR_IF_IN_REVIEW"}


def promote(
    play: Play, code: int, fraction: float = 0.05, *, params: dict[str, str] | None = None
) -> None:
    play.ship(code)
    answer = play.change("production", staged(code, fraction), **(params or {}))
    assert answer.status_code == 200, answer.text


def test_internal_track_changes_are_published_at_once(play: Play) -> None:
    uploaded = play.ctl.play_upload_internal(PKG, 101, token=play.token, release_name="1.0.1")
    assert uploaded["bundle"]["versionCode"] == 101
    assert uploaded["track"]["releases"] == [
        {"name": "1.0.1", "versionCodes": ["101"], "status": "completed"}
    ]
    assert play.states("internal") == {101: "PUBLISHED"}
    assert play.ctl.play_state(PKG)["review_log"] == []


def test_a_production_release_is_reviewed_on_the_sandbox_clock(
    play: Play, clock: ManualClock
) -> None:
    promote(play, 101, params=ERROR_IF_IN_REVIEW)
    assert play.states() == {101: "IN_REVIEW", LIVE: "PUBLISHED"}
    clock.advance(1.9)
    assert play.states()[101] == "IN_REVIEW"
    clock.advance(0.1)  # review_seconds defaults to 2.0
    assert play.states() == {101: "PUBLISHED", LIVE: "PUBLISHED"}
    (review,) = play.ctl.play_state(PKG)["review_log"]
    assert review["result"] == "approved" and review["decided_by"] == "clock"
    assert review["releases"] == [{"track": "production", "name": "101", "versionCodes": [101]}]
    # Ramping an approved release needs no new review.
    assert play.change("production", staged(101, 0.2), **ERROR_IF_IN_REVIEW).status_code == 200
    assert play.states()[101] == "PUBLISHED"
    assert len(play.ctl.play_state(PKG)["review_log"]) == 1


def test_a_rejection_needs_the_console_to_send_the_fix_for_review(
    play: Play, clock: ManualClock
) -> None:
    play.ctl.play_app(
        PKG, review_seconds=3600, review_outcome="reject", rejection_reason="Metadata policy"
    )
    promote(play, 101)
    clock.advance(3600)
    play.refresh()
    assert play.states() == {101: "NOT_APPROVED", LIVE: "PUBLISHED"}
    state = play.ctl.play_state(PKG)
    assert state["review_log"][0]["result"] == "rejected"
    assert state["review_log"][0]["reason"] == "Metadata policy"
    assert state["changes_not_sent_for_review_required"] is True

    play.ctl.play_app(PKG, review_outcome="approve")
    edit_id = play.edit()
    play.upload(edit_id, 102)
    play.put_track(edit_id, "production", staged(102, 0.05))
    refused = play.commit(edit_id)
    assert refused.status_code == 400
    assert error(refused)["message"].startswith("Changes cannot be sent for review automatically.")
    held = play.commit(edit_id, changesNotSentForReview="true")
    assert held.status_code == 200
    assert play.states() == {102: "NOT_SENT_FOR_REVIEW", LIVE: "PUBLISHED"}
    sent = play.ctl.play_send_for_review(PKG)
    assert sent["sent"] is True and sent["changes_not_sent_for_review_required"] is False
    assert play.states()[102] == "IN_REVIEW"
    play.ctl.play_review_now(PKG)
    assert play.states() == {102: "PUBLISHED", LIVE: "PUBLISHED"}


def test_changes_not_sent_for_review_must_not_be_set_otherwise(play: Play) -> None:
    edit_id = play.edit()
    answer = play.commit(edit_id, changesNotSentForReview="true")
    assert answer.status_code == 400
    assert error(answer)["message"] == (
        "The query parameter changesNotSentForReview must not be set."
    )
    assert play.commit(edit_id, changesNotSentForReview="false").status_code == 200


def test_error_if_in_review_refuses_and_keeps_the_edit(play: Play, clock: ManualClock) -> None:
    promote(play, 101, params=ERROR_IF_IN_REVIEW)
    edit_id = play.edit()
    play.put_track(edit_id, "production", staged(101, 0.2))
    refused = play.commit(edit_id, **ERROR_IF_IN_REVIEW)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "code": 400,
            "message": "You already have changes in review. Cancel this review or wait for it to "
            "complete before you try again. See https://developers.google.com/android-publisher/"
            "api-ref/rest/v3/applications.tracks.releases",
            "status": "FAILED_PRECONDITION",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "CHANGES_ALREADY_IN_REVIEW",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "androidpublisher.googleapis.com",
                        "method": "google.play.publishing.v3.EditsService.Commit",
                    },
                }
            ],
        }
    }
    assert [e["id"] for e in play.ctl.play_state(PKG)["open_edits"]] == [edit_id]
    assert play.states()[101] == "IN_REVIEW"
    clock.advance(2)
    assert play.commit(edit_id, **ERROR_IF_IN_REVIEW).status_code == 200  # the same edit
    assert play.states()[101] == "PUBLISHED"


@pytest.mark.parametrize("behaviour", [None, "CANCEL_IN_REVIEW_AND_SUBMIT"])
def test_the_default_commit_cancels_the_review_and_resubmits(
    play: Play, clock: ManualClock, behaviour: str | None
) -> None:
    promote(play, 101)
    clock.advance(1.5)
    params = {"changesInReviewBehavior": behaviour} if behaviour else {}
    # Any commit does it, even one that only touches the internal track.
    play.ship(102)
    assert play.change("production", staged(101, 0.1), **params).status_code == 200
    log = play.ctl.play_state(PKG)["review_log"]
    assert [r["result"] for r in log] == ["cancelled", "cancelled", "in_review"]
    assert log[1]["resubmitted_from"] == 1 and log[2]["resubmitted_from"] == 2
    assert log[2]["cancelled_by_edit"] is None and log[0]["cancelled_by_edit"]
    clock.advance(1.5)  # 3 s after the first submission, 1.5 s after the last one
    assert play.states()[101] == "IN_REVIEW"
    clock.advance(0.5)
    assert play.states()[101] == "PUBLISHED"


def test_replacing_a_release_in_review_submits_the_new_one(play: Play) -> None:
    promote(play, 101)
    promote(play, 102)
    assert play.states() == {102: "IN_REVIEW", LIVE: "PUBLISHED"}
    log = play.ctl.play_state(PKG)["review_log"]
    assert [r["result"] for r in log] == ["cancelled", "cancelled", "in_review"]
    assert log[-1]["releases"][0]["versionCodes"] == [102]


def test_managed_publishing_holds_approved_changes_until_published(play: Play) -> None:
    play.ctl.play_app(PKG, managed_publishing=True)
    promote(play, 101)
    play.ctl.play_review_now(PKG)
    assert play.states()[101] == "APPROVED_NOT_PUBLISHED"
    assert play.change("production", staged(101, 0.2)).status_code == 200
    assert play.states()[101] == "APPROVED_NOT_PUBLISHED"
    published = play.ctl.play_publish(PKG)
    assert published["published"] == 1
    assert play.states() == {101: "PUBLISHED", LIVE: "PUBLISHED"}


def test_review_now_decides_the_submission(play: Play) -> None:
    with pytest.raises(SandboxAdminError, match="nothing is in review"):
        play.ctl.play_review_now(PKG)
    play.ctl.play_app(PKG, review_seconds=86_400)
    promote(play, 101)
    state = play.ctl.play_review_now(PKG, "reject", "Broken login")
    assert state["in_review"] is None
    assert state["review_log"][-1] | {
        "submitted_at": None,
        "due_at": None,
        "finished_at": None,
    } == {
        "id": 1,
        "releases": [{"track": "production", "name": "101", "versionCodes": [101]}],
        "submitted_at": None,
        "due_at": None,
        "planned_outcome": "approve",
        "result": "rejected",
        "reason": "Broken login",
        "finished_at": None,
        "decided_by": "admin",
        "cancelled_by_edit": None,
        "resubmitted_from": None,
    }
    assert play.states()[101] == "NOT_APPROVED"


def test_the_app_state_for_tests_and_demos(play: Play) -> None:
    promote(play, 101)
    edit_id = play.edit()
    play.upload(edit_id, 102)
    state = play.ctl.play_state(PKG)
    assert state["package_name"] == PKG and state["managed_publishing"] is False
    assert [r["versionCodes"] for r in state["tracks"]["production"]["releases"]] == [[101], [LIVE]]
    production = state["tracks"]["production"]["releases"][0]
    assert production["status"] == "inProgress" and production["userFraction"] == 0.05
    assert production["releaseLifecycleState"] == "RELEASE_LIFECYCLE_STATE_IN_REVIEW"
    assert state["in_review"]["releases"][0]["versionCodes"] == [101]
    (open_edit,) = state["open_edits"]
    assert open_edit["id"] == edit_id and open_edit["bundles"] == [102]
    assert open_edit["client_email"] == play.account["client_email"]
    assert [b["versionCode"] for b in state["bundles"]] == [LIVE, 101]
    play.ctl.reset()
    with pytest.raises(SandboxAdminError, match="unknown app"):
        play.ctl.play_state(PKG)


def test_admin_input_is_checked(play: Play) -> None:
    with pytest.raises(SandboxAdminError, match="review_outcome"):
        play.ctl.play_app(PKG, review_outcome="maybe")
    with pytest.raises(SandboxAdminError, match="not an Android package name"):
        play.ctl.play_app("acme")
    with pytest.raises(SandboxAdminError, match="production already has releases"):
        play.ctl.play_app(PKG, production_version_code=LIVE + 1)
    assert play.ctl.play_app(PKG, production_version_code=LIVE)["revision"] == 1  # idempotent
    with pytest.raises(SandboxAdminError, match="not a PEM public key"):
        play.ctl.play_register_service_account("x@y.iam.gserviceaccount.com", "nope")


def test_a_seed_document_creates_service_accounts_and_apps(play: Play) -> None:
    play.ctl.reset()
    created = play.ctl.seed(
        {
            "googleplay": {
                "service_accounts": [
                    {"client_email": play.account["client_email"], "public_key_pem": _pem(play)}
                ],
                "apps": [{"package_name": PKG, "production_version_code": 7}],
            }
        }
    )
    assert created["play_apps"] == [PKG]
    play.refresh()
    assert play.states() == {7: "PUBLISHED"}


def _pem(play: Play) -> str:
    key = serialization.load_pem_private_key(play.account["private_key"].encode(), None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_full_path_internal_soak_promote_review_ramp(play: Play, clock: ManualClock) -> None:
    """The procedure's Android path, end to end on the sandbox clock."""
    play.ship(101)
    clock.advance(24 * 3600)  # the ≥24 h internal soak
    play.refresh()
    assert play.change("production", staged(101, 0.05), **ERROR_IF_IN_REVIEW).is_success
    assert play.states()[101] == "IN_REVIEW"
    clock.advance(2)
    for fraction in (0.2, 0.5):
        assert play.change("production", staged(101, fraction), **ERROR_IF_IN_REVIEW).is_success
    assert play.change("production", full(101), **ERROR_IF_IN_REVIEW).is_success
    assert play.states() == {101: "PUBLISHED"}
    assert play.states("internal") == {101: "PUBLISHED"}
