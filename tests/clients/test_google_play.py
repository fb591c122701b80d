"""PlayPublisherClient: edits, uploads, tracks, commits that always say ERROR_IF_IN_REVIEW, whole
changes in one edit (deleted on failure), lost commit answers read back, release states without
an edit, Google's error shape, and tokens that never show."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from clients import (
    AppEdit,
    Bundle,
    ChangesInReviewError,
    LocalizedText,
    NotFoundError,
    PlayPublisherClient,
    ProviderError,
    Release,
    ServiceAccountCredentials,
    Track,
    TrackReleaseState,
)
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
    TRACK,
    UPLOAD,
    UPLOAD_URL,
    FakeTokens,
    app_edit,
    bundle,
    g_error,
    release,
    release_summary,
    service_account_info,
    track,
)
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

AAB = b"PK\x03\x04 not really an app bundle, but bytes all the same" * 64
NOTES = [("en-US", "Faster wallet sync")]


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
async def play(
    provider: ScriptedProvider, fake_time: FakeTime, tokens: FakeTokens
) -> AsyncIterator[PlayPublisherClient]:
    async with PlayPublisherClient(
        PLAY_URL, tokens, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


def edits_open(provider: ScriptedProvider, *ids: str) -> None:
    provider.on("POST", EDITS, *(Reply(200, app_edit(i)) for i in (ids or (EDIT,))))
    provider.on("DELETE", EDIT_PATH, Reply(204, text=""))


def sequence(provider: ScriptedProvider) -> list[str]:
    """What was asked, in order, with the package and edit ids left out."""
    steps = []
    for exchange in provider.exchanges:
        path = exchange.request.url.path
        for part in (f"/applications/{PKG}", "/androidpublisher/v3", "/upload"):
            path = path.replace(part, "")
        for edit_id in ("edit-4f9c", "edit-2", "edit-3"):
            path = path.replace(edit_id, "E")
        steps.append(f"{exchange.request.method} {path}")
    return steps


# -- edits ---------------------------------------------------------------------------------------


async def test_insert_edit_sends_an_empty_app_edit_with_the_bearer_token(play, provider):
    provider.on("POST", EDITS, Reply(200, app_edit()))
    edit = await play.insert_edit(PKG)
    assert edit == AppEdit(id=EDIT, expiry_time_seconds=1772496000)
    (post,) = provider.exchanges
    assert str(post.request.url) == f"{PLAY_URL}/applications/{PKG}/edits"
    assert post.body == {}
    assert post.request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_delete_edit_counts_an_edit_already_gone_as_deleted(play, provider):
    provider.on(
        "DELETE", EDIT_PATH, Reply(204, text=""), Reply(404, g_error(404, "NOT_FOUND", "x"))
    )
    await play.delete_edit(PKG, EDIT)
    await play.delete_edit(PKG, EDIT)
    assert len(provider.exchanges) == 2


async def test_delete_edit_whose_answer_was_lost_is_deleted_when_sent_again(play, provider):
    # the first DELETE took effect but its answer was lost: Play says so of the second
    gone = g_error(400, "FAILED_PRECONDITION", "This Edit has been deleted.")
    provider.on("DELETE", EDIT_PATH, Reply(502, text="Bad Gateway"), Reply(400, gone))
    await play.delete_edit(PKG, EDIT)
    assert len(provider.exchanges) == 2


async def test_delete_edit_refused_for_another_reason_is_an_error(play, provider):
    provider.on("DELETE", EDIT_PATH, Reply(400, g_error(400, "INVALID_ARGUMENT", "Bad edit id.")))
    with pytest.raises(ProviderError):
        await play.delete_edit(PKG, EDIT)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"changesInReviewBehavior": "ERROR_IF_IN_REVIEW"}),
        (
            {"changes_not_sent_for_review": True},
            {"changesInReviewBehavior": "ERROR_IF_IN_REVIEW", "changesNotSentForReview": "true"},
        ),
        (
            {"changes_not_sent_for_review": False},
            {"changesInReviewBehavior": "ERROR_IF_IN_REVIEW", "changesNotSentForReview": "false"},
        ),
        (
            {"changes_in_review_behavior": "CANCEL_IN_REVIEW_AND_SUBMIT"},
            {"changesInReviewBehavior": "CANCEL_IN_REVIEW_AND_SUBMIT"},
        ),
    ],
    ids=["default", "not-sent", "sent", "explicit-cancel"],
)
async def test_commit_always_says_what_to_do_with_changes_in_review(
    play, provider, kwargs, expected
):
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    assert (await play.commit_edit(PKG, EDIT, **kwargs)).id == EDIT
    (post,) = provider.exchanges
    assert post.request.url.path == f"{APP}/edits/{EDIT}:commit"
    assert dict(post.request.url.params) == expected
    assert not post.request.content


async def test_changes_in_review_is_a_distinct_error_and_final(play, provider):
    provider.on("POST", COMMIT, Reply(400, IN_REVIEW))
    with pytest.raises(ChangesInReviewError) as caught:
        await play.commit_edit(PKG, EDIT)
    error = caught.value
    assert isinstance(error, ProviderError)
    assert (error.provider, error.operation, error.status, error.code) == (
        "google-play",
        "commit_edit",
        400,
        "CHANGES_ALREADY_IN_REVIEW",
    )
    assert error.detail.startswith("FAILED_PRECONDITION: You already have changes in review")
    assert len(provider.exchanges) == 1
    assert type(pickle.loads(pickle.dumps(error))) is ChangesInReviewError


async def test_other_commit_refusals_stay_plain_provider_errors(play, provider):
    body = g_error(
        400,
        "FAILED_PRECONDITION",
        "Changes cannot be sent for review automatically. Please set the query parameter "
        "changesNotSentForReview to true.",
    )
    provider.on("POST", COMMIT, Reply(400, body))
    with pytest.raises(ProviderError) as caught:
        await play.commit_edit(PKG, EDIT)
    assert type(caught.value) is ProviderError
    assert caught.value.code == "FAILED_PRECONDITION"
    assert "changesNotSentForReview" in caught.value.detail


# -- lost commit answers -------------------------------------------------------------------------


LOST = [
    Reply(502, text="<html>bad gateway</html>"),
    Reply(500, g_error(500, "INTERNAL", "Internal error encountered.")),
    Reply(error=httpx.ReadTimeout),
]


@pytest.mark.parametrize("lost", LOST, ids=lambda r: str(r.error or r.status))
async def test_a_lost_commit_whose_edit_is_still_open_is_sent_again(play, provider, lost):
    provider.on("POST", COMMIT, lost, Reply(200, app_edit()))
    provider.on("GET", EDIT_PATH, Reply(200, app_edit()))
    assert (await play.commit_edit(PKG, EDIT)).id == EDIT
    assert sequence(provider) == ["POST /edits/E:commit", "GET /edits/E", "POST /edits/E:commit"]


@pytest.mark.parametrize(
    "gone",
    [
        Reply(404, g_error(404, "NOT_FOUND", "Edit not found.")),
        Reply(400, g_error(400, "FAILED_PRECONDITION", "This Edit has been deleted.")),
    ],
    ids=["404", "deleted"],
)
async def test_a_lost_commit_whose_edit_is_gone_is_never_sent_again(play, provider, gone):
    provider.on("POST", COMMIT, Reply(error=httpx.ReadTimeout), Reply(200, app_edit()))
    provider.on("GET", EDIT_PATH, gone)
    with pytest.raises(ProviderError, match="read the track before trying again"):
        await play.commit_edit(PKG, EDIT)
    assert len(provider.calls("POST", COMMIT)) == 1


# -- bundles -------------------------------------------------------------------------------------


async def test_upload_bundle_posts_the_bytes_as_media_with_a_long_timeout(play, provider):
    provider.on("POST", UPLOAD, Reply(200, bundle(10203, AAB)))
    uploaded = await play.upload_bundle(PKG, EDIT, AAB)
    assert uploaded == Bundle(
        version_code=10203,
        sha1=hashlib.sha1(AAB).hexdigest(),
        sha256=hashlib.sha256(AAB).hexdigest(),
    )
    (post,) = provider.exchanges
    assert (
        str(post.request.url)
        == f"{UPLOAD_URL}/applications/{PKG}/edits/{EDIT}/bundles?uploadType=media"
    )
    assert post.request.headers["content-type"] == "application/octet-stream"
    assert post.request.content == AAB
    assert post.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.request.extensions["timeout"]["read"] >= 120  # Google asks for 2 minutes or more


async def test_upload_lost_but_in_the_edit_is_not_sent_again(play, provider):
    provider.on("POST", UPLOAD, Reply(error=httpx.ReadTimeout), Reply(200, bundle(10203, AAB)))
    other = bundle(10202, b"an older bundle")
    provider.on("GET", BUNDLES, Reply(200, {"kind": "x", "bundles": [other, bundle(10203, AAB)]}))
    assert (await play.upload_bundle(PKG, EDIT, AAB)).version_code == 10203
    assert len(provider.calls("POST", UPLOAD)) == 1


async def test_upload_lost_and_not_in_the_edit_is_sent_again(play, provider):
    provider.on("POST", UPLOAD, Reply(503, text="unavailable"), Reply(200, bundle(10203, AAB)))
    provider.on("GET", BUNDLES, Reply(200, {}))
    assert (await play.upload_bundle(PKG, EDIT, AAB)).version_code == 10203
    assert len(provider.calls("POST", UPLOAD)) == 2


async def test_a_slow_upload_gets_its_own_budget(play, provider, fake_time):
    # 200 s is far past the ordinary 30 s budget, yet within the upload's own.
    provider.on("POST", UPLOAD, Reply(200, bundle(10203, AAB), takes_s=200))
    assert (await play.upload_bundle(PKG, EDIT, AAB)).version_code == 10203


def test_the_upload_url_is_derived_from_the_api_url():
    tokens = FakeTokens()
    assert PlayPublisherClient(PLAY_URL, tokens).upload_url == UPLOAD_URL
    sandbox = PlayPublisherClient("http://127.0.0.1:8700/google/androidpublisher/v3/", tokens)
    assert sandbox.upload_url == "http://127.0.0.1:8700/google/upload/androidpublisher/v3"
    assert PlayPublisherClient("http://proxy/play", tokens).upload_url is None
    explicit = PlayPublisherClient("http://proxy/play", tokens, upload_url="http://proxy/up/")
    assert explicit.upload_url == "http://proxy/up"
    with pytest.raises(ValueError, match="upload_timeout"):
        PlayPublisherClient(PLAY_URL, tokens, upload_timeout=60)


async def test_an_upload_without_an_upload_url_is_refused(provider, fake_time):
    async with PlayPublisherClient("http://proxy/play", FakeTokens()) as play:
        with pytest.raises(ValueError, match="upload_url"):
            await play.upload_bundle(PKG, EDIT, AAB)


# -- tracks --------------------------------------------------------------------------------------


async def test_get_and_update_track_speak_the_track_schema(play, provider):
    current = track(
        "production",
        release(["10202"], "completed", name="1.2.2", notes=NOTES),
        release(["10203"], "inProgress", name="1.2.3", fraction=0.05),
    )
    provider.on("GET", TRACK, Reply(200, current))
    provider.on(
        "PUT",
        TRACK,
        lambda request, _m: Reply(200, httpx.Response(200, content=request.content).json()),
    )
    got = await play.get_track(PKG, EDIT, "production")
    assert got == Track(
        track="production",
        releases=(
            Release(
                name="1.2.2",
                version_codes=("10202",),
                status="completed",
                release_notes=(LocalizedText(language="en-US", text="Faster wallet sync"),),
            ),
            Release(
                name="1.2.3", version_codes=("10203",), status="inProgress", user_fraction=0.05
            ),
        ),
    )
    assert await play.update_track(PKG, EDIT, got) == got
    put = provider.calls("PUT", TRACK)[0]
    assert put.request.url.path == f"{APP}/edits/{EDIT}/tracks/production"
    assert put.body == current  # exactly what was read: names, strings for int64, no nulls


async def test_an_empty_track_has_no_releases(play, provider):
    provider.on("GET", TRACK, Reply(200, {"track": "beta"}))
    assert await play.get_track(PKG, EDIT, "beta") == Track(track="beta", releases=())


async def test_list_releases_reads_lifecycle_states_without_an_edit(play, provider):
    provider.on(
        "GET",
        APP + "/tracks/production/releases",
        Reply(
            200,
            {
                "releases": [
                    release_summary("1.2.3", "production", [10203], "IN_REVIEW"),
                    release_summary("1.2.2", "production", [10202, 10212], "PUBLISHED"),
                    release_summary("1.2.1", "production", [10201], "NOT_APPROVED"),
                ]
            },
        ),
    )
    states = await play.list_releases(PKG, "production")
    assert states[0] == TrackReleaseState(
        release_name="1.2.3",
        track="production",
        version_codes=(10203,),
        lifecycle_state="RELEASE_LIFECYCLE_STATE_IN_REVIEW",
    )
    assert [s.state for s in states] == ["IN_REVIEW", "PUBLISHED", "NOT_APPROVED"]
    assert states[1].version_codes == (10202, 10212)
    assert sequence(provider) == ["GET /tracks/production/releases"]  # no edit opened


async def test_a_track_with_no_releases_to_list_gives_an_empty_list(play, provider):
    provider.on("GET", APP + "/tracks/qa/releases", Reply(200, {}))
    assert await play.list_releases(PKG, "qa") == []


# -- apply_track_release -------------------------------------------------------------------------


def _echo_put(request: httpx.Request, _match) -> Reply:
    return Reply(200, httpx.Response(200, content=request.content).json())


async def test_raising_a_rollout_keeps_the_release_serving_everyone_else(play, provider):
    edits_open(provider)
    provider.on(
        "GET",
        TRACK,
        Reply(
            200,
            track(
                "production",
                release(["10202"], "completed", name="1.2.2"),
                release(["10203"], "inProgress", name="1.2.3", fraction=0.05, notes=NOTES),
            ),
        ),
    )
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    result = await play.apply_track_release(
        PKG,
        "production",
        Release(version_codes=(10203,), status="inProgress", user_fraction=0.2),
    )
    assert sequence(provider) == [
        "POST /edits",
        "GET /edits/E/tracks/production",
        "PUT /edits/E/tracks/production",
        "POST /edits/E:commit",
    ]
    (put,) = provider.calls("PUT", TRACK)
    assert put.body == {
        "track": "production",
        "releases": [
            {"name": "1.2.2", "versionCodes": ["10202"], "status": "completed"},
            {
                "name": "1.2.3",  # kept from the track, as are the notes
                "versionCodes": ["10203"],
                "status": "inProgress",
                "userFraction": 0.2,
                "releaseNotes": [{"language": "en-US", "text": "Faster wallet sync"}],
            },
        ],
    }
    (commit,) = provider.calls("POST", COMMIT)
    assert commit.request.url.params["changesInReviewBehavior"] == "ERROR_IF_IN_REVIEW"
    assert result.release_with(("10203",)).user_fraction == 0.2
    assert provider.calls("DELETE", EDIT_PATH) == []  # a committed edit is gone already


async def test_starting_a_rollout_adds_the_release_and_completing_it_drops_the_old_one(
    play, provider
):
    edits_open(provider, "edit-2", "edit-3")
    provider.on(
        "GET",
        TRACK,
        Reply(200, track("production", release(["10202"], "completed", name="1.2.2"))),
        Reply(
            200,
            track(
                "production",
                release(["10202"], "completed", name="1.2.2"),
                release(["10203"], "inProgress", name="1.2.3", fraction=0.5),
            ),
        ),
    )
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    await play.apply_track_release(
        PKG,
        "production",
        Release(
            name="1.2.3",
            version_codes=("10203",),
            status="inProgress",
            user_fraction=0.05,
            release_notes=(LocalizedText(language="en-US", text="Faster wallet sync"),),
        ),
    )
    await play.apply_track_release(
        PKG, "production", Release(version_codes=("10203",), status="completed")
    )
    started, completed = (put.body for put in provider.calls("PUT", TRACK))
    assert [r["versionCodes"] for r in started["releases"]] == [["10202"], ["10203"]]
    assert started["releases"][1]["userFraction"] == 0.05
    assert completed == {
        "track": "production",
        "releases": [{"name": "1.2.3", "versionCodes": ["10203"], "status": "completed"}],
    }


async def test_halting_keeps_the_fraction_and_resuming_can_choose_one(play, provider):
    edits_open(provider, "edit-2", "edit-3")
    rolling = track(
        "production",
        release(["10202"], "completed"),
        release(["10203"], "inProgress", name="1.2.3", fraction=0.2),
    )
    halted = track(
        "production",
        release(["10202"], "completed"),
        release(["10203"], "halted", name="1.2.3", fraction=0.2),
    )
    provider.on("GET", TRACK, Reply(200, rolling), Reply(200, halted))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    await play.apply_track_release(
        PKG, "production", Release(version_codes=("10203",), status="halted")
    )
    await play.apply_track_release(
        PKG, "production", Release(version_codes=("10203",), status="inProgress", user_fraction=0.5)
    )
    halt, resume = (put.body["releases"] for put in provider.calls("PUT", TRACK))
    assert halt[1] == {
        "name": "1.2.3",
        "versionCodes": ["10203"],
        "status": "halted",
        "userFraction": 0.2,
    }
    assert halt[0]["status"] == "completed"
    assert resume[1]["status"] == "inProgress" and resume[1]["userFraction"] == 0.5


async def test_a_new_staged_release_replaces_a_halted_one(play, provider):
    edits_open(provider)
    provider.on(
        "GET",
        TRACK,
        Reply(
            200,
            track(
                "production",
                release(["10202"], "completed"),
                release(["10203"], "halted", fraction=0.2),
            ),
        ),
    )
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    await play.apply_track_release(
        PKG,
        "production",
        Release(version_codes=("10204",), status="inProgress", user_fraction=0.05),
    )
    (put,) = provider.calls("PUT", TRACK)
    assert [r["versionCodes"] for r in put.body["releases"]] == [["10202"], ["10204"]]


async def test_nothing_is_committed_when_the_track_already_shows_the_release(play, provider):
    edits_open(provider)
    current = track(
        "production",
        release(["10202"], "completed"),
        release(["10203"], "inProgress", name="1.2.3", fraction=0.2),
    )
    provider.on("GET", TRACK, Reply(200, current))
    result = await play.apply_track_release(
        PKG, "production", Release(version_codes=("10203",), status="inProgress", user_fraction=0.2)
    )
    assert sequence(provider) == [
        "POST /edits",
        "GET /edits/E/tracks/production",
        "DELETE /edits/E",
    ]
    assert len(result.releases) == 2


@pytest.mark.parametrize("failing", ["GET", "PUT", "POST"])
async def test_the_edit_is_deleted_when_any_step_fails(play, provider, failing):
    edits_open(provider)
    provider.on("GET", TRACK, Reply(200, track("production", release(["10202"], "completed"))))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    refusal = Reply(403, g_error(403, "PERMISSION_DENIED", "The caller does not have permission"))
    provider.on(failing, COMMIT if failing == "POST" else TRACK, refusal)
    with pytest.raises(ProviderError) as caught:
        await play.apply_track_release(
            PKG,
            "production",
            Release(version_codes=("10203",), status="inProgress", user_fraction=0.05),
        )
    assert caught.value.status == 403 and caught.value.code == "PERMISSION_DENIED"
    assert sequence(provider)[-1] == "DELETE /edits/E"


async def test_changes_in_review_leave_no_edit_behind(play, provider):
    edits_open(provider)
    provider.on("GET", TRACK, Reply(200, track("production", release(["10202"], "completed"))))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(400, IN_REVIEW))
    with pytest.raises(ChangesInReviewError):
        await play.apply_track_release(
            PKG,
            "production",
            Release(version_codes=("10203",), status="inProgress", user_fraction=0.05),
        )
    assert sequence(provider)[-2:] == ["POST /edits/E:commit", "DELETE /edits/E"]
    assert len(provider.calls("POST", COMMIT)) == 1


async def test_a_failed_delete_does_not_hide_the_first_failure(play, provider):
    edits_open(provider)
    provider.on("GET", TRACK, Reply(404, g_error(404, "NOT_FOUND", "Track not found: wear:qa")))
    provider.on("DELETE", EDIT_PATH, Reply(400, g_error(400, "FAILED_PRECONDITION", "gone")))
    with pytest.raises(NotFoundError):
        await play.apply_track_release(
            PKG, "production", Release(version_codes=("10203",), status="completed")
        )


async def test_a_lost_commit_found_on_the_track_is_not_sent_again(play, provider):
    edits_open(provider, EDIT, "edit-2")
    before = track("production", release(["10202"], "completed"))
    after = track(
        "production",
        release(["10202"], "completed"),
        release(["10203"], "inProgress", fraction=0.05),
    )
    provider.on("GET", TRACK, Reply(200, before), Reply(200, after))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(error=httpx.ReadTimeout), Reply(200, app_edit()))
    provider.on("GET", EDIT_PATH, Reply(404, g_error(404, "NOT_FOUND", "Edit not found.")))
    result = await play.apply_track_release(
        PKG,
        "production",
        Release(version_codes=("10203",), status="inProgress", user_fraction=0.05),
    )
    assert result.release_with(("10203",)) is not None
    assert sequence(provider) == [
        "POST /edits",
        "GET /edits/E/tracks/production",
        "PUT /edits/E/tracks/production",
        "POST /edits/E:commit",  # answer lost
        "GET /edits/E",  # gone: committed, or replaced?
        "POST /edits",  # a fresh edit to read the track
        "GET /edits/E/tracks/production",
        "DELETE /edits/E",  # the reading edit
    ]


async def test_a_lost_commit_not_on_the_track_says_applying_again_is_safe(play, provider):
    edits_open(provider, EDIT, "edit-2")
    before = track("production", release(["10202"], "completed"))
    provider.on("GET", TRACK, Reply(200, before))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(502, text="bad gateway"), Reply(200, app_edit()))
    provider.on(
        "GET", EDIT_PATH, Reply(400, g_error(400, "FAILED_PRECONDITION", "This edit has expired"))
    )
    with pytest.raises(ProviderError, match="applying it again is safe"):
        await play.apply_track_release(
            PKG,
            "production",
            Release(version_codes=("10203",), status="inProgress", user_fraction=0.05),
        )
    assert len(provider.calls("POST", COMMIT)) == 1


# -- upload_to_track -----------------------------------------------------------------------------


async def test_upload_to_track_is_one_edit_and_returns_the_version_code(play, provider):
    edits_open(provider)
    provider.on("POST", UPLOAD, Reply(200, bundle(10203, AAB)))
    provider.on("GET", TRACK, Reply(200, track("internal", release(["10202"], "completed"))))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, Reply(200, app_edit()))
    code = await play.upload_to_track(
        PKG,
        "internal",
        AAB,
        release_name="1.2.3 (10203)",
        release_notes=[LocalizedText(language="en-US", text="Faster wallet sync")],
    )
    assert code == 10203
    assert sequence(provider) == [
        "POST /edits",
        "POST /edits/E/bundles",
        "GET /edits/E/tracks/internal",
        "PUT /edits/E/tracks/internal",
        "POST /edits/E:commit",
    ]
    (put,) = provider.calls("PUT", TRACK)
    assert put.body == {
        "track": "internal",
        "releases": [
            {
                "name": "1.2.3 (10203)",
                "versionCodes": ["10203"],
                "status": "completed",
                "releaseNotes": [{"language": "en-US", "text": "Faster wallet sync"}],
            }
        ],
    }
    assert provider.calls("POST", COMMIT)[0].request.url.params["changesInReviewBehavior"] == (
        "ERROR_IF_IN_REVIEW"
    )


async def test_a_refused_upload_deletes_the_edit(play, provider):
    edits_open(provider)
    used = g_error(
        403,
        "PERMISSION_DENIED",
        "APK specifies a version code that has already been used.",
        legacy_reason="forbidden",
    )
    provider.on("POST", UPLOAD, Reply(403, used))
    with pytest.raises(ProviderError, match="already been used") as caught:
        await play.upload_to_track(PKG, "internal", AAB, release_name="1.2.3")
    assert caught.value.code == "forbidden"
    assert sequence(provider)[-1] == "DELETE /edits/E"


# -- Google's errors, retries, tokens ------------------------------------------------------------


async def test_google_errors_become_provider_errors(play, provider):
    provider.on(
        "GET",
        TRACK,
        Reply(
            403,
            g_error(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission",
                legacy_reason="forbidden",
            ),
        ),
    )
    provider.on(
        "GET",
        APP + "/tracks/nope/releases",
        Reply(404, g_error(404, "NOT_FOUND", "Track not found")),
    )
    with pytest.raises(ProviderError) as denied:
        await play.get_track(PKG, EDIT, "production")
    assert (denied.value.status, denied.value.code) == (403, "forbidden")
    assert (
        denied.value.detail == "PERMISSION_DENIED: The caller does not have permission [forbidden]"
    )
    with pytest.raises(NotFoundError) as missing:
        await play.list_releases(PKG, "nope")
    assert missing.value.code == "NOT_FOUND"
    assert len(provider.exchanges) == 2  # neither is retried


CONFLICT = Reply(
    409,
    g_error(
        409,
        "ABORTED",
        "The edit could not be committed: the app was changed by a concurrent update.",
        legacy_reason="concurrentUpdate",
    ),
)


async def test_concurrent_updates_are_retried_a_bounded_number_of_times(play, provider, fake_time):
    provider.on("PUT", TRACK, CONFLICT, CONFLICT, _echo_put)
    await play.update_track(PKG, EDIT, Track(track="qa", releases=()))
    assert len(provider.exchanges) == 3 and len(fake_time.sleeps) == 2

    provider.on("PUT", TRACK, CONFLICT)
    with pytest.raises(ProviderError) as caught:
        await play.update_track(PKG, EDIT, Track(track="qa", releases=()))
    assert caught.value.status == 409 and caught.value.code == "concurrentUpdate"
    assert len(provider.calls("PUT", TRACK)) == 3 + 6  # the policy's attempts, no more


async def test_a_conflicting_commit_is_not_sent_again_in_the_same_edit(play, provider):
    provider.on("POST", COMMIT, CONFLICT)
    with pytest.raises(ProviderError) as caught:
        await play.commit_edit(PKG, EDIT)
    assert caught.value.status == 409 and caught.value.code == "concurrentUpdate"
    assert len(provider.exchanges) == 1  # the edit is stale: only a new one can get past it


async def test_a_whole_change_starts_over_in_a_new_edit_after_a_conflict(play, provider, fake_time):
    edits_open(provider, EDIT, "edit-2")
    provider.on("GET", TRACK, Reply(200, track("production", release(["10202"], "completed"))))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, CONFLICT, Reply(200, app_edit("edit-2")))
    await play.apply_track_release(
        PKG,
        "production",
        Release(version_codes=("10203",), status="inProgress", user_fraction=0.05),
    )
    assert sequence(provider) == [
        "POST /edits",
        "GET /edits/E/tracks/production",
        "PUT /edits/E/tracks/production",
        "POST /edits/E:commit",
        "DELETE /edits/E",
        "POST /edits",
        "GET /edits/E/tracks/production",
        "PUT /edits/E/tracks/production",
        "POST /edits/E:commit",
    ]
    commits = provider.calls("POST", COMMIT)
    assert [c.request.url.path.rsplit("/", 1)[1] for c in commits] == [
        f"{EDIT}:commit",
        "edit-2:commit",
    ]


async def test_a_change_that_keeps_conflicting_gives_up_after_three_edits(play, provider):
    edits_open(provider)
    provider.on("POST", UPLOAD, Reply(200, bundle(10203, AAB)))
    provider.on("GET", TRACK, Reply(200, track("internal")))
    provider.on("PUT", TRACK, _echo_put)
    provider.on("POST", COMMIT, CONFLICT)
    with pytest.raises(ProviderError) as caught:
        await play.upload_to_track(PKG, "internal", AAB, release_name="1.2.3")
    assert caught.value.code == "concurrentUpdate"
    assert len(provider.calls("POST", EDITS)) == 3
    assert len(provider.calls("POST", COMMIT)) == 3
    assert len(provider.calls("DELETE", EDIT_PATH)) == 3


async def test_rate_limits_and_outages_are_retried_for_reads(play, provider, fake_time):
    provider.on(
        "GET",
        APP + "/tracks/production/releases",
        Reply(
            429, g_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), headers={"Retry-After": "1"}
        ),
        Reply(503, text="unavailable"),
        Reply(200, {"releases": []}),
    )
    assert await play.list_releases(PKG, "production") == []
    assert len(provider.exchanges) == 3 and fake_time.sleeps[0] == 1.0


async def test_a_refused_token_is_dropped_and_the_request_made_once_more(play, provider, tokens):
    provider.on(
        "GET",
        APP + "/tracks/production/releases",
        Reply(
            401, g_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        ),
        Reply(200, {"releases": []}),
    )
    await play.list_releases(PKG, "production")
    first, second = provider.exchanges
    assert first.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert second.request.headers["authorization"] == f"Bearer {TOKEN}-2"
    assert tokens.invalidated == [TOKEN]

    provider.on(
        "GET",
        APP + "/tracks/qa/releases",
        Reply(
            401, g_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        ),
    )
    with pytest.raises(ProviderError) as caught:
        await play.list_releases(PKG, "qa")
    assert (
        caught.value.status == 401 and len(provider.calls("GET", APP + "/tracks/qa/releases")) == 2
    )


async def test_service_account_credentials_drive_the_client(provider, fake_time):
    provider.on("POST", "/token", Reply(200, {"access_token": TOKEN, "expires_in": 3599}))
    provider.on("GET", APP + "/tracks/production/releases", Reply(200, {"releases": []}))
    creds = ServiceAccountCredentials.from_info(
        service_account_info(),
        ["https://www.googleapis.com/auth/androidpublisher"],
        transport=provider.transport,
        retry=fake_time.policy(),
    )
    async with PlayPublisherClient(
        PLAY_URL, creds, transport=provider.transport, retry=fake_time.policy()
    ) as play:
        await play.list_releases(PKG, "production")
        await play.list_releases(PKG, "production")
    assert sequence(provider) == [
        "POST /token",
        "GET /tracks/production/releases",
        "GET /tracks/production/releases",
    ]
    assert provider.exchanges[1].request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_the_token_never_reaches_an_error_or_a_repr(play, provider, tokens):
    provider.on("GET", TRACK, Reply(403, g_error(403, "PERMISSION_DENIED", f"bad token {TOKEN}")))
    provider.on(
        "GET",
        APP + "/tracks/x/releases",
        Reply(502, text=f"proxy saw Authorization: Bearer {TOKEN}"),
    )
    with pytest.raises(ProviderError) as denied:
        await play.get_track(PKG, EDIT, "production")
    with pytest.raises(ProviderError) as proxied:
        await play.list_releases(PKG, "x")
    for error in (denied.value, proxied.value, pickle.loads(pickle.dumps(denied.value))):
        for text in (str(error), repr(error), error.detail):
            assert TOKEN not in text and TOKEN[8:24] not in text
    assert TOKEN not in repr(play) and TOKEN not in repr(vars(play))


async def test_aclose_lets_the_credentials_go(provider, tokens):
    play = PlayPublisherClient(PLAY_URL, tokens, transport=provider.transport)
    await play.aclose()
    assert tokens.closed == 1


# -- the Release model ---------------------------------------------------------------------------


def test_a_release_serialises_to_exactly_the_wire_names():
    staged = Release(
        name="1.2.3",
        version_codes=(10203, "10213"),
        status="inProgress",
        user_fraction=0.05,
        release_notes=(LocalizedText(language="en-US", text="Hi"),),
    )
    assert staged.to_wire() == {
        "name": "1.2.3",
        "versionCodes": ["10203", "10213"],
        "status": "inProgress",
        "userFraction": 0.05,
        "releaseNotes": [{"language": "en-US", "text": "Hi"}],
    }
    assert Release(version_codes=("1",), status="completed").to_wire() == {
        "versionCodes": ["1"],
        "status": "completed",
    }
    assert Release.model_validate({"versionCodes": ["7"], "status": "draft"}).version_codes == (
        "7",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"version_codes": ("1",), "status": "completed", "user_fraction": 0.5},
        {"version_codes": ("1",), "status": "inProgress", "user_fraction": 1.0},
        {"version_codes": ("1",), "status": "inProgress", "user_fraction": 0},
        {"version_codes": ("1",), "status": "rolling"},
        {"version_codes": ("v1",), "status": "draft"},
        {"version_codes": ("1",), "status": "draft", "rollout": 0.1},
    ],
    ids=["fraction-with-completed", "fraction-1", "fraction-0", "bad-status", "bad-code", "extra"],
)
def test_releases_play_would_refuse_are_refused_here(fields):
    with pytest.raises(ValidationError):
        Release(**fields)
