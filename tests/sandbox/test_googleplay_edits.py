"""androidpublisher v3 over real HTTP: the edit lifecycle, bundle uploads, Track/Release
validation and the staged-rollout operations (stage, ramp, halt at 20 % and at 100 %, resume,
complete), as Play accepts and refuses them."""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from sandbox.clock import ManualClock
from sandbox.control import PlayControlError
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


def approve_all(play: Play) -> None:
    if play.ctl.play_state(PKG)["in_review"] is not None:
        play.ctl.play_review_now(PKG)


def live_at(play: Play, code: int, fraction: float) -> None:
    """`code` rolled out to `fraction` on production, reviewed and approved."""
    play.ship(code)
    assert play.change("production", staged(code, fraction)).status_code == 200
    approve_all(play)


def statuses(releases: list[dict[str, Any]]) -> list[tuple[str, str, float | None]]:
    return [(r["versionCodes"][0], r["status"], r.get("userFraction")) for r in releases]


# -- edits -------------------------------------------------------------------------------------


def test_an_edit_is_inserted_read_validated_and_deleted(play: Play, clock: ManualClock) -> None:
    created = play.http.post(play.app_path("/edits"))  # no body at all is fine too
    assert created.status_code == 200
    edit = created.json()
    assert set(edit) == {"id", "expiryTimeSeconds"}
    assert int(edit["expiryTimeSeconds"]) == int(clock().timestamp()) + 3600
    assert play.http.get(play.app_path(f"/edits/{edit['id']}")).json() == edit
    assert play.http.post(play.app_path(f"/edits/{edit['id']}:validate")).json() == edit
    deleted = play.http.delete(play.app_path(f"/edits/{edit['id']}"))
    assert deleted.status_code == 204 and deleted.content == b""
    gone = play.http.get(play.app_path(f"/edits/{edit['id']}"))
    assert gone.status_code == 400
    assert error(gone)["message"] == "This Edit has been deleted."
    assert error(gone)["status"] == "FAILED_PRECONDITION"
    assert play.http.get(play.app_path("/edits/123")).status_code == 404


def test_inserting_an_edit_deletes_the_other_open_edits(play: Play) -> None:
    first = play.edit()
    assert play.upload(first, 101).status_code == 200
    second = play.edit()
    stale = play.put_track(first, "internal", full(101))
    assert stale.status_code == 400 and error(stale)["message"] == "This Edit has been deleted."
    assert play.commit(first).status_code == 400
    assert [e["id"] for e in play.ctl.play_state(PKG)["open_edits"]] == [second]
    # The bundle of the deleted edit was never committed: its version code is free again.
    assert play.upload(second, 101).status_code == 200


def test_edits_expire(play: Play, clock: ManualClock) -> None:
    edit_id = play.edit()
    clock.advance(3599)
    play.refresh()  # access tokens live 3599 s, edits an hour
    assert play.http.get(play.app_path(f"/edits/{edit_id}")).status_code == 200
    clock.advance(1)
    expired = play.http.get(play.app_path(f"/edits/{edit_id}"))
    assert expired.status_code == 400
    assert error(expired)["message"] == "This edit has expired, please create a new Edit."
    assert play.ctl.play_state(PKG)["open_edits"] == []


def test_a_commit_uses_up_the_edit(play: Play) -> None:
    edit_id = play.edit()
    assert play.commit(edit_id).status_code == 200
    again = play.commit(edit_id)
    assert again.status_code == 400 and error(again)["message"] == "This Edit has been deleted."


def test_an_unknown_package_is_404(play: Play) -> None:
    answer = play.http.post(play.app_path("/edits", package="com.acme.ghost"))
    assert answer.status_code == 404
    assert error(answer)["message"] == "Package not found: com.acme.ghost."
    assert error(answer)["errors"][0]["reason"] == "notFound"


# -- bundles -----------------------------------------------------------------------------------


def test_a_bundle_upload_answers_its_version_code_and_hashes(play: Play) -> None:
    edit_id = play.edit()
    payload = b"PK\x03\x04 not really an app bundle"
    answer = play.upload(edit_id, 101, payload)
    assert answer.status_code == 200
    assert answer.json() == {
        "versionCode": 101,
        "sha1": hashlib.sha1(payload).hexdigest(),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    as_json = play.http.post(
        play.upload_path(edit_id),
        params={"uploadType": "media"},
        headers={"Content-Type": "application/octet-stream"},
        content=json.dumps({"versionCode": 102, "versionName": "1.0.2"}).encode(),
    )
    assert as_json.status_code == 200 and as_json.json()["versionCode"] == 102
    listed = play.http.get(play.app_path(f"/edits/{edit_id}/bundles")).json()
    assert [b["versionCode"] for b in listed["bundles"]] == [LIVE, 101, 102]
    assert listed["kind"] == "androidpublisher#bundlesListResponse"
    play.put_track(edit_id, "internal", full(102))
    assert play.track("internal") == []  # not committed yet
    assert play.commit(edit_id).status_code == 400  # the read above opened a newer edit


def test_a_release_name_defaults_to_the_bundles_version_name(play: Play) -> None:
    edit_id = play.edit()
    play.http.post(
        play.upload_path(edit_id),
        params={"uploadType": "media"},
        headers={"Content-Type": "application/octet-stream", "X-Sandbox-Version-Name": "2.0.0"},
        content=json.dumps({"versionCode": 200}).encode(),
    )
    named = play.put_track(edit_id, "internal", full(200))
    assert named.json()["releases"][0]["name"] == "2.0.0"


def test_a_used_version_code_is_refused(play: Play) -> None:
    play.ship(101)
    edit_id = play.edit()
    for code in (101, LIVE):
        again = play.upload(edit_id, code)
        assert again.status_code == 403
        body = error(again)
        assert body["message"] == "APK specifies a version code that has already been used."
        assert body["status"] == "PERMISSION_DENIED"
    assert play.upload(edit_id, 102).status_code == 200
    assert play.upload(edit_id, 102).status_code == 403  # twice in one edit


@pytest.mark.parametrize(
    ("params", "headers", "content", "message"),
    [
        ({}, {}, b"x", "must include an uploadType URL parameter"),
        ({"uploadType": "resumable"}, {}, b"x", "uploadType=media only"),
        (
            {"uploadType": "media"},
            {"Content-Type": "application/json"},
            b'{"versionCode": 5}',
            "Valid media types: [application/octet-stream]",
        ),
        ({"uploadType": "media"}, {"Content-Type": "application/octet-stream"}, b"", "no content"),
        (
            {"uploadType": "media"},
            {"Content-Type": "application/octet-stream"},
            b"\x00binary",
            "X-Sandbox-Version-Code",
        ),
        (
            {"uploadType": "media"},
            {"X-Sandbox-Version-Code": "0"},
            b"x",
            "X-Sandbox-Version-Code",
        ),
    ],
)
def test_uploads_play_cannot_read_are_refused(
    play: Play, params: dict[str, str], headers: dict[str, str], content: bytes, message: str
) -> None:
    answer = play.http.post(
        play.upload_path(play.edit()), params=params, headers=headers, content=content
    )
    assert answer.status_code == 400, answer.text
    assert message in error(answer)["message"]


# -- tracks ------------------------------------------------------------------------------------


def test_tracks_inside_an_edit(play: Play) -> None:
    edit_id = play.edit()
    listed = play.http.get(play.app_path(f"/edits/{edit_id}/tracks")).json()
    assert listed["kind"] == "androidpublisher#tracksListResponse"
    assert [t["track"] for t in listed["tracks"]] == ["production", "beta", "alpha", "internal"]
    assert listed["tracks"][0]["releases"] == [
        {"name": "1.0.0", "versionCodes": [str(LIVE)], "status": "completed"}
    ]
    assert listed["tracks"][1] == {"track": "beta"}  # no releases: the field is left out
    assert play.http.get(play.app_path(f"/edits/{edit_id}/tracks/wear:beta")).status_code == 404
    # Outside an edit a track can only be read through its releases.
    assert play.http.get(play.app_path("/tracks/production")).status_code == 404


@pytest.mark.parametrize(
    ("release", "status", "message"),
    [
        ({"versionCodes": ["101"], "status": "rolling"}, 400, 'TrackRelease.Status), "rolling"'),
        ({"versionCodes": ["101"]}, 400, "Release status must be specified."),
        (full(101, userFraction=0.5), 400, "status inProgress or halted"),
        (staged(101, 1.0), 400, "Rollout fraction must be greater than 0 and less than 1"),
        (staged(101, 0.0), 400, "Rollout fraction must be greater than 0 and less than 1"),
        (full(101, "inProgress"), 400, "IN_PROGRESS release must have fraction"),
        (full(101, "halted"), 400, "HALTED release must have fraction"),
        (full(999), 404, "The following APK version codes could not be found: [999]."),
        ({"versionCodes": ["x"], "status": "completed"}, 400, "(TYPE_INT64)"),
        (full(101, fraction=0.2), 400, 'Unknown name "fraction"'),
        (full(101, releaseNotes=[{"language": "en-US", "text": "x" * 501}]), 400, "(max: 500)"),
        (
            full(101, countryTargeting={"countries": ["AU"]}),
            400,
            "Country targeting is only supported for staged releases.",
        ),
        ({"status": "completed"}, 400, "at least one version code"),
        (full(101, inAppUpdatePriority=6), 400, "between 0 and 5"),
    ],
)
def test_releases_play_refuses(
    play: Play, release: dict[str, Any], status: int, message: str
) -> None:
    edit_id = play.edit()
    play.upload(edit_id, 101)
    answer = play.put_track(edit_id, "production", release)
    assert answer.status_code == status, answer.text
    assert message in error(answer)["message"]


def test_the_first_release_on_a_track_cannot_be_staged(play: Play) -> None:
    play.ship(101)
    edit_id = play.edit()
    first = play.put_track(edit_id, "beta", staged(101, 0.2))
    assert first.status_code == 400
    assert error(first)["message"] == "The first release on a track cannot be staged."
    assert error(first)["status"] == "INVALID_ARGUMENT"
    assert play.put_track(edit_id, "beta", full(101)).status_code == 200
    assert play.commit(edit_id).status_code == 200
    play.ship(102)
    assert play.change("beta", staged(102, 0.2)).status_code == 200


def test_a_staged_rollout_runs_next_to_the_completed_release(play: Play) -> None:
    play.ship(101)
    edit_id = play.edit()
    notes = [{"language": "en-US", "text": "Faster proofs."}]
    answer = play.put_track(edit_id, "production", staged(101, 0.05, releaseNotes=notes))
    assert answer.status_code == 200
    assert answer.json() == {
        "track": "production",
        "releases": [
            {
                "name": "101",
                "versionCodes": ["101"],
                "releaseNotes": notes,
                "status": "inProgress",
                "userFraction": 0.05,
            },
            {"name": "1.0.0", "versionCodes": [str(LIVE)], "status": "completed"},
        ],
    }
    assert play.commit(edit_id).status_code == 200
    assert statuses(play.track()) == [("101", "inProgress", 0.05), (str(LIVE), "completed", None)]


def test_ramp_halt_at_20_resume_and_complete(play: Play) -> None:
    live_at(play, 101, 0.05)
    assert play.change("production", staged(101, 0.2)).status_code == 200
    assert play.change("production", staged(101, 0.2, "halted")).status_code == 200
    assert statuses(play.track()) == [("101", "halted", 0.2), (str(LIVE), "completed", None)]
    assert play.states() == {101: "PUBLISHED", LIVE: "PUBLISHED"}  # halted stays resumable
    assert play.change("production", staged(101, 0.5)).status_code == 200
    assert play.change("production", full(101)).status_code == 200
    assert statuses(play.track()) == [("101", "completed", None)]
    assert play.states() == {101: "PUBLISHED"}  # the superseded release is obsolete
    assert [
        r["versionCodes"] for r in play.ctl.play_state(PKG)["tracks"]["production"]["obsolete"]
    ] == [[LIVE]]


def test_the_commit_log_holds_each_commit_s_tracks_in_order(play: Play) -> None:
    live_at(play, 101, 0.05)
    before = len(play.ctl.play_state(PKG)["commits"])
    assert play.change("production", staged(101, 0.2)).status_code == 200
    assert play.change("production", staged(101, 0.2, "halted")).status_code == 200
    edit_id = play.edit()  # opened and deleted, never committed: not in the log
    assert play.http.delete(play.app_path(f"/edits/{edit_id}")).status_code == 204
    log = play.ctl.play_state(PKG)["commits"][before - 1 :]
    assert [c["revision"] for c in log] == list(range(log[0]["revision"], log[0]["revision"] + 3))
    production = [
        [(r["versionCodes"], r["status"], r["userFraction"]) for r in c["tracks"]["production"]]
        for c in log
    ]
    assert [p[0] for p in production] == [
        (["101"], "inProgress", 0.05),
        (["101"], "inProgress", 0.2),
        (["101"], "halted", 0.2),
    ]


def test_fully_released_can_not_be_staged(play: Play) -> None:
    live_at(play, 101, 0.5)
    assert play.change("production", full(101)).status_code == 200
    edit_id = play.edit()
    again = play.put_track(edit_id, "production", staged(101, 0.5))
    assert again.status_code == 400
    assert error(again)["message"] == "Fully released can not be staged."


def test_halting_a_completed_release_brings_the_previous_one_back(play: Play) -> None:
    live_at(play, 101, 0.5)
    assert play.change("production", full(101)).status_code == 200
    halted = play.change("production", full(101, "halted"))
    assert halted.status_code == 200
    assert statuses(play.track()) == [("101", "halted", None), (str(LIVE), "completed", None)]
    assert play.states() == {101: "PUBLISHED", LIVE: "PUBLISHED"}
    # Resume to any percentage, or complete again (the restored release retires again).
    assert play.change("production", staged(101, 0.1)).status_code == 200
    assert statuses(play.track()) == [("101", "inProgress", 0.1), (str(LIVE), "completed", None)]
    assert play.change("production", full(101)).status_code == 200
    assert statuses(play.track()) == [("101", "completed", None)]


def test_halting_at_100_needs_a_previous_release_and_not_the_internal_track(play: Play) -> None:
    edit_id = play.edit()
    first = play.put_track(edit_id, "production", full(LIVE, "halted"))
    assert first.status_code == 400
    assert "first release on a track cannot be halted" in error(first)["message"]
    play.ship(101)
    play.ship(102)
    edit_id = play.edit()
    internal = play.put_track(edit_id, "internal", full(102, "halted"))
    assert internal.status_code == 400 and "internal testing track" in error(internal)["message"]


def test_lowering_the_fraction_is_accepted(play: Play) -> None:
    """Never lowering a rollout is the orchestrator's rule, not Play's."""
    live_at(play, 101, 0.5)
    assert play.change("production", staged(101, 0.2)).status_code == 200
    assert statuses(play.track())[0] == ("101", "inProgress", 0.2)


def test_a_release_no_user_could_upgrade_to_is_refused(play: Play) -> None:
    live_at(play, 101, 0.2)
    play.change("production", full(101))
    edit_id = play.edit()
    play.upload(edit_id, 99)
    lower = play.put_track(edit_id, "production", staged(99, 0.1))
    assert lower.status_code == 403
    assert error(lower)["message"].startswith("You cannot rollout this release because it does")


def test_patch_reads_a_track_like_update(play: Play) -> None:
    play.ship(101)
    edit_id = play.edit()
    patched = play.http.patch(
        play.app_path(f"/edits/{edit_id}/tracks/production"),
        json={"releases": [staged(101, 0.05)]},
    )
    assert patched.status_code == 200
    assert statuses(patched.json()["releases"]) == [
        ("101", "inProgress", 0.05),
        (str(LIVE), "completed", None),
    ]


def test_releases_are_listed_newest_first_without_an_edit(play: Play) -> None:
    play.ship(101)
    play.ship(102)
    internal = play.releases("internal")
    assert [r["activeArtifacts"] for r in internal] == [[{"versionCode": 102}]]
    assert internal[0] == {
        "releaseName": "102",
        "track": "internal",
        "activeArtifacts": [{"versionCode": 102}],
        "releaseLifecycleState": "RELEASE_LIFECYCLE_STATE_PUBLISHED",
    }
    play.change("production", staged(102, 0.05))
    assert [r["releaseName"] for r in play.releases()] == ["102", "1.0.0"]
    empty = play.http.get(play.app_path("/tracks/beta/releases"))
    assert empty.status_code == 200 and empty.json() == {}
    assert play.http.get(play.app_path("/tracks/nope/releases")).status_code == 404
    assert play.ctl.play_state(PKG)["open_edits"] == []  # reading releases opens no edit


def test_a_concurrent_update_fault_answers_409_concurrent_update(play: Play) -> None:
    play.ship(101)
    edit_id = play.edit()
    play.put_track(edit_id, "production", staged(101, 0.05))
    play.ctl.add_fault("googleplay", "status", status=409, path_contains=":commit", count=1)
    raced = play.commit(edit_id)
    assert raced.status_code == 409
    assert error(raced)["status"] == "ABORTED"
    assert error(raced)["errors"][0]["reason"] == "concurrentUpdate"
    assert play.commit(edit_id).status_code == 200  # the edit was untouched: retry works


def test_a_commit_whose_base_changed_is_a_concurrent_update(play: Play) -> None:
    """The app changed under an open edit (here: the admin seeds a live release, as a Console
    change would): its commit is refused with 409 and a new edit goes through."""
    play.ctl.play_app("com.acme.other")
    edit_id = play.edit_for("com.acme.other")
    play.ctl.play_app("com.acme.other", production_version_code=5)
    raced = play.http.post(play.app_path(f"/edits/{edit_id}:commit", package="com.acme.other"))
    assert raced.status_code == 409
    assert error(raced)["errors"][0]["reason"] == "concurrentUpdate"
    retry = play.edit_for("com.acme.other")
    answer = play.http.post(play.app_path(f"/edits/{retry}:commit", package="com.acme.other"))
    assert answer.status_code == 200


def test_faults_and_the_request_log(play: Play) -> None:
    play.ctl.clear_requests()
    play.ctl.add_fault("googleplay", "status", status=503, count=1)
    unavailable = play.http.post(play.app_path("/edits"))
    assert unavailable.status_code == 503 and error(unavailable)["status"] == "UNAVAILABLE"
    play.ctl.add_fault("googleplay", "rate_limit", retry_after=3, count=1)
    limited = play.http.post(play.app_path("/edits"))
    assert limited.status_code == 429 and error(limited)["status"] == "RESOURCE_EXHAUSTED"
    assert error(limited)["errors"][0]["reason"] == "rateLimitExceeded"
    play.ctl.add_fault("google-oauth", "status", status=503, count=1)
    with pytest.raises(PlayControlError, match="temporarily_unavailable"):
        play.ctl.play_token(play.account)
    edit_id = play.edit()
    play.ctl.add_fault("googleplay", "drop_after_commit", path_contains=":commit", count=1)
    assert play.commit(edit_id).status_code == 502
    assert play.ctl.play_state(PKG)["revision"] == 2  # committed all the same
    logged = play.ctl.requests("googleplay")
    assert [e["status"] for e in logged] == [503, 429, 200, 502]
    assert logged[-1]["path"].endswith(f"/edits/{edit_id}:commit")
    assert logged[0]["fault"]["kind"] == "status"


def test_the_upload_is_logged_as_a_summary(play: Play) -> None:
    edit_id = play.edit()
    play.ctl.clear_requests()
    play.upload(edit_id, 101, b"\x00\x01" * 100)
    (entry,) = play.ctl.requests("googleplay")
    assert entry["body"] == {
        "bundle": {
            "size": 200,
            "sha256": hashlib.sha256(b"\x00\x01" * 100).hexdigest(),
            "versionCode": 101,
        }
    }
    assert entry["path"].startswith("/upload/androidpublisher/v3/")


def _aab(entries: dict[str, bytes | str]) -> bytes:
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as aab:
        for name, body in entries.items():
            aab.writestr(name, body)
    return data.getvalue()


def test_a_zip_bundle_is_read_from_its_manifest_and_needs_bundle_config(play: Play) -> None:
    edit_id = play.edit()
    manifest = '<manifest android:versionCode="131" android:versionName="1.3.1"/>'
    good = play.http.post(
        play.upload_path(edit_id),
        params={"uploadType": "media"},
        headers={"Content-Type": "application/octet-stream"},
        content=_aab({"BundleConfig.pb": b"\x0a", "base/manifest/AndroidManifest.xml": manifest}),
    )
    assert good.status_code == 200 and good.json()["versionCode"] == 131, good.text
    bad = play.http.post(
        play.upload_path(edit_id),
        params={"uploadType": "media"},
        headers={"Content-Type": "application/octet-stream"},
        content=_aab({"base/manifest/AndroidManifest.xml": manifest}),
    )
    assert bad.status_code == 400 and "BundleConfig.pb" in error(bad)["message"]


def test_a_console_change_in_review_refuses_commits_that_ask_for_an_error(
    play: Play, clock: ManualClock
) -> None:
    play.ship(101)
    play.ctl.play_console_change(PKG, "Store listing")
    refused = play.change(
        "production", staged(101, 0.05), changesInReviewBehavior="ERROR_IF_IN_REVIEW"
    )
    assert refused.status_code == 400
    assert "CHANGES_ALREADY_IN_REVIEW" in json.dumps(error(refused)), refused.text
    clock.advance(2.0)  # the Console change's review ends
    assert (
        play.change(
            "production", staged(101, 0.05), changesInReviewBehavior="ERROR_IF_IN_REVIEW"
        ).status_code
        == 200
    )
