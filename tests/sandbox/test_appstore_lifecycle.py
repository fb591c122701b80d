"""The life of an App Store version in the sandbox, over the real API on a manual clock: build
processing, export compliance, TestFlight groups, version, phased release, review submission,
review, release request, phased days (pauses do not count), COMPLETE; and the refusals."""

# Fixtures come from asc_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from sandbox.appstore.keys import new_api_key
from sandbox.control_appstore import asc_jwt
from tests.sandbox.asc_helpers import (  # noqa: F401  (fixtures)
    APP_ID,
    Asc,
    _control,
    _http,
    asc,
    clock,
    sandbox,
    spec,
)

DAY = 86400


def _groups(asc: Asc) -> dict[str, str]:
    listed = asc.get("/v1/betaGroups", params={"filter[app]": APP_ID})
    assert listed.status_code == 200
    return {g["attributes"]["name"]: g["id"] for g in listed.json()["data"]}


def test_whole_life_of_a_version(asc: Asc) -> None:
    build_id = asc.ctl.asc_upload_build(APP_ID, "1.2.0", "45")
    found = asc.get(
        "/v1/builds",
        params={
            "filter[app]": APP_ID,
            "filter[version]": "45",
            "filter[preReleaseVersion.version]": "1.2.0",
            "include": "preReleaseVersion",
        },
    )
    assert found.status_code == 200
    assert [b["id"] for b in found.json()["data"]] == [build_id]
    attributes = found.json()["data"][0]["attributes"]
    assert attributes["processingState"] == "PROCESSING"
    assert "usesNonExemptEncryption" not in attributes  # unanswered
    assert found.json()["included"][0]["attributes"]["version"] == "1.2.0"
    assert "user-hour-lim:3600;user-hour-rem:" in found.headers["x-rate-limit"]

    asc.clock.advance(299)
    assert asc.get(f"/v1/builds/{build_id}").json()["data"]["attributes"]["processingState"] == (
        "PROCESSING"
    )
    asc.clock.advance(1)
    assert asc.get(f"/v1/builds/{build_id}").json()["data"]["attributes"]["processingState"] == (
        "VALID"
    )

    # Missing export compliance: no beta group, no review.
    internal = _groups(asc)["Internal"]
    linkage = {"data": [{"type": "builds", "id": build_id}]}
    refused = asc.post(f"/v1/betaGroups/{internal}/relationships/builds", linkage)
    assert refused.status_code == 409
    compliance = {
        "data": {"type": "builds", "id": build_id, "attributes": {"usesNonExemptEncryption": False}}
    }
    patched = asc.patch(f"/v1/builds/{build_id}", compliance)
    assert patched.json()["data"]["attributes"]["usesNonExemptEncryption"] is False
    assert asc.post(f"/v1/betaGroups/{internal}/relationships/builds", linkage).status_code == 204
    in_group = asc.get("/v1/betaGroups", params={"filter[builds]": build_id}).json()["data"]
    assert [g["id"] for g in in_group] == [internal]

    created = asc.new_version("1.2.0", build_id, "MANUAL")
    assert created.status_code == 201
    version_id = created.json()["data"]["id"]
    assert created.json()["data"]["attributes"]["appVersionState"] == "PREPARE_FOR_SUBMISSION"
    assert asc.new_version("1.2.0").status_code == 409  # duplicate versionString
    listed = asc.get(
        f"/v1/apps/{APP_ID}/appStoreVersions",
        params={"filter[versionString]": "1.2.0", "filter[platform]": "IOS"},
    )
    assert [v["id"] for v in listed.json()["data"]] == [version_id]

    phased = asc.phased(version_id)
    assert phased.status_code == 201
    phased_id = phased.json()["data"]["id"]
    assert phased.json()["data"]["attributes"]["phasedReleaseState"] == "INACTIVE"
    assert asc.set_phase(phased_id, "ACTIVE").status_code == 409  # not released yet

    submission_id = asc.submission().json()["data"]["id"]
    assert asc.submit(submission_id).status_code == 409  # no items
    assert asc.add_item(submission_id, version_id).status_code == 201
    submitted = asc.submit(submission_id)
    assert submitted.status_code == 200
    assert submitted.json()["data"]["attributes"]["state"] == "WAITING_FOR_REVIEW"
    assert asc.version_state(version_id) == "WAITING_FOR_REVIEW"

    asc.clock.advance(1800)  # review_seconds 3600: half waiting, half in review
    assert asc.version_state(version_id) == "IN_REVIEW"
    reviews = asc.get(
        "/v1/reviewSubmissions", params={"filter[app]": APP_ID, "filter[state]": "IN_REVIEW"}
    )
    assert [s["id"] for s in reviews.json()["data"]] == [submission_id]
    asc.clock.advance(1800)
    assert asc.version_state(version_id) == "PENDING_DEVELOPER_RELEASE"
    done = asc.get(f"/v1/reviewSubmissions/{submission_id}").json()
    assert done["data"]["attributes"]["state"] == "COMPLETE"

    released = asc.release(version_id)
    assert released.status_code == 201
    assert asc.release(version_id).status_code == 409  # already live
    assert asc.version_state(version_id) == "READY_FOR_DISTRIBUTION"
    phase = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease")
    attributes = phase.json()["data"]["attributes"]
    assert attributes["phasedReleaseState"] == "ACTIVE"
    assert attributes["currentDayNumber"] == 1
    assert "startDate" in attributes
    assert asc.state()["versions"][0]["rollout_percent"] == 1

    asc.clock.advance(2 * DAY)
    phase = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease").json()
    assert phase["data"]["attributes"]["currentDayNumber"] == 3
    paused = asc.set_phase(phased_id, "PAUSED")
    assert paused.json()["data"]["attributes"]["phasedReleaseState"] == "PAUSED"
    asc.clock.advance(5 * DAY)  # paused: the day does not move
    attributes = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease").json()[
        "data"
    ]["attributes"]
    assert (attributes["currentDayNumber"], attributes["totalPauseDuration"]) == (3, 5)
    resumed = asc.set_phase(phased_id, "ACTIVE")
    assert resumed.json()["data"]["attributes"]["phasedReleaseState"] == "ACTIVE"
    asc.clock.advance(3 * DAY)
    view = asc.state()["versions"][0]
    assert view["phased_release"]["day"] == 6
    assert view["rollout_percent"] == 50
    asc.clock.advance(1 * DAY)
    assert asc.state()["versions"][0]["phased_release"]["day"] == 7
    asc.clock.advance(1 * DAY)
    attributes = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease").json()[
        "data"
    ]["attributes"]
    assert attributes["phasedReleaseState"] == "COMPLETE"
    assert asc.set_phase(phased_id, "PAUSED").status_code == 409  # COMPLETE is final
    assert asc.state()["versions"][0]["rollout_percent"] == 100


def test_after_approval_goes_live_and_replaces_the_previous_version(asc: Asc) -> None:
    first = asc.submitted_version("1.0.0", "1", release_type="AFTER_APPROVAL")
    asc.ctl.asc_approve(APP_ID)
    assert asc.version_state(first) == "READY_FOR_DISTRIBUTION"
    assert asc.state()["versions"][0]["rollout_percent"] == 100  # no phased release
    second = asc.submitted_version("1.1.0", "2", release_type="AFTER_APPROVAL")
    asc.clock.advance(3600)
    assert asc.version_state(second) == "READY_FOR_DISTRIBUTION"
    assert asc.version_state(first) == "REPLACED_WITH_NEW_VERSION"


def test_release_to_all_completes_the_phased_release(asc: Asc) -> None:
    build_id = asc.valid_build()
    version_id = asc.new_version("1.2.0", build_id).json()["data"]["id"]
    phased_id = asc.phased(version_id).json()["data"]["id"]
    submission_id = asc.submission().json()["data"]["id"]
    asc.add_item(submission_id, version_id)
    asc.submit(submission_id)
    asc.ctl.asc_approve(APP_ID)
    asc.release(version_id)
    complete = asc.set_phase(phased_id, "COMPLETE")
    assert complete.json()["data"]["attributes"]["phasedReleaseState"] == "COMPLETE"
    assert asc.delete(f"/v1/appStoreVersionPhasedReleases/{phased_id}").status_code == 403


def test_rejection_keeps_the_reason_and_allows_resubmission(asc: Asc) -> None:
    version_id = asc.submitted_version()
    asc.clock.advance(1800)
    asc.ctl.asc_reject(APP_ID, "Guideline 4.0 - Design")
    assert asc.version_state(version_id) == "REJECTED"
    state = asc.state()
    assert state["rejections"][0]["reason"] == "Guideline 4.0 - Design"
    submission_id = state["submissions"][0]["id"]
    unresolved = asc.get(f"/v1/reviewSubmissions/{submission_id}").json()["data"]
    assert unresolved["attributes"]["state"] == "UNRESOLVED_ISSUES"
    assert asc.submit(submission_id).status_code == 200  # resubmitted as is
    assert asc.version_state(version_id) == "WAITING_FOR_REVIEW"


def test_clock_rejection_and_hold(asc: Asc) -> None:
    asc.ctl.asc_app(APP_ID, "com.acme.verifier", review_outcome="reject", rejection_reason="2.1")
    version_id = asc.submitted_version()
    asc.clock.advance(3600)
    assert asc.version_state(version_id) == "REJECTED"
    assert asc.state()["rejections"][0] == {
        "submission": asc.state()["submissions"][0]["id"],
        "version": version_id,
        "reason": "2.1",
        "by": "clock",
    }
    asc.ctl.asc_app(APP_ID, "com.acme.verifier", review_outcome="approve")
    asc.submit(asc.state()["submissions"][0]["id"])
    asc.ctl.asc_hold(APP_ID)
    asc.clock.advance(10 * 3600)
    assert asc.version_state(version_id) == "IN_REVIEW"
    asc.ctl.asc_approve(APP_ID)
    assert asc.version_state(version_id) == "PENDING_DEVELOPER_RELEASE"


def test_processing_failure(asc: Asc) -> None:
    build_id = asc.ctl.asc_upload_build(APP_ID, "1.2.0", "45")
    asc.ctl.asc_fail_processing(build_id, "INVALID")
    asc.clock.advance(600)
    build = asc.get(f"/v1/builds/{build_id}").json()["data"]
    assert build["attributes"]["processingState"] == "INVALID"
    created = asc.new_version("1.2.0", build_id)
    assert created.status_code == 409
    invalid = asc.get("/v1/builds", params={"filter[processingState]": "INVALID"}).json()
    assert [b["id"] for b in invalid["data"]] == [build_id]


def test_submission_refusals(asc: Asc) -> None:
    build_id = asc.ctl.asc_upload_build(APP_ID, "1.2.0", "45")
    asc.clock.advance(300)
    version_id = asc.new_version("1.2.0", build_id).json()["data"]["id"]
    submission_id = asc.submission().json()["data"]["id"]
    assert asc.submission().status_code == 409  # one unsubmitted submission per app
    asc.add_item(submission_id, version_id)
    refused = asc.submit(submission_id)
    assert refused.status_code == 409
    assert "export compliance" in refused.json()["errors"][0]["detail"]
    missing = asc.get("/v1/reviewSubmissions")  # filter[app] is required
    assert missing.status_code == 400


def test_pause_budget(asc: Asc) -> None:
    build_id = asc.valid_build()
    version_id = asc.new_version("1.2.0", build_id).json()["data"]["id"]
    phased_id = asc.phased(version_id).json()["data"]["id"]
    submission_id = asc.submission().json()["data"]["id"]
    asc.add_item(submission_id, version_id)
    asc.submit(submission_id)
    asc.ctl.asc_approve(APP_ID)
    asc.release(version_id)
    asc.set_phase(phased_id, "PAUSED")
    asc.clock.advance(20 * DAY)
    asc.set_phase(phased_id, "ACTIVE")
    asc.set_phase(phased_id, "PAUSED")
    asc.clock.advance(12 * DAY)  # the budget runs out after 10 more days: resumed by Apple
    phase = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease").json()
    attributes = phase["data"]["attributes"]
    assert attributes["phasedReleaseState"] == "ACTIVE"
    assert attributes["totalPauseDuration"] == 30
    assert attributes["currentDayNumber"] == 3  # 2 active days since the auto-resume
    refused = asc.set_phase(phased_id, "PAUSED")
    assert refused.status_code == 409
    assert "30 days" in refused.json()["errors"][0]["detail"]


def test_remove_from_sale(asc: Asc) -> None:
    version_id = asc.submitted_version(release_type="AFTER_APPROVAL")
    asc.ctl.asc_approve(APP_ID)
    removed = asc.post(
        "/v2/appAvailabilities",
        {
            "data": {
                "type": "appAvailabilities",
                "attributes": {"availableInNewTerritories": False},
                "relationships": {
                    "app": {"data": {"type": "apps", "id": APP_ID}},
                    "territoryAvailabilities": {"data": []},
                },
            }
        },
    )
    assert removed.status_code == 201
    assert asc.state()["on_sale"] is False
    version = asc.get(f"/v1/appStoreVersions/{version_id}").json()["data"]["attributes"]
    assert version["appStoreState"] == "DEVELOPER_REMOVED_FROM_SALE"


def test_includes_and_whats_new(asc: Asc) -> None:
    build_id = asc.valid_build()
    version_id = asc.new_version("1.2.0", build_id).json()["data"]["id"]
    phased_id = asc.phased(version_id).json()["data"]["id"]
    listed = asc.get(
        f"/v1/apps/{APP_ID}/appStoreVersions",
        params={"filter[platform]": "IOS", "include": "build,appStoreVersionPhasedRelease"},
    ).json()
    assert {(i["type"], i["id"]) for i in listed["included"]} == {
        ("builds", build_id),
        ("appStoreVersionPhasedReleases", phased_id),
    }
    linked = asc.get(f"/v1/appStoreVersions/{version_id}/build").json()["data"]
    assert linked["id"] == build_id
    (loc,) = asc.get(f"/v1/appStoreVersions/{version_id}/appStoreVersionLocalizations").json()[
        "data"
    ]
    body = {
        "data": {
            "type": "appStoreVersionLocalizations",
            "id": loc["id"],
            "attributes": {"whatsNew": "Bug fixes."},
        }
    }
    patched = asc.patch(f"/v1/appStoreVersionLocalizations/{loc['id']}", body)
    assert patched.json()["data"]["attributes"] == {"locale": "en-US", "whatsNew": "Bug fixes."}


def test_seed(asc: Asc) -> None:
    key_id, issuer_id, private_pem, public_pem = new_api_key()
    created = asc.ctl.seed(
        {
            "appstore": {
                "keys": [{"key_id": key_id, "issuer_id": issuer_id, "public_key_pem": public_pem}],
                "apps": [{"id": "555", "bundle_id": "com.acme.other", "beta_groups": ["QA"]}],
            },
            "sentry": {"health": [{"project": "1", "release": "r", "sessions_per_hour": 1}]},
        }
    )
    assert created["appstore_apps"] == ["555"]
    key = {"key_id": key_id, "issuer_id": issuer_id, "private_key": private_pem}
    token = asc_jwt(key, now=asc.clock())
    groups = asc.get("/v1/betaGroups", params={"filter[app]": "555"}, token=token).json()["data"]
    assert [g["attributes"]["name"] for g in groups] == ["QA"]


def test_apps_by_bundle_id(asc: Asc) -> None:
    found = asc.get("/v1/apps", params={"filter[bundleId]": "com.acme.verifier"}).json()["data"]
    assert [a["id"] for a in found] == [APP_ID]
    one = asc.get(f"/v1/apps/{APP_ID}").json()["data"]["attributes"]
    assert one["bundleId"] == "com.acme.verifier"
    asc.submitted_version()
    listed = asc.get(f"/v1/apps/{APP_ID}/reviewSubmissions").json()["data"]
    assert [s["attributes"]["state"] for s in listed] == ["WAITING_FOR_REVIEW"]
