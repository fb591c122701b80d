"""The Play sandbox driven by Google's own client library, google-api-python-client, built from
the androidpublisher discovery document (tests/specs, with the reference's gaps filled) pointed at
the sandbox: OAuth through google-auth's service-account grant, edits insert, bundle upload
(media), tracks get/update, commit with changesInReviewBehavior, the releases list, a halt.
Whatever the library's strict handling refuses — a parameter the description does not know, an
answer that is not what it expects — fails here."""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

import copy
import io
import zipfile
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2 import service_account
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from sandbox.server import RunningSandbox
from tests.sandbox._discovery import androidpublisher
from tests.sandbox.play_helpers import (  # noqa: F401  (fixtures)
    LIVE,
    PKG,
    PUBLISHER,
    Play,
    _google,
    clock,
    keys,
    play,
    sandbox,
)


def google_play(play: Play, sandbox: RunningSandbox) -> Any:
    """androidpublisher v3 as Google's client builds it, with the sandbox as its root URL."""
    document = copy.deepcopy(androidpublisher())
    document["rootUrl"] = f"{sandbox.url}/google/"
    document["baseUrl"] = f"{sandbox.url}/google/"
    credentials = service_account.Credentials.from_service_account_info(
        play.account, scopes=[PUBLISHER]
    )
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=10))
    return build_from_document(document, http=http)


def bundle(version_code: int) -> MediaIoBaseUpload:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as aab:
        aab.writestr("BundleConfig.pb", b"\x0a\x05\x0a\x031.0")
        aab.writestr(
            "base/manifest/AndroidManifest.xml",
            f'<manifest android:versionCode="{version_code}" android:versionName="1.1.0"/>',
        )
    data.seek(0)
    return MediaIoBaseUpload(data, mimetype="application/octet-stream", resumable=False)


def change(edits: Any, track: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """insert → tracks.get → tracks.update → commit(ERROR_IF_IN_REVIEW), as the orchestrator does."""
    edit = edits.insert(packageName=PKG, body={}).execute()
    edits.tracks().get(packageName=PKG, editId=edit["id"], track=track).execute()
    edits.tracks().update(
        packageName=PKG, editId=edit["id"], track=track, body={"track": track, "releases": releases}
    ).execute()
    committed: dict[str, Any] = edits.commit(
        packageName=PKG, editId=edit["id"], changesInReviewBehavior="ERROR_IF_IN_REVIEW"
    ).execute()
    return committed


def test_google_client_uploads_promotes_is_refused_in_review_and_halts(
    play: Play, sandbox: RunningSandbox
) -> None:
    service = google_play(play, sandbox)
    edits = service.edits()

    # upload a bundle to the internal track
    edit = edits.insert(packageName=PKG, body={}).execute()
    uploaded = (
        edits.bundles().upload(packageName=PKG, editId=edit["id"], media_body=bundle(101)).execute()
    )
    assert uploaded["versionCode"] == 101 and len(uploaded["sha256"]) == 64
    track = (
        edits.tracks()
        .update(
            packageName=PKG,
            editId=edit["id"],
            track="internal",
            body={
                "track": "internal",
                "releases": [{"versionCodes": ["101"], "status": "completed"}],
            },
        )
        .execute()
    )
    assert track["releases"][0]["versionCodes"] == ["101"]
    edits.commit(
        packageName=PKG, editId=edit["id"], changesInReviewBehavior="ERROR_IF_IN_REVIEW"
    ).execute()

    # promote to production at 5 %: in review
    change(
        edits,
        "production",
        [
            {
                "versionCodes": ["101"],
                "status": "inProgress",
                "userFraction": 0.05,
                "name": "1.1.0",
            },
            {"versionCodes": [str(LIVE)], "status": "completed"},
        ],
    )
    states = (
        service.applications()
        .tracks()
        .releases()
        .list(packageName=PKG, track="production")
        .execute()
    )
    lifecycle = {
        r["activeArtifacts"][0]["versionCode"]: r["releaseLifecycleState"]
        for r in states["releases"]
    }
    assert lifecycle[101] == "RELEASE_LIFECYCLE_STATE_IN_REVIEW"

    # another commit while the review runs: refused, with the reason the orchestrator retries on
    with pytest.raises(HttpError) as refused:
        change(
            edits,
            "production",
            [
                {"versionCodes": ["101"], "status": "inProgress", "userFraction": 0.1},
                {"versionCodes": [str(LIVE)], "status": "completed"},
            ],
        )
    assert refused.value.resp.status == 400
    assert "CHANGES_ALREADY_IN_REVIEW" in str(refused.value.error_details)

    # approved, then halted at 5 %: the name stays, the previous release keeps serving
    play.ctl.play_review_now(PKG)
    change(
        edits, "production", [{"versionCodes": ["101"], "status": "halted", "userFraction": 0.05}]
    )
    edit = edits.insert(packageName=PKG, body={}).execute()
    production = (
        edits.tracks().get(packageName=PKG, editId=edit["id"], track="production").execute()
    )
    edits.delete(packageName=PKG, editId=edit["id"]).execute()
    by_code = {r["versionCodes"][0]: r for r in production["releases"]}
    assert by_code["101"]["status"] == "halted" and by_code["101"]["userFraction"] == 0.05
    assert by_code["101"]["name"] == "1.1.0"
    assert by_code[str(LIVE)]["status"] == "completed"


def test_google_client_refuses_an_unknown_commit_behaviour_before_sending(
    play: Play, sandbox: RunningSandbox
) -> None:
    """The library checks parameters against the description: the sandbox's description (with the
    reference's gaps filled) is what makes the right value pass and a wrong one fail."""
    edits = google_play(play, sandbox).edits()
    edit = edits.insert(packageName=PKG, body={}).execute()
    with pytest.raises(TypeError):
        edits.commit(packageName=PKG, editId=edit["id"], changesInReviewBehavior="CANCEL_NOTHING")
