"""App Store Connect API (JSON:API): builds, TestFlight groups, versions, phased release, review
submission, release, removal from sale.

Every request carries a fresh-enough ES256 JWT (`AppStoreKey` via `SourcedAuth`; a 401 signs a new
one and sends once more). Every answer's `X-Rate-Limit: user-hour-lim:3600;user-hour-rem:N;` is
kept in `rate_remaining`; 429 (RATE_LIMIT_EXCEEDED) and 5xx go through the one retry loop. Writes
whose answer is lost are read back before they are sent again: a version is found by its
versionString, a submission by its state, a release by the version's state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, Unpack

import httpx

from clients._app_store_models import (
    AscBetaGroup,
    AscBuild,
    AscPhasedRelease,
    AscReviewSubmission,
    AscVersion,
)
from clients._apple_auth import AppStoreKey
from clients._auth import SourcedAuth
from clients._base import BaseClient, Options, json_body
from clients._errors import NotFoundError
from clients._retry import Retry, RetryPolicy, transient

__all__ = ["AppStoreConnectClient", "PhasedReleaseState", "rate_remaining"]


PhasedReleaseState = Literal["ACTIVE", "PAUSED", "COMPLETE"]

_PLATFORM = "IOS"
_LIMIT = 200  # Apple's maximum page size on most collections
_MAX_PAGES = 20
_BETA_GROUPS_LIMIT = 50  # limit[betaGroups] maximum on GET /v1/builds/{id}
_TERRITORIES_LIMIT = 50  # a page size every territoryAvailabilities listing takes
# Every reviewSubmissions state but COMPLETE: a submission still open for changes or in review.
_OPEN_SUBMISSION_STATES = (
    "READY_FOR_REVIEW",
    "WAITING_FOR_REVIEW",
    "IN_REVIEW",
    "UNRESOLVED_ISSUES",
    "CANCELING",
    "COMPLETING",
)
_READY = "READY_FOR_REVIEW"
# A submission in these states is sent (again) with `submitted: true`; any other open one is
# already with App Review.
_SUBMITTABLE = (_READY, "UNRESOLVED_ISSUES")
_AWAITING_RELEASE = ("PENDING_DEVELOPER_RELEASE", "PENDING_APPLE_RELEASE", "ACCEPTED")


class AppStoreConnectClient(BaseClient):
    """App Store Connect at `base_url` (https://api.appstoreconnect.apple.com, or the sandbox's
    `/appstore`); paths are `/v1/...` and `/v2/...` under it. iOS only (`platform: IOS`)."""

    provider = "app-store-connect"
    extra_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    default_timeout: ClassVar[float] = 30.0
    # Apple rarely sends Retry-After with a 429 and counts requests per rolling hour: back off
    # from 1 s (as fastlane does) rather than from our usual 0.2 s.
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(
        max_attempts=6, max_total_s=60.0, base_delay_s=1.0, max_delay_s=16.0
    )

    def __init__(self, base_url: str, key: AppStoreKey, **options: Unpack[Options]) -> None:
        super().__init__(base_url, auth=SourcedAuth(key), **options)
        self.rate_remaining: int | None = None  # `user-hour-rem` of the last answer that said it

    # -- hooks -----------------------------------------------------------------------------------

    def _retry_on(self, response: httpx.Response) -> Retry | None:
        # Every answer passes here once, so this is where the rate budget is read.
        remaining = rate_remaining(response)
        if remaining is not None:
            self.rate_remaining = remaining
        return transient(response)

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not errors:
            return None, self._excerpt(response.text)
        parts = []
        for error in errors:
            if isinstance(error, dict):
                title, detail = error.get("title") or "", error.get("detail") or ""
                text = f"{title}: {detail}" if title and detail and title != detail else title
                parts.append(f"{error.get('code')}: {text or detail}")
        first = errors[0] if isinstance(errors[0], dict) else {}
        return first.get("code"), "; ".join(parts)

    # -- builds and TestFlight -------------------------------------------------------------------

    async def find_build(self, app_id: str, version: str, build_number: str) -> AscBuild | None:
        """The app's iOS build `build_number` of marketing version `version`, newest upload first
        (an expired one only when nothing else matches); None when it is not uploaded yet."""
        op = "find_build"
        items = await self._collect(
            op,
            self._url("v1", "builds"),
            {
                "filter[app]": app_id,
                "filter[version]": build_number,
                "filter[preReleaseVersion.version]": version,
                "filter[preReleaseVersion.platform]": _PLATFORM,
                "sort": "-uploadedDate",
                "limit": _LIMIT,
            },
        )
        with self._parsing(op):
            builds = [_build(item) for item in items]
        live = [b for b in builds if not b.expired]
        chosen = live or builds
        return chosen[0] if chosen else None

    async def build(self, build_id: str) -> AscBuild:
        """One build by its id (`GET /v1/builds/{id}`)."""
        op = "build"
        body = await self._get(op, self._url("v1", "builds", build_id))
        with self._parsing(op):
            return _build(body["data"])

    async def build_beta_group_ids(self, build_id: str) -> frozenset[str]:
        """Ids of the beta groups the build is in (`GET /v1/builds/{id}?include=betaGroups`)."""
        op = "build_beta_group_ids"
        body = await self._get(
            op,
            self._url("v1", "builds", build_id),
            {
                "include": "betaGroups",
                "fields[builds]": "betaGroups",
                "limit[betaGroups]": _BETA_GROUPS_LIMIT,
            },
        )
        with self._parsing(op):
            linkage = body["data"].get("relationships", {}).get("betaGroups", {}).get("data")
            return frozenset(str(item["id"]) for item in linkage or ())

    async def beta_groups(self, app_id: str) -> tuple[AscBetaGroup, ...]:
        """Every TestFlight group of the app, internal and external (`GET /v1/betaGroups`
        filtered by app, as the API description gives it)."""
        op = "beta_groups"
        items = await self._collect(
            op, self._url("v1", "betaGroups"), {"filter[app]": app_id, "limit": _LIMIT}
        )
        with self._parsing(op):
            return tuple(_beta_group(item) for item in items)

    async def set_export_compliance(
        self, build_id: str, uses_non_exempt_encryption: bool
    ) -> AscBuild:
        """Answer the build's export-compliance question (`usesNonExemptEncryption`)."""
        op = "set_export_compliance"
        body = await self._patch(
            op, "builds", build_id, {"usesNonExemptEncryption": uses_non_exempt_encryption}
        )
        with self._parsing(op):
            return _build(body["data"])

    async def add_to_beta_groups(self, build_id: str, group_ids: Iterable[str]) -> None:
        """Add the build to each group. Adding a member again is a no-op in JSON:API, so a lost
        answer is simply sent again."""
        op = "add_to_beta_groups"
        for group_id in sorted(set(group_ids)):
            await self._call(
                op,
                "POST",
                self._url("v1", "betaGroups", group_id, "relationships", "builds"),
                json={"data": [{"type": "builds", "id": build_id}]},
            )

    # -- versions --------------------------------------------------------------------------------

    async def find_version(self, app_id: str, version_string: str) -> AscVersion | None:
        """The app's iOS App Store version `version_string`, or None."""
        found = await self._versions(
            "find_version", app_id, {"filter[versionString]": version_string}
        )
        return next((v for v in found if v.version_string == version_string), None)

    async def versions(self, app_id: str) -> tuple[AscVersion, ...]:
        """Every iOS App Store version of the app, newest (by createdDate) first."""
        found = await self._versions("versions", app_id, {"limit": _LIMIT})
        dated = sorted((v for v in found if v.created is not None), key=_created, reverse=True)
        return (*dated, *(v for v in found if v.created is None))

    async def versions_with_builds(
        self, app_id: str
    ) -> tuple[tuple[AscVersion, AscBuild | None, AscPhasedRelease | None], ...]:
        """Every iOS version of the app with its attached build and its phased release, newest
        first, in one listing (`include=build,appStoreVersionPhasedRelease`): what a look over
        many apps, or a step of a live release, can afford."""
        op = "versions_with_builds"
        url = self._url("v1", "apps", app_id, "appStoreVersions")
        params: dict[str, str | int] = {
            "limit": _LIMIT,
            "filter[platform]": _PLATFORM,
            "include": "build,appStoreVersionPhasedRelease",
        }
        with self._parsing(op):
            pages = await self._pages(op, url, params)
            included = [item for page in pages for item in page.get("included") or ()]
            builds = {str(i["id"]): _build(i) for i in included if i.get("type") == "builds"}
            phased = {
                str(i["id"]): _phased_release(i)
                for i in included
                if i.get("type") == "appStoreVersionPhasedReleases"
            }
            found = [
                (
                    _version(item),
                    builds.get(_linked(item, "build") or ""),
                    phased.get(_linked(item, "appStoreVersionPhasedRelease") or ""),
                )
                for page in pages
                for item in page["data"]
            ]
        dated = sorted(
            (f for f in found if f[0].created), key=lambda f: _created(f[0]), reverse=True
        )
        return (*dated, *(f for f in found if f[0].created is None))

    async def _versions(
        self, op: str, app_id: str, params: dict[str, str | int]
    ) -> list[AscVersion]:
        items = await self._collect(
            op,
            self._url("v1", "apps", app_id, "appStoreVersions"),
            {**params, "filter[platform]": _PLATFORM},
        )
        with self._parsing(op):
            return [_version(item) for item in items]

    async def version(self, version_id: str) -> AscVersion:
        op = "version"
        body = await self._get(op, self._url("v1", "appStoreVersions", version_id))
        with self._parsing(op):
            return _version(body["data"])

    async def version_build_id(self, version_id: str) -> str | None:
        """The id of the build attached to the version, or None."""
        op = "version_build_id"
        body = await self._get(
            op, self._url("v1", "appStoreVersions", version_id), {"include": "build"}
        )
        with self._parsing(op):
            build = body["data"].get("relationships", {}).get("build", {}).get("data")
            return str(build["id"]) if build else None

    async def create_version(
        self, app_id: str, version_string: str, *, build_id: str, release_type: str = "MANUAL"
    ) -> AscVersion:
        """A new iOS version with `build_id` attached. A lost answer is settled by looking the
        version up by its versionString (Apple refuses a second one with 409)."""
        op = "create_version"

        async def read_back() -> AscVersion | None:
            return await self.find_version(app_id, version_string)

        document = _new(
            "appStoreVersions",
            {"platform": _PLATFORM, "versionString": version_string, "releaseType": release_type},
            app=("apps", app_id),
            build=("builds", build_id),
        )
        return await self._create(op, document, read_back, _version)

    async def attach_build(self, version_id: str, build_id: str) -> None:
        """Make `build_id` the version's build (refused by Apple once the version is submitted)."""
        await self._call(
            "attach_build",
            "PATCH",
            self._url("v1", "appStoreVersions", version_id, "relationships", "build"),
            json={"data": {"type": "builds", "id": build_id}},
        )

    async def set_whats_new(self, version_id: str, text: str, locale: str = "en-US") -> None:
        """The version's "What's New" text in `locale`: the localization is updated, or created
        when the version has none in that locale."""
        op = "set_whats_new"
        existing = await self._localization_id(op, version_id, locale)
        if existing is not None:
            await self._patch(op, "appStoreVersionLocalizations", existing, {"whatsNew": text})
            return

        async def read_back() -> bool | None:
            return True if await self._localization_id(op, version_id, locale) else None

        document = _new(
            "appStoreVersionLocalizations",
            {"locale": locale, "whatsNew": text},
            appStoreVersion=("appStoreVersions", version_id),
        )
        await self._create(op, document, read_back)

    async def _localization_id(self, op: str, version_id: str, locale: str) -> str | None:
        items = await self._collect(
            op,
            self._url("v1", "appStoreVersions", version_id, "appStoreVersionLocalizations"),
            {"limit": _LIMIT},
        )
        with self._parsing(op):
            for item in items:
                if (item.get("attributes") or {}).get("locale") == locale:
                    return str(item["id"])
        return None

    # -- phased release --------------------------------------------------------------------------

    async def phased_release(self, version_id: str) -> AscPhasedRelease | None:
        """The version's phased release, or None when it has none."""
        op = "phased_release"
        url = self._url("v1", "appStoreVersions", version_id, "appStoreVersionPhasedRelease")
        try:
            body = await self._get(op, url)
        except NotFoundError:
            return None
        with self._parsing(op):
            data = body.get("data")
            return _phased_release(data) if data else None

    async def create_phased_release(self, version_id: str) -> AscPhasedRelease:
        """Enable phased release (INACTIVE until the version is released)."""
        op = "create_phased_release"

        async def read_back() -> AscPhasedRelease | None:
            return await self.phased_release(version_id)

        document = _new(
            "appStoreVersionPhasedReleases",
            {"phasedReleaseState": "INACTIVE"},
            appStoreVersion=("appStoreVersions", version_id),
        )
        return await self._create(op, document, read_back, _phased_release)

    async def set_phased_release(
        self, phased_id: str, state: PhasedReleaseState
    ) -> AscPhasedRelease:
        """Pause, resume, or release to everyone (COMPLETE, irreversible). Setting a state is
        idempotent, so a lost answer is sent again."""
        op = "set_phased_release"
        body = await self._patch(
            op, "appStoreVersionPhasedReleases", phased_id, {"phasedReleaseState": state}
        )
        with self._parsing(op):
            return _phased_release(body["data"])

    # -- review and release ----------------------------------------------------------------------

    async def open_submission(self, app_id: str) -> AscReviewSubmission | None:
        """The app's iOS review submission that is not COMPLETE yet (being prepared, waiting, in
        review, or with unresolved issues), or None."""
        submissions = await self._open_submissions("open_submission", app_id)
        return submissions[0][0] if submissions else None

    async def submit_for_review(self, app_id: str, version_id: str) -> AscReviewSubmission:
        """Submit the version for App Review: a reviewSubmission (platform IOS) → a
        reviewSubmissionItem for the version → PATCH `submitted: true`.

        Safe to run again: a submission already holding the version is returned as it is when it
        is with App Review, and sent again when it is READY_FOR_REVIEW or UNRESOLVED_ISSUES (a
        rejection, resubmitted); an open READY_FOR_REVIEW submission is reused for the item, so a
        re-run after a lost answer never makes a second submission.
        """
        op = "submit_for_review"
        submissions = await self._open_submissions(op, app_id)
        for submission, versions in submissions:
            if version_id in versions:
                if submission.state in _SUBMITTABLE:
                    return await self._submit(op, submission.id)
                return submission  # already with App Review
        ready = next((s for s, _ in submissions if s.state == _READY), None)
        if ready is None:
            ready = await self._create_submission(op, app_id)
        await self._add_item(op, ready.id, version_id)
        return await self._submit(op, ready.id)

    async def request_release(self, version_id: str) -> None:
        """Release a version that is PENDING_DEVELOPER_RELEASE (irreversible). A lost answer is
        settled by the version's state: no longer awaiting release means it was released."""
        op = "request_release"

        async def read_back() -> bool | None:
            state = (await self.version(version_id)).state
            return None if state in _AWAITING_RELEASE else True

        document = _new(
            "appStoreVersionReleaseRequests", appStoreVersion=("appStoreVersions", version_id)
        )
        await self._create(op, document, read_back)

    async def remove_from_sale(self, app_id: str) -> None:
        """Take the app off the App Store in every territory: the only real stop of an iOS
        release (a phased release cannot restart afterwards).

        API 4.x: the app's availability (`GET /v1/apps/{id}/appAvailabilityV2`), its territory
        availabilities (`GET /v2/appAvailabilities/{id}/territoryAvailabilities`), and
        `PATCH /v1/territoryAvailabilities/{id}` `available: false` for each one still available.
        Each PATCH sets a state, so it is safe to send again.
        """
        op = "remove_from_sale"
        availability = await self._get(op, self._url("v1", "apps", app_id, "appAvailabilityV2"))
        with self._parsing(op):
            availability_id = str(availability["data"]["id"])
        territories = await self._collect(
            op,
            self._url("v2", "appAvailabilities", availability_id, "territoryAvailabilities"),
            {"limit": _TERRITORIES_LIMIT},
        )
        with self._parsing(op):
            available = [
                str(item["id"])
                for item in territories
                if (item.get("attributes") or {}).get("available") is not False
            ]
        for territory_id in available:
            await self._patch(op, "territoryAvailabilities", territory_id, {"available": False})

    # -- submissions plumbing --------------------------------------------------------------------

    async def _open_submissions(
        self, op: str, app_id: str, states: tuple[str, ...] = _OPEN_SUBMISSION_STATES
    ) -> list[tuple[AscReviewSubmission, frozenset[str]]]:
        """Open submissions with the ids of the App Store versions in their items."""
        pages = await self._pages(
            op,
            self._url("v1", "reviewSubmissions"),
            {
                "filter[app]": app_id,
                "filter[platform]": _PLATFORM,
                "filter[state]": ",".join(states),
                "include": "items",
                "fields[reviewSubmissionItems]": "appStoreVersion,state",
                "limit": _LIMIT,
            },
        )
        found: list[tuple[AscReviewSubmission, frozenset[str]]] = []
        with self._parsing(op):
            for page in pages:
                items = _item_versions(page.get("included") or ())
                for data in page["data"]:
                    found.append((_submission(data), _submission_versions(data, items)))
        return found

    async def _submission_with_versions(
        self, op: str, submission_id: str
    ) -> tuple[AscReviewSubmission, frozenset[str]]:
        body = await self._get(
            op,
            self._url("v1", "reviewSubmissions", submission_id),
            {"include": "items", "fields[reviewSubmissionItems]": "appStoreVersion,state"},
        )
        with self._parsing(op):
            items = _item_versions(body.get("included") or ())
            return _submission(body["data"]), _submission_versions(body["data"], items)

    async def _create_submission(self, op: str, app_id: str) -> AscReviewSubmission:
        async def read_back() -> AscReviewSubmission | None:
            ready = await self._open_submissions(op, app_id, (_READY,))
            return ready[0][0] if ready else None

        document = _new("reviewSubmissions", {"platform": _PLATFORM}, app=("apps", app_id))
        return await self._create(op, document, read_back, _submission)

    async def _add_item(self, op: str, submission_id: str, version_id: str) -> None:
        async def read_back() -> bool | None:
            _, versions = await self._submission_with_versions(op, submission_id)
            return True if version_id in versions else None

        document = _new(
            "reviewSubmissionItems",
            reviewSubmission=("reviewSubmissions", submission_id),
            appStoreVersion=("appStoreVersions", version_id),
        )
        await self._create(op, document, read_back)

    async def _submit(self, op: str, submission_id: str) -> AscReviewSubmission:
        async def read_back() -> AscReviewSubmission | None:
            submission, _ = await self._submission_with_versions(op, submission_id)
            return submission if submission.state not in _SUBMITTABLE else None

        def parse(response: httpx.Response) -> AscReviewSubmission:
            with self._parsing(op):
                return _submission(response.json()["data"])

        return await self._write(
            op,
            "PATCH",
            self._url("v1", "reviewSubmissions", submission_id),
            json={
                "data": {
                    "type": "reviewSubmissions",
                    "id": submission_id,
                    "attributes": {"submitted": True},
                }
            },
            parse=parse,
            read_back=read_back,
        )

    # -- JSON:API plumbing -----------------------------------------------------------------------

    async def _get(
        self, op: str, url: str, params: Mapping[str, str | int] | None = None
    ) -> dict[str, Any]:
        response = await self._call(op, "GET", url, params=params)
        return self._document(op, response)

    async def _patch(
        self, op: str, kind: str, ident: str, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        """`PATCH /v1/{kind}/{id}` of attributes: idempotent, so re-sent freely after a lost
        answer."""
        document = {"data": {"type": kind, "id": ident, "attributes": attributes}}
        response = await self._call(op, "PATCH", self._url("v1", kind, ident), json=document)
        return self._document(op, response)

    async def _create(
        self,
        op: str,
        document: dict[str, Any],
        read_back: Callable[[], Awaitable[Any]],
        parse: Callable[[Any], Any] = lambda _: True,
    ) -> Any:
        """`POST /v1/{type}` of a `_new` document, which must not happen twice: after a lost
        answer `read_back` says whether it took effect (a value) or not (None: sent again)."""
        url = self._url("v1", document["data"]["type"])

        def parsed(response: httpx.Response) -> Any:
            body = self._document(op, response) if response.content else {}
            with self._parsing(op):
                return parse(body.get("data"))

        return await self._write(op, "POST", url, json=document, parse=parsed, read_back=read_back)

    def _document(self, op: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {}
        body = json_body(response)
        if not isinstance(body, dict):
            raise self._fail(op, status=response.status_code, detail="answer is not JSON:API")
        return body

    async def _pages(
        self, op: str, url: str, params: Mapping[str, str | int]
    ) -> list[dict[str, Any]]:
        """Every page of a collection, following `links.next` (kept on our own host)."""
        pages: list[dict[str, Any]] = []
        next_url: str | None = url
        query: Mapping[str, str | int] | None = params
        for _ in range(_MAX_PAGES):
            assert next_url is not None
            response = await self._call(op, "GET", next_url, params=query)
            body = self._document(op, response)
            pages.append(body)
            link = (body.get("links") or {}).get("next")
            if not link:
                return pages
            next_url, query = self._follow(op, response, str(link)), None
        raise self._fail(op, detail=f"more than {_MAX_PAGES} pages")

    async def _collect(
        self, op: str, url: str, params: Mapping[str, str | int]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        with self._parsing(op):
            for page in await self._pages(op, url, params):
                items.extend(page["data"])
        return items


def _new(
    kind: str, attributes: dict[str, Any] | None = None, **related: tuple[str, str]
) -> dict[str, Any]:
    """A JSON:API create document: `related` names each to-one relationship (type, id)."""
    data: dict[str, Any] = {"type": kind}
    if attributes:
        data["attributes"] = attributes
    if related:
        data["relationships"] = {
            name: {"data": {"type": kind_, "id": ident}} for name, (kind_, ident) in related.items()
        }
    return {"data": data}


# -- rate limit ----------------------------------------------------------------------------------


def rate_remaining(response: httpx.Response) -> int | None:
    """`user-hour-rem` of `X-Rate-Limit: user-hour-lim:3600;user-hour-rem:3599;`, or None."""
    header = response.headers.get("x-rate-limit")
    if not header:
        return None
    for part in header.split(";"):
        name, _, value = part.partition(":")
        if name.strip() == "user-hour-rem" and value.strip().lstrip("-").isdigit():
            return int(value.strip())
    return None


# -- parsing -------------------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _linked(item: dict[str, Any], relationship: str) -> str | None:
    """The id a JSON:API resource's to-one relationship links to, if the answer carries it."""
    data = ((item.get("relationships") or {}).get(relationship) or {}).get("data")
    return str(data["id"]) if isinstance(data, dict) and "id" in data else None


def _created(version: AscVersion) -> datetime:
    assert version.created is not None
    return version.created


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    attributes = item.get("attributes")
    return attributes if isinstance(attributes, dict) else {}


def _build(item: dict[str, Any]) -> AscBuild:
    a = _attributes(item)
    encryption = a.get("usesNonExemptEncryption")
    return AscBuild(
        id=str(item["id"]),
        version=str(a["version"]),
        processing_state=str(a.get("processingState") or "PROCESSING"),
        uses_non_exempt_encryption=bool(encryption) if encryption is not None else None,
        uploaded=_when(a.get("uploadedDate")),
        expired=bool(a.get("expired") or False),
    )


def _beta_group(item: dict[str, Any]) -> AscBetaGroup:
    a = _attributes(item)
    return AscBetaGroup(
        id=str(item["id"]),
        name=str(a.get("name") or ""),
        is_internal=bool(a.get("isInternalGroup")),
    )


def _version(item: dict[str, Any]) -> AscVersion:
    a = _attributes(item)
    state = a.get("appVersionState") or a.get("appStoreState")
    if not state:
        raise ValueError("a version without appVersionState or appStoreState")
    return AscVersion(
        id=str(item["id"]),
        version_string=str(a["versionString"]),
        state=str(state),
        release_type=a.get("releaseType"),
        created=_when(a.get("createdDate")),
    )


def _phased_release(item: dict[str, Any]) -> AscPhasedRelease:
    a = _attributes(item)
    return AscPhasedRelease(
        id=str(item["id"]),
        state=str(a["phasedReleaseState"]),
        current_day=int(a.get("currentDayNumber") or 0),
        paused_days=int(a.get("totalPauseDuration") or 0),
        start=_when(a.get("startDate")),
    )


def _submission(item: dict[str, Any]) -> AscReviewSubmission:
    a = _attributes(item)
    return AscReviewSubmission(
        id=str(item["id"]), state=str(a["state"]), submitted=_when(a.get("submittedDate"))
    )


def _item_versions(included: Iterable[Any]) -> dict[str, str]:
    """reviewSubmissionItem id → the id of the App Store version it carries."""
    versions: dict[str, str] = {}
    for item in included:
        if not isinstance(item, dict) or item.get("type") != "reviewSubmissionItems":
            continue
        if (_attributes(item).get("state")) == "REMOVED":
            continue
        linked = (item.get("relationships") or {}).get("appStoreVersion", {}).get("data")
        if linked:
            versions[str(item["id"])] = str(linked["id"])
    return versions


def _submission_versions(data: dict[str, Any], items: Mapping[str, str]) -> frozenset[str]:
    relationships = data.get("relationships") or {}
    linked = (relationships.get("items") or {}).get("data") or ()
    found = {items[str(ref["id"])] for ref in linked if str(ref["id"]) in items}
    for_review = (relationships.get("appStoreVersionForReview") or {}).get("data")
    if for_review:
        found.add(str(for_review["id"]))
    return frozenset(found)
