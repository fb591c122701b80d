"""What the Google clients send, and the canned answers they are fed, checked against Google's own
discovery documents (tests/specs), turned into JSON Schema by tests/clients/_discovery.py.

Two things the 2024 androidpublisher revision does not carry are checked by hand, following
shared/reference/mobile-apis.md: edits.commit's `changesInReviewBehavior` query parameter (§2.5,
§6) and `GET applications/{pkg}/tracks/{track}/releases` (§0.7, §2.5).
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import jsonschema
import pytest

from clients import LocalizedText, PlayPublisherClient, PlayReportingClient, Release
from tests.clients._canned_google import (
    APP,
    BUNDLES,
    COMMIT,
    EDIT,
    EDIT_PATH,
    EDITS,
    IN_REVIEW,
    PKG,
    PLAY_URL,
    REPORTING_URL,
    TRACK,
    UPLOAD,
    FakeTokens,
    app_edit,
    bundle,
    metrics_row,
    query_answer,
    release,
    release_summary,
    track,
)
from tests.clients._discovery import (
    GOOGLE_PLAY,
    GOOGLE_REPORTING,
    check_exchange,
    json_schema,
    method_for,
    validate,
)
from tests.clients._support import Exchange, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

AAB = b"PK\x03\x04 conformance bundle" * 32
RELEASES = APP + r"/tracks/\w+/releases"
# Reference §2.5/§6: edits.commit takes changesInReviewBehavior (newer than the discovery copy).
COMMIT_EXTRA = frozenset({"changesInReviewBehavior"})
REVIEW_BEHAVIOURS = {
    "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED",
    "CANCEL_IN_REVIEW_AND_SUBMIT",
    "ERROR_IF_IN_REVIEW",
}
LIFECYCLE_STATES = {
    f"RELEASE_LIFECYCLE_STATE_{s}"
    for s in (
        "UNSPECIFIED",
        "DRAFT",
        "NOT_SENT_FOR_REVIEW",
        "IN_REVIEW",
        "APPROVED_NOT_PUBLISHED",
        "NOT_APPROVED",
        "PUBLISHED",
    )
}


def crash_row_for_conformance(hour: int) -> dict:
    return metrics_row(
        hour, 10203, crashRate="0.0123", userPerceivedCrashRate="0.0045", distinctUsers="1200"
    )


def anr_row_for_conformance(hour: int) -> dict:
    return metrics_row(
        hour, 10203, anrRate="0.0031", userPerceivedAnrRate="0.0012", distinctUsers="1190"
    )


def _echo(request: httpx.Request, _match) -> Reply:
    return Reply(200, httpx.Response(200, content=request.content).json())


def _check_releases_list(exchange: Exchange) -> None:
    """applications.tracks.releases.list, by hand (reference §2.5): GET, no edit in the path,
    no body, no query; answer {"releases": [ReleaseSummary]} with versionCode an integer."""
    request = exchange.request
    assert request.method == "GET" and "/edits/" not in request.url.path
    assert not request.content and not request.url.params
    assert exchange.response is not None
    body = exchange.response.json()
    assert set(body) <= {"releases"}
    for summary in body.get("releases", []):
        assert set(summary) <= {"releaseName", "track", "activeArtifacts", "releaseLifecycleState"}
        assert summary["releaseLifecycleState"] in LIFECYCLE_STATES
        for artifact in summary["activeArtifacts"]:
            assert set(artifact) == {"versionCode"} and isinstance(artifact["versionCode"], int)


def _check_play_session(provider: ScriptedProvider) -> set[str]:
    described: set[str] = set()
    for exchange in provider.exchanges:
        if exchange.request.url.path.endswith("/releases"):
            _check_releases_list(exchange)
            described.add("applications.tracks.releases.list (reference)")
            continue
        is_commit = exchange.request.url.path.endswith(":commit")
        method = check_exchange(
            GOOGLE_PLAY,
            exchange.request,
            exchange.response,
            undocumented_query=COMMIT_EXTRA if is_commit else frozenset(),
        )
        described.add(method["id"])
        if is_commit:
            # Hand-checked (reference §2.5): always sent, one of the documented values.
            params = exchange.request.url.params
            assert params["changesInReviewBehavior"] in REVIEW_BEHAVIOURS
            assert params.get("changesNotSentForReview", "true") in ("true", "false")
    return described


async def test_every_play_request_and_answer_fits_the_discovery_document(provider, fake_time):
    provider.on("POST", EDITS, Reply(200, app_edit()))
    provider.on("DELETE", EDIT_PATH, Reply(204, text=""))
    provider.on("GET", EDIT_PATH, Reply(200, app_edit()))
    provider.on("POST", UPLOAD, Reply(error=httpx.ReadTimeout), Reply(200, bundle(10203, AAB)))
    provider.on("GET", BUNDLES, Reply(200, {"kind": "androidpublisher#bundlesListResponse"}))
    staged = track(
        "production",
        release(["10202"], "completed", name="1.2.2", notes=[("en-US", "Old")]),
        release(["10203"], "inProgress", name="1.2.3", fraction=0.05),
    )
    provider.on(
        "GET",
        TRACK,
        Reply(200, track("internal")),
        Reply(200, staged),
        Reply(200, staged),
        Reply(200, staged),
    )
    provider.on("PUT", TRACK, _echo)
    provider.on(
        "POST",
        COMMIT,
        Reply(200, app_edit()),
        Reply(502, text="lost"),  # read back via edits.get, then sent again
        Reply(200, app_edit()),
        Reply(400, IN_REVIEW),
        Reply(200, app_edit()),
    )
    provider.on(
        "GET",
        RELEASES,
        Reply(
            200,
            {
                "releases": [
                    release_summary("1.2.3", "production", [10203], "IN_REVIEW"),
                    release_summary("1.2.2", "production", [10202], "PUBLISHED"),
                ]
            },
        ),
    )
    async with PlayPublisherClient(
        PLAY_URL, FakeTokens(), transport=provider.transport, retry=fake_time.policy()
    ) as play:
        await play.upload_to_track(
            PKG,
            "internal",
            AAB,
            release_name="1.2.3",
            release_notes=[LocalizedText(language="en-US", text="Faster wallet sync")],
        )
        await play.apply_track_release(
            PKG,
            "production",
            Release(version_codes=("10203",), status="inProgress", user_fraction=0.2),
        )
        with pytest.raises(Exception, match="CHANGES_ALREADY_IN_REVIEW"):
            await play.apply_track_release(
                PKG, "production", Release(version_codes=("10203",), status="halted")
            )
        await play.commit_edit(PKG, EDIT, changes_not_sent_for_review=True)
        await play.list_releases(PKG, "production")
        await play.get_edit(PKG, EDIT)
    described = _check_play_session(provider)
    assert described == {
        "androidpublisher.edits.insert",
        "androidpublisher.edits.get",
        "androidpublisher.edits.delete",
        "androidpublisher.edits.commit",
        "androidpublisher.edits.bundles.upload",
        "androidpublisher.edits.bundles.list",
        "androidpublisher.edits.tracks.get",
        "androidpublisher.edits.tracks.update",
        "applications.tracks.releases.list (reference)",
    }


async def test_every_reporting_request_and_answer_fits_the_discovery_document(provider, fake_time):
    crash = f"/v1beta1/apps/{PKG}/crashRateMetricSet:query"
    anr = f"/v1beta1/apps/{PKG}/anrRateMetricSet:query"
    provider.on(
        "POST",
        crash,
        Reply(200, query_answer(crash_row_for_conformance(9), next_page="p2")),
        Reply(200, query_answer(crash_row_for_conformance(10))),
        Reply(200, {}),
    )
    provider.on("POST", anr, Reply(200, query_answer(anr_row_for_conformance(9))), Reply(200, {}))
    async with PlayReportingClient(
        REPORTING_URL, FakeTokens(), transport=provider.transport, retry=fake_time.policy()
    ) as reporting:
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        await reporting.vitals(PKG, 10203, start=start, end=datetime(2026, 3, 2, 11, tzinfo=UTC))
        await reporting.vitals(
            PKG, 10203, start=start, end=datetime(2026, 3, 9, tzinfo=UTC), aggregation="DAILY"
        )
    ids = {
        check_exchange(GOOGLE_REPORTING, e.request, e.response)["id"] for e in provider.exchanges
    }
    assert ids == {
        "playdeveloperreporting.vitals.crashrate.query",
        "playdeveloperreporting.vitals.anrrate.query",
    }
    assert len(provider.exchanges) == 5


def test_canned_play_answers_fit_their_schemas():
    validate(GOOGLE_PLAY, "AppEdit", app_edit())
    validate(GOOGLE_PLAY, "Bundle", bundle(10203, AAB))
    validate(
        GOOGLE_PLAY,
        "Track",
        track(
            "production",
            release(["10202"], "completed", name="1.2.2", notes=[("en-US", "x")]),
            release(["10203"], "halted", fraction=0.2),
        ),
    )
    validate(GOOGLE_PLAY, "BundlesListResponse", {"bundles": [bundle(1, b"x")]})


def test_canned_reporting_answers_fit_their_schemas():
    schema = "GooglePlayDeveloperReportingV1beta1QueryCrashRateMetricSetResponse"
    validate(GOOGLE_REPORTING, schema, query_answer(crash_row_for_conformance(9), next_page="x"))
    validate(GOOGLE_REPORTING, schema, query_answer(metrics_row(3, 1, crashRate="0.1")))


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ("TrackRelease", {"versionCodes": [10203], "status": "completed"}),  # int64 is a string
        ("TrackRelease", {"versionCodes": ["10203"], "status": "rolling"}),  # not in the enum
        ("TrackRelease", {"versionCode": ["10203"], "status": "completed"}),  # misspelt field
        ("TrackRelease", {"versionCodes": ["10203"], "userFraction": "0.2"}),  # a number
        ("Bundle", {"versionCode": 2**31}),  # int32
    ],
)
def test_the_converted_schemas_have_teeth(schema, instance):
    with pytest.raises(jsonschema.ValidationError):
        validate(GOOGLE_PLAY, schema, instance)


def test_output_only_fields_are_refused_in_requests():
    validate(GOOGLE_PLAY, "AppEdit", {"id": "x"})
    with pytest.raises(jsonschema.ValidationError):
        validate(GOOGLE_PLAY, "AppEdit", {"id": "x"}, request=True)
    assert json_schema(GOOGLE_PLAY, "AppEdit", request=True)["$ref"] == "#/definitions/AppEdit"


def test_paths_map_to_their_methods():
    commit = f"/androidpublisher/v3/applications/{PKG}/edits/{EDIT}:commit"
    assert method_for(GOOGLE_PLAY, "POST", commit)[0]["id"] == "androidpublisher.edits.commit"
    upload = f"/upload/androidpublisher/v3/applications/{PKG}/edits/{EDIT}/bundles"
    method, media = method_for(GOOGLE_PLAY, "POST", upload)
    assert method["id"] == "androidpublisher.edits.bundles.upload" and media
    with pytest.raises(AssertionError, match="not described"):
        method_for(GOOGLE_PLAY, "GET", f"/androidpublisher/v3/applications/{PKG}/tracks/x/releases")
