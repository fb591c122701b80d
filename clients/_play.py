"""Google Play Developer API v3 (androidpublisher): edits, bundles, tracks, and release state.

Edits invalidate each other (a new edit by the same account replaces any open one), so every
change is one short edit: insert → read → write → commit, deleted again on any failure. Status is
read from `applications/{pkg}/tracks/{track}/releases`, which needs no edit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar, Unpack

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from clients._base import Options, segment
from clients._errors import ProviderError
from clients._google import AccessTokenSource, GoogleApiClient, is_conflict
from clients._play_models import (
    AppEdit,
    Bundle,
    ChangesInReviewBehavior,
    CountryTargeting,
    LocalizedText,
    Release,
    ReleaseStatus,
    Track,
    TrackReleaseState,
)
from clients._retry import Retry

__all__ = ["ChangesInReviewError", "PlayPublisherClient", "StaleEditError"]

log = logging.getLogger("clients")

_IN_REVIEW = "CHANGES_ALREADY_IN_REVIEW"
_API_PATH = "/androidpublisher/v3"
_MIN_UPLOAD_TIMEOUT_S = 120.0  # Google: "a timeout of 2 minutes is recommended" for uploads
_STAGED = ("inProgress", "halted")
_FRACTION_TOLERANCE = 1e-9
_EDIT_ROUNDS = 3  # a whole change is tried in at most this many edits when the app moves under it

T = TypeVar("T")


class ChangesInReviewError(ProviderError):
    """A commit refused with CHANGES_ALREADY_IN_REVIEW (sent with ERROR_IF_IN_REVIEW): nothing
    was published and the review in progress goes on. Wait for it, or cancel it in the Console."""


class StaleEditError(ProviderError):
    """A commit refused with 409 concurrentUpdate (ABORTED): the app changed since the edit was
    opened. Nothing was published; only a new edit gets past it."""


_REFINED: dict[str, type[ProviderError]] = {
    _IN_REVIEW: ChangesInReviewError,
    "concurrentUpdate": StaleEditError,
    "ABORTED": StaleEditError,
}


class PlayPublisherClient(GoogleApiClient):
    """androidpublisher v3 at `base_url` (e.g. https://androidpublisher.googleapis.com/
    androidpublisher/v3); bundles go to `upload_url` (default: `/upload` put before
    `/androidpublisher/v3`). Credentials need the androidpublisher scope.

    Every commit sends `changesInReviewBehavior` (ERROR_IF_IN_REVIEW unless told otherwise):
    the API's own default cancels a review in progress and resubmits everything.
    """

    provider = "google-play"

    def __init__(
        self,
        base_url: str,
        credentials: AccessTokenSource,
        *,
        upload_url: str | None = None,
        upload_timeout: float = 300.0,
        **options: Unpack[Options],
    ) -> None:
        if upload_timeout < _MIN_UPLOAD_TIMEOUT_S:
            raise ValueError(f"upload_timeout must be at least {_MIN_UPLOAD_TIMEOUT_S:.0f} s")
        super().__init__(base_url, credentials, **options)
        self._upload_url = upload_url.rstrip("/") if upload_url else _derive_upload_url(base_url)
        self._upload_timeout = upload_timeout

    @property
    def upload_url(self) -> str | None:
        return self._upload_url

    def _retry_on(self, response: httpx.Response) -> Retry | None:
        # A commit's conflict means the edit is stale: re-sending it cannot help, a new edit can
        # (`_in_fresh_edits`, for the whole changes).
        if is_conflict(response) and response.request.url.path.endswith(":commit"):
            return None
        return super()._retry_on(response)

    # -- edits -----------------------------------------------------------------------------------

    async def insert_edit(self, package: str) -> AppEdit:
        """Open an edit. This replaces (invalidates) any edit this account has open for the app."""
        op = "insert_edit"
        # Re-sent freely: a lost answer's edit is simply replaced by the next one.
        response = await self._call(op, "POST", self._app_url(package, "edits"), json={})
        with self._parsing(op):
            return _app_edit(response.json())

    async def get_edit(self, package: str, edit_id: str) -> AppEdit:
        op = "get_edit"
        response = await self._call(op, "GET", self._app_url(package, "edits", edit_id))
        with self._parsing(op):
            return _app_edit(response.json())

    async def delete_edit(self, package: str, edit_id: str) -> None:
        """Delete an edit; one that is already gone counts as deleted: 404, or 400 "This Edit
        has been deleted" — what a DELETE sent again after its lost answer is told."""
        await self._call(
            "delete_edit",
            "DELETE",
            self._app_url(package, "edits", edit_id),
            ok=lambda r: r.is_success or r.status_code in (404, 410) or _edit_gone(r),
        )

    async def commit_edit(
        self,
        package: str,
        edit_id: str,
        *,
        changes_in_review_behavior: ChangesInReviewBehavior = "ERROR_IF_IN_REVIEW",
        changes_not_sent_for_review: bool | None = None,
    ) -> AppEdit:
        """Commit an edit. Raises ChangesInReviewError if changes are in review (with the
        default ERROR_IF_IN_REVIEW). After a lost answer the edit is looked up: still open means
        the commit did not happen and it is sent again; gone means it cannot be told here, and a
        ProviderError asks the caller to read the track before trying again (apply_track_release
        and upload_to_track do that read themselves)."""
        return await self._commit(
            package,
            edit_id,
            behavior=changes_in_review_behavior,
            not_sent=changes_not_sent_for_review,
            confirm=None,
        )

    # -- bundles ---------------------------------------------------------------------------------

    async def upload_bundle(self, package: str, edit_id: str, data: bytes) -> Bundle:
        """Upload an .aab into the edit (simple media upload, `upload_timeout` per attempt).
        After a lost answer the edit's bundles are searched for this file's SHA-256, and the
        upload is sent again only if it is not there."""
        op = "upload_bundle"
        if self._upload_url is None:
            raise ValueError("no upload_url: pass it to PlayPublisherClient")
        digest = hashlib.sha256(data).hexdigest()
        url = f"{self._upload_url}/applications/{segment(package)}/edits/{segment(edit_id)}/bundles"

        async def read_back() -> Bundle | None:
            for bundle in await self.list_bundles(package, edit_id):
                if bundle.sha256 is not None and bundle.sha256.lower() == digest:
                    return bundle
            return None

        def parse(response: httpx.Response) -> Bundle:
            with self._parsing(op):
                return _bundle(response.json())

        # One full-length attempt on top of the usual budget, so the upload is not cut short.
        policy = replace(self._retry, max_total_s=self._retry.max_total_s + self._upload_timeout)
        return await self._write(
            op,
            "POST",
            url,
            parse=parse,
            read_back=read_back,
            timeout=self._upload_timeout,
            retry=policy,
            params={"uploadType": "media"},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    async def list_bundles(self, package: str, edit_id: str) -> list[Bundle]:
        op = "list_bundles"
        response = await self._call(op, "GET", self._app_url(package, "edits", edit_id, "bundles"))
        with self._parsing(op):
            return [_bundle(item) for item in response.json().get("bundles") or ()]

    # -- tracks ----------------------------------------------------------------------------------

    async def get_track(self, package: str, edit_id: str, track: str) -> Track:
        op = "get_track"
        url = self._app_url(package, "edits", edit_id, "tracks", track)
        response = await self._call(op, "GET", url)
        with self._parsing(op):
            return _track(response.json(), track)

    async def update_track(self, package: str, edit_id: str, track: Track) -> Track:
        """Replace the track's releases in the edit (PUT: sending it twice changes nothing)."""
        op = "update_track"
        url = self._app_url(package, "edits", edit_id, "tracks", track.track)
        response = await self._call(op, "PUT", url, json=track.to_wire())
        with self._parsing(op):
            return _track(response.json(), track.track)

    async def list_releases(self, package: str, track: str) -> list[TrackReleaseState]:
        """The track's releases with their review/publishing state (at most 20, obsolete ones
        left out). Opens no edit, so it is safe to poll."""
        op = "list_releases"
        url = self._app_url(package, "tracks", track, "releases")
        response = await self._call(op, "GET", url)
        with self._parsing(op):
            return [_release_state(item, track) for item in response.json().get("releases") or ()]

    # -- whole changes ---------------------------------------------------------------------------

    async def apply_track_release(
        self,
        package: str,
        track: str,
        release: Release,
        *,
        changes_in_review_behavior: ChangesInReviewBehavior = "ERROR_IF_IN_REVIEW",
        changes_not_sent_for_review: bool | None = None,
    ) -> Track:
        """Make `release` (matched by its version codes) what the track holds, in one edit.

        insert_edit → get_track → put the release in place of the one with the same version
        codes (or add it), keeping the releases Play still needs → update_track → commit. Fields
        the release leaves unset (name, notes, the fraction of a halted or resumed rollout,
        country targeting, update priority) are kept from the track. Nothing is committed when
        the track already shows the release so; the edit is then deleted, as on any failure.
        Returns the track as Play answered the update (or as it already was).

        A 409 concurrentUpdate (the app changed since the edit was opened, e.g. in the Console)
        starts the whole change over in a new edit, at most three times in all.
        """

        async def once() -> Track:
            return await self._apply_once(
                package, track, release, changes_in_review_behavior, changes_not_sent_for_review
            )

        return await self._in_fresh_edits("apply_track_release", once)

    async def _apply_once(
        self,
        package: str,
        track: str,
        release: Release,
        behavior: ChangesInReviewBehavior,
        not_sent: bool | None,
    ) -> Track:
        async with self._edit(package) as edit:
            current = await self.get_track(package, edit.id, track)
            existing = current.release_with(release.version_codes)
            wanted = _effective(release, existing)
            if existing is not None and _satisfies(existing, wanted):
                return current
            updated = await self.update_track(package, edit.id, _merge(current, track, wanted))

            async def confirm() -> bool:
                return await self._track_shows(package, track, wanted)

            await self._commit(
                package, edit.id, behavior=behavior, not_sent=not_sent, confirm=confirm
            )
            edit.committed = True
            return updated

    async def upload_to_track(
        self,
        package: str,
        track: str,
        data: bytes,
        *,
        release_name: str,
        release_notes: Sequence[LocalizedText] = (),
        status: ReleaseStatus = "completed",
        changes_in_review_behavior: ChangesInReviewBehavior = "ERROR_IF_IN_REVIEW",
    ) -> int:
        """Upload an .aab and release it on `track` in one edit; returns its version code.

        insert_edit → upload_bundle → get_track → update_track → commit; the edit is deleted on
        any failure. A lost commit answer is settled by reading the track in a new edit; a 409
        concurrentUpdate starts over in a new edit (the bundle is uploaded again), at most three
        times in all.
        """

        async def once() -> int:
            return await self._upload_once(
                package,
                track,
                data,
                release_name,
                tuple(release_notes),
                status,
                changes_in_review_behavior,
            )

        return await self._in_fresh_edits("upload_to_track", once)

    async def _upload_once(
        self,
        package: str,
        track: str,
        data: bytes,
        release_name: str,
        release_notes: tuple[LocalizedText, ...],
        status: ReleaseStatus,
        behavior: ChangesInReviewBehavior,
    ) -> int:
        async with self._edit(package) as edit:
            bundle = await self.upload_bundle(package, edit.id, data)
            release = Release(
                name=release_name,
                version_codes=(str(bundle.version_code),),
                status=status,
                release_notes=release_notes,
            )
            current = await self.get_track(package, edit.id, track)
            await self.update_track(package, edit.id, _merge(current, track, release))

            async def confirm() -> bool:
                return await self._track_shows(package, track, release)

            await self._commit(package, edit.id, behavior=behavior, not_sent=None, confirm=confirm)
            edit.committed = True
            return bundle.version_code

    # -- plumbing --------------------------------------------------------------------------------

    async def _commit(
        self,
        package: str,
        edit_id: str,
        *,
        behavior: ChangesInReviewBehavior,
        not_sent: bool | None,
        confirm: Callable[[], Awaitable[bool]] | None,
    ) -> AppEdit:
        op = "commit_edit"
        # Not in the 2024 discovery document; documented for edits.commit since (reference §2.5).
        params: dict[str, str | int] = {"changesInReviewBehavior": behavior}
        if not_sent is not None:
            params["changesNotSentForReview"] = "true" if not_sent else "false"

        async def read_back() -> AppEdit | None:
            if await self._edit_is_open(package, edit_id):
                return None  # the commit did not happen: sending it again is safe
            if confirm is not None and await confirm():
                return AppEdit(id=edit_id, expiry_time_seconds=None)
            outcome = (
                "the change is not on the track (the edit was replaced or expired): applying it "
                "again is safe"
                if confirm is not None
                else "it was committed, or replaced by another edit: read the track before "
                "trying again"
            )
            raise self._fail(op, detail=f"the answer was lost and the edit is gone; {outcome}")

        def parse(response: httpx.Response) -> AppEdit:
            with self._parsing(op):
                body = response.json()
                return _app_edit(body) if body else AppEdit(id=edit_id, expiry_time_seconds=None)

        try:
            return await self._write(
                op,
                "POST",
                self._app_url(package, "edits", edit_id) + ":commit",
                parse=parse,
                read_back=read_back,
                params=params,
            )
        except ProviderError as error:
            refined = _REFINED.get(str(error.code))
            if refined is None or isinstance(error, refined):
                raise
            raise refined(**error._state()) from None

    async def _in_fresh_edits(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """A whole change, started over in a new edit when its commit finds the edit stale. The
        commit itself is never re-sent on a conflict (`_retry_on`), so no request is retried by
        two loops: this one re-runs different requests (a new edit), at most `_EDIT_ROUNDS`."""

        def note(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            log.warning("google-play %s: %s; starting over in a new edit", what, error)

        rounds = AsyncRetrying(
            retry=retry_if_exception_type(StaleEditError),
            stop=stop_after_attempt(_EDIT_ROUNDS),
            wait=self._retry.wait(),
            sleep=self._retry.sleep,
            before_sleep=note,
            reraise=True,
        )
        return await rounds(attempt)

    async def _edit_is_open(self, package: str, edit_id: str) -> bool:
        try:
            await self.get_edit(package, edit_id)
        except ProviderError as error:
            # 404, or 400 "This Edit has been deleted" / "This edit has expired": it is gone.
            if error.status in (400, 404, 410):
                return False
            raise
        return True

    async def _track_shows(self, package: str, track: str, wanted: Release) -> bool:
        """Whether the track, read in a fresh edit, holds `wanted` (the edit is deleted after)."""
        async with self._edit(package) as edit:
            current = await self.get_track(package, edit.id, track)
        existing = current.release_with(wanted.version_codes)
        return existing is not None and _satisfies(existing, wanted)

    @asynccontextmanager
    async def _edit(self, package: str) -> AsyncIterator[_OpenEdit]:
        """A new edit for one change, deleted on the way out unless it was committed (Play
        deletes a committed edit itself)."""
        edit = _OpenEdit((await self.insert_edit(package)).id)
        try:
            yield edit
        finally:
            if not edit.committed:
                await self._discard(package, edit.id)

    async def _discard(self, package: str, edit_id: str) -> None:
        """Best effort: an edit left open only blocks until the next insert replaces it."""
        try:
            await self.delete_edit(package, edit_id)
        except ProviderError as error:
            log.warning("google-play: could not delete edit %s of %s: %s", edit_id, package, error)

    def _app_url(self, package: str, *rest: str) -> str:
        return self._url("applications", package, *rest)


def _edit_gone(response: httpx.Response) -> bool:
    """400 FAILED_PRECONDITION "This Edit has been deleted." / "This edit has expired"."""
    return response.status_code == 400 and any(
        words in response.text.lower() for words in ("has been deleted", "has expired")
    )


@dataclass
class _OpenEdit:
    id: str
    committed: bool = False


def _derive_upload_url(base_url: str) -> str | None:
    base = base_url.rstrip("/")
    if base.endswith(_API_PATH):
        return base[: -len(_API_PATH)] + "/upload" + _API_PATH
    return None


# -- what a whole change puts on the track -------------------------------------------------------


def _effective(wanted: Release, existing: Release | None) -> Release:
    """`wanted`, with what it leaves unset taken from the release it replaces."""
    if existing is None:
        return wanted
    update: dict[str, Any] = {}
    if wanted.name is None and existing.name is not None:
        update["name"] = existing.name
    if not wanted.release_notes and existing.release_notes:
        update["release_notes"] = existing.release_notes
    if wanted.in_app_update_priority is None and existing.in_app_update_priority is not None:
        update["in_app_update_priority"] = existing.in_app_update_priority
    if wanted.status in _STAGED:
        # Halt keeps the fraction; resume without one goes back to it.
        if wanted.user_fraction is None and existing.user_fraction is not None:
            update["user_fraction"] = existing.user_fraction
        if wanted.country_targeting is None and existing.country_targeting is not None:
            update["country_targeting"] = existing.country_targeting
    return wanted.model_copy(update=update) if update else wanted


def _merge(current: Track, track: str, wanted: Release) -> Track:
    """The track's releases with `wanted` in place of the one with its version codes.

    Kept: drafts, and — when `wanted` is a staged rollout (inProgress/halted) — the completed
    release that still serves everyone else. Dropped: what `wanted` supersedes (another staged
    rollout; and everything but drafts when `wanted` is completed).
    """
    releases: list[Release] = []
    placed = False
    for release in current.releases:
        if release.codes == wanted.codes:
            releases.append(wanted)
            placed = True
        elif _still_needed(release, wanted):
            releases.append(release)
        # else: superseded by `wanted`
    if not placed:
        releases.append(wanted)
    return Track(track=track, releases=tuple(releases))


def _still_needed(release: Release, wanted: Release) -> bool:
    if release.status == "draft" or wanted.status == "draft":
        return True
    return wanted.status in _STAGED and release.status == "completed"


def _satisfies(existing: Release, wanted: Release) -> bool:
    """Whether `existing` already is `wanted` in everything `wanted` sets."""
    if existing.codes != wanted.codes or existing.status != wanted.status:
        return False
    if (existing.user_fraction is None) != (wanted.user_fraction is None):
        return False
    if (
        existing.user_fraction is not None
        and wanted.user_fraction is not None
        and abs(existing.user_fraction - wanted.user_fraction) > _FRACTION_TOLERANCE
    ):
        return False
    if wanted.name is not None and existing.name != wanted.name:
        return False
    if wanted.release_notes and set(existing.release_notes) != set(wanted.release_notes):
        return False
    if wanted.country_targeting is not None and existing.country_targeting != (
        wanted.country_targeting
    ):
        return False
    return not (
        wanted.in_app_update_priority is not None
        and existing.in_app_update_priority != wanted.in_app_update_priority
    )


# -- parsing -------------------------------------------------------------------------------------


def _app_edit(item: dict[str, Any]) -> AppEdit:
    expiry = item.get("expiryTimeSeconds")
    return AppEdit(
        id=item["id"],
        expiry_time_seconds=int(expiry) if expiry not in (None, "") else None,
    )


def _bundle(item: dict[str, Any]) -> Bundle:
    return Bundle(
        version_code=int(item["versionCode"]),
        sha1=item.get("sha1"),
        sha256=item.get("sha256"),
    )


def _track(item: dict[str, Any], name: str) -> Track:
    return Track(
        track=item.get("track") or name,
        releases=tuple(_release(release) for release in item.get("releases") or ()),
    )


def _release(item: dict[str, Any]) -> Release:
    status = item.get("status") or "statusUnspecified"
    fraction = item.get("userFraction")
    # Lenient on reads: a fraction Play reports beside another status is not ours to refuse.
    if fraction is not None and (status not in _STAGED or not 0 < float(fraction) < 1):
        fraction = None
    targeting = item.get("countryTargeting")
    return Release(
        name=item.get("name"),
        version_codes=tuple(str(code) for code in item.get("versionCodes") or ()),
        status=status,
        user_fraction=float(fraction) if fraction is not None else None,
        release_notes=tuple(
            LocalizedText(language=note["language"], text=note.get("text") or "")
            for note in item.get("releaseNotes") or ()
        ),
        country_targeting=(
            CountryTargeting(
                countries=tuple(targeting.get("countries") or ()),
                include_rest_of_world=targeting.get("includeRestOfWorld"),
            )
            if isinstance(targeting, dict)
            else None
        ),
        in_app_update_priority=item.get("inAppUpdatePriority"),
    )


def _release_state(item: dict[str, Any], track: str) -> TrackReleaseState:
    return TrackReleaseState(
        release_name=item.get("releaseName"),
        track=item.get("track") or track,
        version_codes=tuple(
            int(artifact["versionCode"]) for artifact in item.get("activeArtifacts") or ()
        ),
        lifecycle_state=item.get("releaseLifecycleState") or "RELEASE_LIFECYCLE_STATE_UNSPECIFIED",
    )
