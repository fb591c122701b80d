"""AppStoreConnectClient: each method's request (method, path, query, body) and parsing; every
exchange held to Apple's OpenAPI description; retries on 429/5xx, read-back after lost writes,
the rate budget, Apple's errors, and a token that never leaks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from clients import (
    AppStoreConnectClient,
    AppStoreKey,
    AscBetaGroup,
    AscPhasedRelease,
    NotFoundError,
    ProviderError,
)
from tests.clients._canned_apple import (
    APP,
    ASC_URL,
    ISSUER,
    KEY_ID,
    RATE,
    asc_error,
    beta_group,
    build,
    check_exchange,
    created,
    doc,
    localization,
    no_content,
    phased,
    private_pem,
    submission,
    submission_item,
    territory,
    version,
)
from tests.clients._support import FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

BUILDS = "/v1/builds"
VERSIONS = f"/v1/apps/{APP}/appStoreVersions"
SUBMISSIONS = "/v1/reviewSubmissions"
ITEMS = "/v1/reviewSubmissionItems"
LOST = [Reply(502, text="<html>bad gateway</html>"), Reply(error=httpx.ReadTimeout)]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key(clock: Clock) -> AppStoreKey:
    return AppStoreKey(KEY_ID, ISSUER, private_pem(), clock=clock)


@pytest.fixture
async def asc(
    provider: ScriptedProvider, fake_time: FakeTime, key: AppStoreKey
) -> AsyncIterator[AppStoreConnectClient]:
    async with AppStoreConnectClient(
        ASC_URL, key, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client
    # Every request sent and every canned answer, against Apple's own description.
    for exchange in provider.exchanges:
        check_exchange(exchange)


def params(exchange) -> dict[str, str]:
    return dict(exchange.request.url.params)


# -- builds and TestFlight -----------------------------------------------------------------------


async def test_find_build_asks_for_the_build_number_of_the_version(asc, provider):
    provider.on("GET", BUILDS, doc([build("b-9", "42", encryption=False)], BUILDS))
    found = await asc.find_build(APP, "2.4.0", "42")
    assert found is not None
    assert (found.id, found.version, found.processing_state) == ("b-9", "42", "VALID")
    assert found.uses_non_exempt_encryption is False and found.expired is False
    assert found.uploaded == datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    (call,) = provider.exchanges
    assert params(call) == {
        "filter[app]": APP,
        "filter[version]": "42",
        "filter[preReleaseVersion.version]": "2.4.0",
        "filter[preReleaseVersion.platform]": "IOS",
        "sort": "-uploadedDate",
        "limit": "200",
    }


async def test_find_build_is_none_before_upload_and_prefers_an_unexpired_build(asc, provider):
    provider.on("GET", BUILDS, doc([], BUILDS))
    assert await asc.find_build(APP, "2.4.0", "42") is None
    provider.on(
        "GET",
        BUILDS,
        doc([build("b-old", expired=True), build("b-new", state="PROCESSING")], BUILDS),
    )
    found = await asc.find_build(APP, "2.4.0", "42")
    assert found is not None and found.id == "b-new" and found.processing_state == "PROCESSING"
    assert found.uses_non_exempt_encryption is None


async def test_collections_follow_links_next(asc, provider):
    page2 = VERSIONS + "?cursor=Mg&filter%5Bplatform%5D=IOS&limit=200"
    provider.on(
        "GET",
        VERSIONS,
        lambda request, _: (
            doc([version("v-2", "2.0.0", created_at="2026-02-01T00:00:00Z")], VERSIONS)
            if "cursor" in str(request.url)
            else Reply(
                200,
                {
                    "data": [version("v-1", "1.0.0", created_at="2026-01-01T00:00:00Z")],
                    "links": {"self": ASC_URL + VERSIONS, "next": ASC_URL + page2},
                },
            )
        ),
    )
    found = await asc.versions(APP)
    assert [v.id for v in found] == ["v-2", "v-1"]  # newest first
    assert len(provider.exchanges) == 2
    assert provider.exchanges[1].request.url.params["cursor"] == "Mg"


async def test_a_page_link_off_our_host_is_refused(asc, provider):
    provider.on(
        "GET",
        VERSIONS,
        Reply(
            200,
            {
                "data": [version()],
                "links": {"self": ASC_URL + VERSIONS, "next": "https://evil.example/v1/x"},
            },
        ),
    )
    with pytest.raises(ProviderError, match="refusing to follow"):
        await asc.versions(APP)


async def test_build_beta_group_ids_reads_the_builds_group_linkage(asc, provider):
    path = f"{BUILDS}/b-1"
    included = [beta_group("g-1", "QA", True), beta_group("g-2", "Friends", False)]
    provider.on("GET", path, doc(build(groups=("g-1", "g-2")), path, included=included))
    assert await asc.build_beta_group_ids("b-1") == frozenset({"g-1", "g-2"})
    assert params(provider.exchanges[0]) == {
        "include": "betaGroups",
        "fields[builds]": "betaGroups",
        "limit[betaGroups]": "50",
    }


async def test_beta_groups_of_the_app(asc, provider):
    path = "/v1/betaGroups"
    groups = [beta_group("g-1", "QA", True), beta_group("g-2", "Friends", False)]
    provider.on("GET", path, doc(groups, path))
    found = await asc.beta_groups(APP)
    assert params(provider.exchanges[0]) == {"filter[app]": APP, "limit": "200"}
    assert found == (
        AscBetaGroup(id="g-1", name="QA", is_internal=True),
        AscBetaGroup(id="g-2", name="Friends", is_internal=False),
    )


async def test_set_export_compliance_patches_the_build(asc, provider):
    path = f"{BUILDS}/b-1"
    provider.on("PATCH", path, doc(build(encryption=False), path))
    answered = await asc.set_export_compliance("b-1", False)
    assert answered.uses_non_exempt_encryption is False
    assert provider.exchanges[0].body == {
        "data": {"type": "builds", "id": "b-1", "attributes": {"usesNonExemptEncryption": False}}
    }


async def test_add_to_beta_groups_links_the_build_to_each_group_once(asc, provider):
    provider.on("POST", r"/v1/betaGroups/[\w-]+/relationships/builds", no_content())
    await asc.add_to_beta_groups("b-1", ["g-2", "g-1", "g-2"])
    assert [e.path for e in provider.exchanges] == [
        "/v1/betaGroups/g-1/relationships/builds",
        "/v1/betaGroups/g-2/relationships/builds",
    ]
    assert provider.exchanges[0].body == {"data": [{"type": "builds", "id": "b-1"}]}


async def test_adding_to_a_group_is_sent_again_after_a_lost_answer(asc, provider):
    path = "/v1/betaGroups/g-1/relationships/builds"
    provider.on("POST", path, Reply(503, text="unavailable"), no_content())
    await asc.add_to_beta_groups("b-1", ["g-1"])
    assert len(provider.calls("POST", path)) == 2


# -- versions ------------------------------------------------------------------------------------


async def test_find_version_filters_by_version_string_and_ios(asc, provider):
    provider.on("GET", VERSIONS, doc([version("v-7", "2.4.0", release_type="MANUAL")], VERSIONS))
    found = await asc.find_version(APP, "2.4.0")
    assert found is not None
    assert (found.id, found.version_string, found.state, found.release_type) == (
        "v-7",
        "2.4.0",
        "PREPARE_FOR_SUBMISSION",
        "MANUAL",
    )
    assert params(provider.exchanges[0]) == {
        "filter[versionString]": "2.4.0",
        "filter[platform]": "IOS",
    }
    provider.on("GET", VERSIONS, doc([], VERSIONS))
    assert await asc.find_version(APP, "9.9.9") is None


async def test_a_version_state_falls_back_to_the_deprecated_app_store_state(asc, provider):
    provider.on(
        "GET",
        VERSIONS,
        doc([version(state=None, store_state="READY_FOR_SALE")], VERSIONS),
    )
    (only,) = await asc.versions(APP)
    assert only.state == "READY_FOR_SALE"


async def test_version_build_id_includes_the_build(asc, provider):
    path = "/v1/appStoreVersions/v-1"
    provider.on("GET", path, doc(version(build_id="b-3"), path, included=[build("b-3")]))
    assert await asc.version_build_id("v-1") == "b-3"
    assert params(provider.exchanges[0]) == {"include": "build"}
    provider.on("GET", path, doc(version(), path))
    assert await asc.version_build_id("v-1") is None


async def test_create_version_posts_platform_version_release_type_app_and_build(asc, provider):
    provider.on("POST", "/v1/appStoreVersions", created(version("v-9"), "/v1/appStoreVersions"))
    made = await asc.create_version(APP, "2.4.0", build_id="b-1", release_type="AFTER_APPROVAL")
    assert made.id == "v-9"
    assert provider.exchanges[0].body == {
        "data": {
            "type": "appStoreVersions",
            "attributes": {
                "platform": "IOS",
                "versionString": "2.4.0",
                "releaseType": "AFTER_APPROVAL",
            },
            "relationships": {
                "app": {"data": {"type": "apps", "id": APP}},
                "build": {"data": {"type": "builds", "id": "b-1"}},
            },
        }
    }


@pytest.mark.parametrize("lost", LOST, ids=["502", "timeout"])
async def test_create_version_after_a_lost_answer_finds_it_by_version_string(asc, provider, lost):
    provider.on("POST", "/v1/appStoreVersions", lost)
    provider.on("GET", VERSIONS, doc([version("v-9", "2.4.0")], VERSIONS))
    made = await asc.create_version(APP, "2.4.0", build_id="b-1")
    assert made.id == "v-9"
    assert len(provider.calls("POST", "/v1/appStoreVersions")) == 1


async def test_create_version_is_sent_again_when_the_lost_one_did_not_happen(asc, provider):
    provider.on(
        "POST",
        "/v1/appStoreVersions",
        Reply(500, text="oops"),
        created(version("v-9"), "/v1/appStoreVersions"),
    )
    provider.on("GET", VERSIONS, doc([], VERSIONS))
    assert (await asc.create_version(APP, "2.4.0", build_id="b-1")).id == "v-9"
    assert len(provider.calls("POST", "/v1/appStoreVersions")) == 2


async def test_attach_build_patches_the_build_relationship(asc, provider):
    path = "/v1/appStoreVersions/v-1/relationships/build"
    provider.on("PATCH", path, no_content())
    await asc.attach_build("v-1", "b-2")
    assert provider.exchanges[0].body == {"data": {"type": "builds", "id": "b-2"}}


async def test_set_whats_new_updates_the_locales_localization(asc, provider):
    listing = "/v1/appStoreVersions/v-1/appStoreVersionLocalizations"
    locs = [localization("l-fr", "fr-FR"), localization("l-en", "en-US")]
    provider.on("GET", listing, doc(locs, listing))
    provider.on(
        "PATCH",
        "/v1/appStoreVersionLocalizations/l-en",
        doc(localization("l-en", "en-US", "Fixes"), "/v1/appStoreVersionLocalizations/l-en"),
    )
    await asc.set_whats_new("v-1", "Fixes")
    assert provider.calls("PATCH", r"/v1/appStoreVersionLocalizations/l-en")[0].body == {
        "data": {
            "type": "appStoreVersionLocalizations",
            "id": "l-en",
            "attributes": {"whatsNew": "Fixes"},
        }
    }


async def test_set_whats_new_creates_a_missing_localization(asc, provider):
    listing = "/v1/appStoreVersions/v-1/appStoreVersionLocalizations"
    provider.on("GET", listing, doc([localization("l-en", "en-US")], listing))
    provider.on(
        "POST",
        "/v1/appStoreVersionLocalizations",
        created(localization("l-de", "de-DE", "Neu"), "/v1/appStoreVersionLocalizations"),
    )
    await asc.set_whats_new("v-1", "Neu", locale="de-DE")
    (post,) = provider.calls("POST", "/v1/appStoreVersionLocalizations")
    assert post.body == {
        "data": {
            "type": "appStoreVersionLocalizations",
            "attributes": {"locale": "de-DE", "whatsNew": "Neu"},
            "relationships": {
                "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "v-1"}}
            },
        }
    }


# -- phased release ------------------------------------------------------------------------------


async def test_phased_release_is_read_and_parsed(asc, provider):
    path = "/v1/appStoreVersions/v-1/appStoreVersionPhasedRelease"
    provider.on("GET", path, doc(phased("p-1", "PAUSED", 3, 2, "2026-03-01T10:00:00Z"), path))
    assert await asc.phased_release("v-1") == AscPhasedRelease(
        id="p-1",
        state="PAUSED",
        current_day=3,
        paused_days=2,
        start=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
    )


async def test_no_phased_release_is_none(asc, provider):
    path = "/v1/appStoreVersions/v-1/appStoreVersionPhasedRelease"
    provider.on("GET", path, asc_error(404, "NOT_FOUND", "There is no phased release."))
    assert await asc.phased_release("v-1") is None


async def test_create_phased_release_starts_inactive(asc, provider):
    path = "/v1/appStoreVersionPhasedReleases"
    provider.on("POST", path, created(phased("p-1"), path))
    made = await asc.create_phased_release("v-1")
    assert (made.state, made.current_day, made.start) == ("INACTIVE", 0, None)
    assert provider.exchanges[0].body == {
        "data": {
            "type": "appStoreVersionPhasedReleases",
            "attributes": {"phasedReleaseState": "INACTIVE"},
            "relationships": {
                "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "v-1"}}
            },
        }
    }


async def test_create_phased_release_after_a_lost_answer_reads_it_back(asc, provider):
    provider.on("POST", "/v1/appStoreVersionPhasedReleases", Reply(504, text="timeout"))
    path = "/v1/appStoreVersions/v-1/appStoreVersionPhasedRelease"
    provider.on("GET", path, doc(phased("p-1"), path))
    assert (await asc.create_phased_release("v-1")).id == "p-1"
    assert len(provider.calls("POST", "/v1/appStoreVersionPhasedReleases")) == 1


@pytest.mark.parametrize("state", ["ACTIVE", "PAUSED", "COMPLETE"])
async def test_set_phased_release_patches_the_state(asc, provider, state):
    path = "/v1/appStoreVersionPhasedReleases/p-1"
    provider.on("PATCH", path, doc(phased("p-1", state, 2), path))
    assert (await asc.set_phased_release("p-1", state)).state == state
    assert provider.exchanges[0].body == {
        "data": {
            "type": "appStoreVersionPhasedReleases",
            "id": "p-1",
            "attributes": {"phasedReleaseState": state},
        }
    }


# -- review and release --------------------------------------------------------------------------


def _submissions(*entries: tuple[dict, list[dict]]) -> Reply:
    data = [entry for entry, _ in entries]
    included = [item for _, items in entries for item in items]
    return doc(data, SUBMISSIONS, included=included)


async def test_open_submission_asks_for_every_state_but_complete(asc, provider):
    provider.on("GET", SUBMISSIONS, _submissions((submission("s-1", "WAITING_FOR_REVIEW"), [])))
    found = await asc.open_submission(APP)
    assert found is not None and (found.id, found.state) == ("s-1", "WAITING_FOR_REVIEW")
    assert params(provider.exchanges[0]) == {
        "filter[app]": APP,
        "filter[platform]": "IOS",
        "filter[state]": (
            "READY_FOR_REVIEW,WAITING_FOR_REVIEW,IN_REVIEW,UNRESOLVED_ISSUES,CANCELING,COMPLETING"
        ),
        "include": "items",
        "fields[reviewSubmissionItems]": "appStoreVersion,state",
        "limit": "200",
    }
    provider.on("GET", SUBMISSIONS, _submissions())
    assert await asc.open_submission(APP) is None


def _patched(state: str = "WAITING_FOR_REVIEW") -> Reply:
    return doc(submission("s-1", state, ("i-1",), "2026-03-02T10:05:00Z"), f"{SUBMISSIONS}/s-1")


async def test_submit_for_review_creates_submission_item_and_submits(asc, provider):
    provider.on("GET", SUBMISSIONS, _submissions())
    provider.on("POST", SUBMISSIONS, created(submission("s-1"), SUBMISSIONS))
    provider.on("POST", ITEMS, created(submission_item("i-1", "v-1"), ITEMS))
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    done = await asc.submit_for_review(APP, "v-1")
    assert (done.id, done.state) == ("s-1", "WAITING_FOR_REVIEW")
    assert done.submitted == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    assert [(e.request.method, e.path) for e in provider.exchanges] == [
        ("GET", SUBMISSIONS),
        ("POST", SUBMISSIONS),
        ("POST", ITEMS),
        ("PATCH", f"{SUBMISSIONS}/s-1"),
    ]
    bodies = [e.body for e in provider.exchanges[1:]]
    assert bodies == [
        {
            "data": {
                "type": "reviewSubmissions",
                "attributes": {"platform": "IOS"},
                "relationships": {"app": {"data": {"type": "apps", "id": APP}}},
            }
        },
        {
            "data": {
                "type": "reviewSubmissionItems",
                "relationships": {
                    "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": "s-1"}},
                    "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "v-1"}},
                },
            }
        },
        {"data": {"type": "reviewSubmissions", "id": "s-1", "attributes": {"submitted": True}}},
    ]


async def test_submit_reuses_an_open_ready_submission_and_its_item(asc, provider):
    provider.on(
        "GET",
        SUBMISSIONS,
        _submissions(
            (submission("s-1", "READY_FOR_REVIEW", ("i-1",)), [submission_item("i-1", "v-1")])
        ),
    )
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    assert (await asc.submit_for_review(APP, "v-1")).state == "WAITING_FOR_REVIEW"
    assert provider.calls("POST", SUBMISSIONS) == [] and provider.calls("POST", ITEMS) == []


async def test_submit_adds_the_version_to_a_ready_submission_without_it(asc, provider):
    provider.on("GET", SUBMISSIONS, _submissions((submission("s-1"), [])))
    provider.on("POST", ITEMS, created(submission_item("i-1", "v-1"), ITEMS))
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    await asc.submit_for_review(APP, "v-1")
    assert provider.calls("POST", SUBMISSIONS) == [] and len(provider.calls("POST", ITEMS)) == 1


async def test_submit_is_a_no_op_when_the_version_is_already_in_review(asc, provider):
    provider.on(
        "GET",
        SUBMISSIONS,
        _submissions((submission("s-1", "IN_REVIEW", ("i-1",)), [submission_item("i-1", "v-1")])),
    )
    assert (await asc.submit_for_review(APP, "v-1")).state == "IN_REVIEW"
    assert len(provider.exchanges) == 1


async def test_a_rejected_submission_holding_the_version_is_submitted_again(asc, provider):
    provider.on(
        "GET",
        SUBMISSIONS,
        _submissions(
            (submission("s-0", "READY_FOR_REVIEW"), []),
            (
                submission("s-1", "UNRESOLVED_ISSUES", ("i-1",)),
                [submission_item("i-1", "v-1", "REJECTED")],
            ),
        ),
    )
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    assert (await asc.submit_for_review(APP, "v-1")).state == "WAITING_FOR_REVIEW"
    assert provider.calls("POST", SUBMISSIONS) == [] and provider.calls("POST", ITEMS) == []
    assert provider.calls("PATCH", f"{SUBMISSIONS}/s-0") == []


async def test_a_lost_create_submission_answer_reuses_the_submission_it_made(asc, provider):
    provider.on(
        "GET",
        SUBMISSIONS,
        _submissions(),  # before the POST
        _submissions((submission("s-1"), [])),  # the read-back finds what the lost POST made
    )
    provider.on("POST", SUBMISSIONS, Reply(502, text="bad gateway"))
    provider.on("POST", ITEMS, created(submission_item("i-1", "v-1"), ITEMS))
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    await asc.submit_for_review(APP, "v-1")
    assert len(provider.calls("POST", SUBMISSIONS)) == 1
    assert provider.calls("GET", SUBMISSIONS)[1].request.url.params["filter[state]"] == (
        "READY_FOR_REVIEW"
    )


async def test_a_lost_item_answer_is_read_back_from_the_submission(asc, provider):
    provider.on("GET", SUBMISSIONS, _submissions((submission("s-1"), [])))
    provider.on("POST", ITEMS, Reply(error=httpx.ReadTimeout))
    provider.on(
        "GET",
        f"{SUBMISSIONS}/s-1",
        doc(
            submission("s-1", items=("i-1",)),
            f"{SUBMISSIONS}/s-1",
            included=[submission_item("i-1", "v-1")],
        ),
    )
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", _patched())
    await asc.submit_for_review(APP, "v-1")
    assert len(provider.calls("POST", ITEMS)) == 1


async def test_a_lost_submit_answer_is_read_back_not_sent_twice(asc, provider):
    provider.on(
        "GET",
        SUBMISSIONS,
        _submissions((submission("s-1", items=("i-1",)), [submission_item("i-1", "v-1")])),
    )
    provider.on("PATCH", f"{SUBMISSIONS}/s-1", Reply(500, text="internal"))
    provider.on(
        "GET",
        f"{SUBMISSIONS}/s-1",
        doc(submission("s-1", "WAITING_FOR_REVIEW", ("i-1",)), f"{SUBMISSIONS}/s-1"),
    )
    done = await asc.submit_for_review(APP, "v-1")
    assert done.state == "WAITING_FOR_REVIEW"
    assert len(provider.calls("PATCH", f"{SUBMISSIONS}/s-1")) == 1


async def test_request_release_posts_a_release_request(asc, provider):
    path = "/v1/appStoreVersionReleaseRequests"
    provider.on(
        "POST", path, created({"type": "appStoreVersionReleaseRequests", "id": "r-1"}, path)
    )
    await asc.request_release("v-1")
    assert provider.exchanges[0].body == {
        "data": {
            "type": "appStoreVersionReleaseRequests",
            "relationships": {
                "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "v-1"}}
            },
        }
    }


async def test_a_lost_release_request_is_settled_by_the_version_state(asc, provider):
    path = "/v1/appStoreVersionReleaseRequests"
    provider.on(
        "POST",
        path,
        Reply(502, text="bad gateway"),
        created({"type": "appStoreVersionReleaseRequests", "id": "r-1"}, path),
    )
    provider.on(
        "GET",
        "/v1/appStoreVersions/v-1",
        doc(version(state="PENDING_DEVELOPER_RELEASE"), "/v1/appStoreVersions/v-1"),  # not yet
        doc(version(state="READY_FOR_DISTRIBUTION"), "/v1/appStoreVersions/v-1"),
    )
    await asc.request_release("v-1")  # not released by the lost one: sent again
    assert len(provider.calls("POST", path)) == 2
    provider.on("POST", path, Reply(error=httpx.ReadTimeout))
    await asc.request_release("v-1")  # released by the lost one: not sent again
    assert len(provider.calls("POST", path)) == 3


async def test_remove_from_sale_makes_every_available_territory_unavailable(asc, provider):
    avail = f"/v1/apps/{APP}/appAvailabilityV2"
    provider.on(
        "GET",
        avail,
        Reply(200, {"data": {"type": "appAvailabilities", "id": "aa-1"}, "links": {"self": avail}}),
    )
    listing = "/v2/appAvailabilities/aa-1/territoryAvailabilities"
    provider.on(
        "GET",
        listing,
        doc([territory("t-us", True), territory("t-fr", False), territory("t-de", True)], listing),
    )
    provider.on(
        "PATCH",
        r"/v1/territoryAvailabilities/t-\w+",
        lambda request, _: doc(territory(request.url.path.rsplit("/", 1)[1], False), "/x"),
    )
    await asc.remove_from_sale(APP)
    assert params(provider.calls("GET", listing)[0]) == {"limit": "50"}
    patches = provider.calls("PATCH", r"/v1/territoryAvailabilities/t-\w+")
    assert [p.path for p in patches] == [
        "/v1/territoryAvailabilities/t-us",
        "/v1/territoryAvailabilities/t-de",
    ]
    assert patches[0].body == {
        "data": {
            "type": "territoryAvailabilities",
            "id": "t-us",
            "attributes": {"available": False},
        }
    }


# -- retry, rate limit, errors, auth -------------------------------------------------------------


async def test_every_answer_updates_the_rate_budget(asc, provider):
    assert asc.rate_remaining is None
    provider.on("GET", BUILDS, doc([], BUILDS))
    await asc.find_build(APP, "1.0", "1")
    assert asc.rate_remaining == 3500


async def test_429_is_retried_after_the_wait_apple_asks_for(asc, provider, fake_time):
    limited = asc_error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.")
    limited.headers["Retry-After"] = "3"
    provider.on("GET", BUILDS, limited, doc([], BUILDS))
    assert await asc.find_build(APP, "1.0", "1") is None
    assert fake_time.sleeps == [3.0]
    assert len(provider.exchanges) == 2


async def test_429_without_retry_after_backs_off_and_records_an_empty_budget(
    asc, provider, fake_time
):
    provider.on(
        "GET",
        BUILDS,
        asc_error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached."),
    )
    with pytest.raises(ProviderError) as caught:
        await asc.find_build(APP, "1.0", "1")
    assert caught.value.status == 429 and caught.value.code == "RATE_LIMIT_EXCEEDED"
    assert asc.rate_remaining == 0
    assert len(fake_time.sleeps) == len(provider.exchanges) - 1 > 0


async def test_5xx_reads_are_retried(asc, provider):
    provider.on("GET", BUILDS, Reply(500, text="x"), Reply(503, text="y"), doc([], BUILDS))
    assert await asc.find_build(APP, "1.0", "1") is None
    assert len(provider.exchanges) == 3


async def test_apple_errors_carry_code_and_detail(asc, provider):
    provider.on(
        "PATCH",
        "/v1/appStoreVersions/v-1/relationships/build",
        asc_error(
            409,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            "A relationship value is not acceptable for the current resource state.",
            title="The provided entity includes a relationship with an invalid value",
        ),
    )
    with pytest.raises(ProviderError) as caught:
        await asc.attach_build("v-1", "b-2")
    error = caught.value
    assert (error.provider, error.operation, error.status) == (
        "app-store-connect",
        "attach_build",
        409,
    )
    assert error.code == "ENTITY_ERROR.RELATIONSHIP.INVALID"
    assert "not acceptable for the current resource state" in error.detail


async def test_a_404_is_not_found(asc, provider):
    provider.on("GET", "/v1/appStoreVersions/nope", asc_error(404, "NOT_FOUND", "no such version"))
    with pytest.raises(NotFoundError):
        await asc.version("nope")


async def test_a_401_signs_a_new_token_and_sends_once_more(asc, provider, clock):
    path = "/v1/appStoreVersions/v-1"
    provider.on(
        "GET",
        path,
        asc_error(401, "NOT_AUTHORIZED", "Provide a properly configured and signed bearer token"),
        doc(version(), path),
    )
    assert (await asc.version("v-1")).id == "v-1"
    first, second = (e.request.headers["authorization"] for e in provider.exchanges)
    assert first.startswith("Bearer ey") and second.startswith("Bearer ey")
    assert first != second


async def test_a_second_401_is_an_error_with_apples_code(asc, provider):
    path = "/v1/appStoreVersions/v-1"
    provider.on(
        "GET",
        path,
        asc_error(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid."),
    )
    with pytest.raises(ProviderError) as caught:
        await asc.version("v-1")
    assert (caught.value.status, caught.value.code) == (401, "NOT_AUTHORIZED")
    assert len(provider.exchanges) == 2  # one fresh token, then the answer stands


async def test_the_jwt_never_appears_in_error_text(asc, provider, key):
    token = await key.token()
    path = "/v1/appStoreVersions/v-1"
    provider.on(
        "GET",
        path,
        Reply(
            403,
            {
                "errors": [
                    {
                        "status": "403",
                        "code": "FORBIDDEN_ERROR",
                        "title": "no",
                        "detail": f"token {token} lacks the role",
                    }
                ]
            },
        ),
    )
    with pytest.raises(ProviderError) as caught:
        await asc.version("v-1")
    for text in (str(caught.value), repr(caught.value), caught.value.detail):
        assert token not in text and token.split(".")[2] not in text
    assert caught.value.code == "FORBIDDEN_ERROR"


async def test_the_key_never_shows_in_the_client(key):
    async with AppStoreConnectClient(ASC_URL, key) as client:
        body = private_pem().splitlines()[1]
        assert body not in repr(client) and body not in repr(vars(client))


def test_rate_remaining_parses_apples_header():
    from clients._app_store import rate_remaining

    def answer(value: str | None) -> httpx.Response:
        return httpx.Response(200, headers={"X-Rate-Limit": value} if value else {})

    assert rate_remaining(answer(RATE.format(3599))) == 3599
    assert rate_remaining(answer("user-hour-rem:12;user-hour-lim:3600")) == 12
    assert rate_remaining(answer("user-hour-lim:3600;")) is None
    assert rate_remaining(answer(None)) is None


async def test_build_by_id_reads_its_build_number(asc, provider):
    provider.on("GET", f"{BUILDS}/b-7", doc(build("b-7", "41", encryption=True), f"{BUILDS}/b-7"))
    got = await asc.build("b-7")
    assert (got.id, got.version, got.uses_non_exempt_encryption) == ("b-7", "41", True)


async def test_versions_with_builds_is_one_listing_with_the_builds_included(asc, provider):
    live = version(
        "v-1",
        "2.3.0",
        state="READY_FOR_DISTRIBUTION",
        build_id="b-1",
        created_at="2026-02-01T12:00:00Z",
    )
    live["relationships"]["appStoreVersionPhasedRelease"] = {
        "data": {"type": "appStoreVersionPhasedReleases", "id": "p-1"}
    }
    provider.on(
        "GET",
        VERSIONS,
        doc(
            [
                live,
                version("v-2", "2.4.0", state="IN_REVIEW", build_id="b-2"),
                version("v-3", "2.5.0", created_at="2026-03-02T12:00:00Z"),  # no build yet
            ],
            VERSIONS,
            included=[build("b-1", "41"), build("b-2", "42"), phased("p-1", "ACTIVE", day=3)],
        ),
    )
    listed = await asc.versions_with_builds(APP)
    assert [
        (v.version_string, b.version if b else None, p.current_day if p else None)
        for v, b, p in listed
    ] == [
        ("2.5.0", None, None),  # newest first, like `versions`
        ("2.4.0", "42", None),
        ("2.3.0", "41", 3),
    ]
    assert len(provider.exchanges) == 1
    assert params(provider.exchanges[0]) == {
        "limit": "200",
        "filter[platform]": "IOS",
        "include": "build,appStoreVersionPhasedRelease",
    }
