"""The fake Google Play answers what Google's own discovery documents (tests/specs/google-*.json)
describe: every exchange of a whole release is checked — query parameters, JSON request bodies,
response bodies against the method's response schema, errors against googleapis.com's error shape,
the token endpoint against RFC 6749 as Google answers it.

Known gaps of the trimmed androidpublisher revision (tests/specs/README.md) are filled from the
reference by tests/sandbox/_discovery.py: `changesInReviewBehavior` on edits.commit and
applications.tracks.releases.list. The tests at the end pin those gaps down, and the converter's
strictness.
"""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import httpx
import pytest

from sandbox.clock import ManualClock
from tests.sandbox._discovery import (
    ANDROIDPUBLISHER,
    GOOGLE_ERROR,
    OAUTH_ERROR,
    OAUTH_TOKEN,
    androidpublisher,
    body_errors,
    discovery,
    exchange_errors,
    find_method,
    query_errors,
    reporting,
    schema_errors,
)
from tests.sandbox.play_helpers import (  # noqa: F401  (fixtures)
    LIVE,
    PKG,
    Play,
    _google,
    clock,
    full,
    keys,
    play,
    sandbox,
    staged,
)


@pytest.fixture
def recorded(play: Play) -> Iterator[list[httpx.Response]]:
    """Every response play.http receives during the test (bodies read)."""
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    play.http.event_hooks = {"request": [], "response": [keep]}
    yield seen
    play.http.event_hooks = {"request": [], "response": []}


def problems(response: httpx.Response, check_request: bool = True) -> list[str]:
    path = response.request.url.path
    if path.startswith("/google/oauth2/"):
        schema = OAUTH_TOKEN if response.is_success else OAUTH_ERROR
        return schema_errors(schema, response.json())
    if path.startswith("/google/playdeveloperreporting/"):
        return exchange_errors(
            reporting(),
            response,
            strip="/google/playdeveloperreporting/",
            check_request=check_request,
        )
    return exchange_errors(
        androidpublisher(), response, strip="/google/", check_request=check_request
    )


def assert_all_conform(responses: list[httpx.Response], check_requests: bool = True) -> None:
    found = {
        f"{r.request.method} {r.request.url.path} -> {r.status_code}": p
        for r in responses
        if (p := problems(r, check_requests))
    }
    assert not found, found


def test_a_whole_android_release_conforms(
    play: Play, recorded: list[httpx.Response], clock: ManualClock
) -> None:
    http = play.http
    edit_id = play.edit()
    assert play.upload(edit_id, 101).status_code == 200
    http.get(play.app_path(f"/edits/{edit_id}"))
    http.get(play.app_path(f"/edits/{edit_id}/bundles"))
    http.get(play.app_path(f"/edits/{edit_id}/tracks"))
    play.put_track(edit_id, "internal", full(101, name="1.0.1"))
    http.get(play.app_path(f"/edits/{edit_id}/tracks/internal"))
    http.post(play.app_path(f"/edits/{edit_id}:validate"))
    assert play.commit(edit_id).status_code == 200
    play.releases("internal")

    edit_id = play.edit()
    notes = [{"language": "en-US", "text": "Faster proofs."}]
    http.patch(
        play.app_path(f"/edits/{edit_id}/tracks/production"),
        json={"track": "production", "releases": [staged(101, 0.05, releaseNotes=notes)]},
    )
    commit = play.commit(edit_id, changesInReviewBehavior="ERROR_IF_IN_REVIEW")
    assert commit.status_code == 200
    play.releases()
    in_review = play.change(
        "production", staged(101, 0.2), changesInReviewBehavior="ERROR_IF_IN_REVIEW"
    )
    assert in_review.status_code == 400
    clock.advance(2)
    for release in (staged(101, 0.2), staged(101, 0.2, "halted"), staged(101, 0.5), full(101)):
        assert play.change("production", release, changesNotSentForReview="false").is_success
    play.releases()
    http.delete(play.app_path(f"/edits/{play.edit()}"))

    play.ctl.play_set_vitals(PKG, 101)
    end = clock().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=2)
    for metric_set, metrics in (
        ("crashRateMetricSet", ["crashRate", "userPerceivedCrashRate", "distinctUsers"]),
        ("anrRateMetricSet", ["anrRate", "userPerceivedAnrRate", "distinctUsers"]),
    ):
        http.get(play.report_path(metric_set))
        answer = http.post(
            play.report_path(f"{metric_set}:query"),
            json={
                "timelineSpec": {
                    "aggregationPeriod": "HOURLY",
                    "startTime": {
                        "year": start.year,
                        "month": start.month,
                        "day": start.day,
                        "hours": start.hour,
                        "timeZone": {"id": "UTC"},
                    },
                    "endTime": {
                        "year": end.year,
                        "month": end.month,
                        "day": end.day,
                        "hours": end.hour,
                        "timeZone": {"id": "UTC"},
                    },
                },
                "dimensions": ["versionCode"],
                "metrics": metrics,
                "filter": "versionCode = 101",
                "pageSize": 1,
            },
        )
        assert answer.status_code == 200 and answer.json()["nextPageToken"]
    assert len(recorded) > 25
    assert_all_conform(recorded)


def test_error_answers_conform(play: Play, recorded: list[httpx.Response]) -> None:
    http = play.http
    edit_id = play.edit()
    play.upload(edit_id, LIVE)  # version code used
    play.put_track(edit_id, "beta", staged(LIVE, 0.1))  # first release staged
    play.put_track(edit_id, "production", full(999))  # unknown version code
    play.put_track(edit_id, "production", {"versionCodes": ["1"], "fraction": 1})  # unknown field
    play.edit()
    http.get(play.app_path(f"/edits/{edit_id}"))  # deleted
    http.post(play.app_path("/edits", package="com.acme.ghost"))
    http.get(play.app_path("/tracks/production/releases"), headers={"Authorization": ""})
    reporting_only = play.ctl.play_token(
        play.account, scopes=["https://www.googleapis.com/auth/playdeveloperreporting"]
    )
    http.post(play.app_path("/edits"), headers={"Authorization": f"Bearer {reporting_only}"})
    http.post(play.report_path("crashRateMetricSet:query"), json={"metrics": ["crashRate"]})
    play.ctl.add_fault("googleplay", "status", status=503, count=1)
    http.get(play.app_path("/tracks/production/releases"))
    play.ctl.add_fault("googleplay", "rate_limit", count=1)
    http.get(play.app_path("/tracks/production/releases"))
    http.post("/oauth2/token", data={"grant_type": "password"})
    http.post(
        "/oauth2/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y.z"},
    )
    failures = [r for r in recorded if r.is_error]
    assert len(failures) == 13
    assert_all_conform(recorded, check_requests=False)  # some were sent wrong on purpose


def test_what_ci_sends_conforms(play: Play) -> None:
    """The requests SandboxControl.play_upload_internal makes, read back from the request log."""
    play.ctl.clear_requests()
    play.ship(101)
    document = androidpublisher()
    logged = play.ctl.requests("googleplay")
    assert [e["method"] for e in logged] == ["POST", "POST", "PUT", "POST"]
    for entry in logged:
        method = find_method(
            document,
            entry["method"],
            entry["path"].removeprefix("/")
            if not entry["path"].startswith("/upload/")
            else entry["path"],
        )
        query = [(k, v) for k, v in entry["query"].items()]
        assert not query_errors(document, method, query), entry
        if method.request and isinstance(entry["body"], dict) and "bundle" not in entry["body"]:
            assert not body_errors(document, method.request, entry["body"]), entry


# -- the helper and the documented gaps ----------------------------------------------------------


def test_the_converter_catches_what_google_would_not_read() -> None:
    document = androidpublisher()
    good = {
        "track": "production",
        "releases": [{"versionCodes": ["101"], "status": "inProgress", "userFraction": 0.05}],
    }
    assert body_errors(document, "Track", good) == []
    assert body_errors(document, "Track", {"releases": [{"userFractions": 0.05}]})
    assert body_errors(document, "Track", {"releases": [{"versionCodes": [101]}]})  # int64 text
    assert body_errors(document, "Track", {"releases": [{"status": "rolling"}]})
    assert body_errors(document, "Bundle", {"versionCode": "101"})  # int32 is a number
    row = {"dimensions": [{"dimension": "versionCode", "int64Value": 101}]}
    assert body_errors(reporting(), "GooglePlayDeveloperReportingV1beta1MetricsRow", row)


def test_the_trimmed_revision_lacks_what_the_reference_documents() -> None:
    raw = discovery(ANDROIDPUBLISHER)
    commit = find_method(raw, "POST", "androidpublisher/v3/applications/p/edits/1:commit")
    gap = [("changesInReviewBehavior", "ERROR_IF_IN_REVIEW")]
    assert query_errors(raw, commit, gap) == ["unknown query parameter changesInReviewBehavior"]
    with pytest.raises(LookupError):
        find_method(raw, "GET", "androidpublisher/v3/applications/p/tracks/production/releases")
    filled = androidpublisher()
    commit = find_method(filled, "POST", "androidpublisher/v3/applications/p/edits/1:commit")
    assert query_errors(filled, commit, gap) == []
    assert query_errors(filled, commit, [("changesInReviewBehavior", "NEVER")])
    releases = find_method(filled, "GET", "androidpublisher/v3/applications/p/tracks/t/releases")
    assert releases.response == "ListReleaseSummariesResponse"


def test_upload_paths_resolve_to_the_upload_method() -> None:
    method = find_method(
        androidpublisher(), "POST", "/upload/androidpublisher/v3/applications/p/edits/1/bundles"
    )
    assert method.id == "androidpublisher.edits.bundles.upload"
    assert query_errors(androidpublisher(), method, [("uploadType", "media")]) == []


def test_the_google_error_shape_is_strict() -> None:
    assert schema_errors(GOOGLE_ERROR, {"error": {"code": 400, "message": "x", "status": "NOPE"}})
    assert schema_errors(GOOGLE_ERROR, {"message": "x"})
