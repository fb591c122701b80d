"""Google Play: read where a version stands, upload, set the production release, read vitals.

Every write is one edit (insert → change → commit with ERROR_IF_IN_REVIEW) made while the app's
concurrency slot is held, because edits invalidate each other. Status is read from the releases
endpoint (no edit); the production fraction needs a track read, which opens a short edit — also
under the slot.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from clients import (
    ChangesInReviewError,
    LocalizedText,
    ProviderError,
    Release,
    ReleaseStatus,
)
from procedure.android import PlayState, ProductionRelease, VitalsSample
from procedure.policy import AndroidApp
from tasks.bundles import checked_bundle
from tasks.providers import play_publisher, play_reporting

__all__ = [
    "ChangesInReviewError",
    "is_play_outage",
    "read_play",
    "read_vitals",
    "set_production_release",
    "upload_bundle",
]

PLAY_PROVIDERS = frozenset({"google-play", "google-play-reporting", "google-oauth"})


def is_play_outage(error: BaseException) -> bool:
    """Google (Play, its reporting API, its token endpoint) failed to answer — 5xx, 429, a timeout
    or a dropped connection, after the client's own retries: a later attempt may well succeed.
    A 4xx (bad request, not found, a refused edit) is an answer, not an outage."""
    return (
        isinstance(error, ProviderError)
        and error.provider in PLAY_PROVIDERS
        and (error.status is None or error.status == 429 or error.status >= 500)
    )


@task(name="read Google Play", retries=0, cache_policy=NO_CACHE)
async def read_play(app: AndroidApp) -> PlayState:
    pkg = app.package_name
    async with play_publisher() as play:
        lifecycle = {
            code: state.lifecycle_state
            for state in await play.list_releases(pkg, app.production_track)
            for code in state.version_codes
        }
        edit = await play.insert_edit(pkg)
        try:
            internal = await play.get_track(pkg, edit.id, app.internal_track)
            production = await play.get_track(pkg, edit.id, app.production_track)
        finally:
            try:
                await play.delete_edit(pkg, edit.id)
            except ProviderError as error:
                # only reads were made in it: an edit left open blocks nothing (the next insert
                # replaces it, Play expires it), so what was read stands
                get_run_logger().warning("could not delete read-only edit %s: %s", edit.id, error)
    releases = tuple(
        ProductionRelease(
            version_codes=tuple(int(c) for c in r.version_codes),
            status=r.status,
            fraction=r.user_fraction,
            name=r.name,
            lifecycle=next(
                (lifecycle[int(c)] for c in r.version_codes if int(c) in lifecycle), None
            ),
        )
        for r in production.releases
    )
    internal_codes = frozenset(int(c) for r in internal.releases for c in r.version_codes)
    return PlayState(internal_codes, releases)


@task(name="upload bundle to the internal track", retries=0, cache_policy=NO_CACHE)
async def upload_bundle(app: AndroidApp, path: str, version_name: str, notes: str) -> int:
    """Not retried by Prefect: a retry would upload twice; a re-run reads the track first."""
    data = checked_bundle(path, app).read_bytes()  # checked again: the file may have changed
    async with play_publisher() as play:
        return await play.upload_to_track(
            app.package_name,
            app.internal_track,
            data,
            release_name=version_name,
            release_notes=_notes(notes),
            status="completed",
        )


def _notes(text: str) -> tuple[LocalizedText, ...]:
    return (LocalizedText(language="en-US", text=text),) if text else ()


@task(name="set production release", retries=0, cache_policy=NO_CACHE)
async def set_production_release(
    app: AndroidApp,
    version_code: int,
    status: ReleaseStatus,
    fraction: float | None,
    name: str,
    notes: str,
) -> None:
    # No name or notes given (a continuation, advance-rollouts, a halt): Play keeps the release's
    # own; Play names a new release after the bundle's versionName.
    release = Release(
        name=name or None,
        version_codes=(str(version_code),),
        status=status,
        user_fraction=fraction if status in ("inProgress", "halted") else None,
        release_notes=_notes(notes),
    )
    async with play_publisher() as play:
        await play.apply_track_release(app.package_name, app.production_track, release)


@task(name="read vitals", retries=0, cache_policy=NO_CACHE)
async def read_vitals(
    app: AndroidApp, version_code: int, start: datetime, end: datetime
) -> VitalsSample:
    async with play_reporting() as vitals:
        got = await vitals.vitals(app.package_name, version_code, start=start, end=end)
    return VitalsSample(
        got.user_perceived_crash_rate, got.user_perceived_anr_rate, got.distinct_users
    )
