"""App Store Connect: read where a build and its version stand, and the few writes the procedure
makes (export compliance, TestFlight groups, the version and its submission, the release, the
phased release's state, removal from sale).

Every write is preceded by a read in the same step (the caller holds the app's slot), and each
one is idempotent against that read: a group the build is in is not added again, an open review
submission is reused, a version that is live is not released again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from clients import AppStoreConnectClient, AscPhasedRelease, ProviderError
from procedure.ios import DECIDED_BY_VERSION, PhasedView, StoreView
from procedure.policy import IosApp
from tasks.providers import app_store

__all__ = [
    "StoreReading",
    "add_to_beta_groups",
    "answer_export_compliance",
    "is_apple_outage",
    "read_store",
    "release_name",
    "releases_in_flight",
    "remove_from_sale",
    "request_release",
    "set_phased_release",
    "submit_for_review",
]

RATE_WARNING = 360  # a tenth of Apple's ~3,600 requests an hour per key
LIVE_STATES = frozenset({"READY_FOR_DISTRIBUTION", "READY_FOR_SALE", "REPLACED_WITH_NEW_VERSION"})


def is_apple_outage(error: BaseException) -> bool:
    """App Store Connect (or the sessions source) did not answer — 5xx, 429, a timeout — after
    the client's own retries; a 4xx is an answer."""
    return (
        isinstance(error, ProviderError)
        and error.provider in ("app-store-connect", "sentry")
        and (error.status is None or error.status == 429 or error.status >= 500)
    )


@dataclass(frozen=True)
class StoreReading:
    """`StoreView` for the core, plus the ids the writes need."""

    view: StoreView
    build_id: str | None = None
    version_id: str | None = None
    version_build_id: str | None = None  # the build attached to the version now
    phased_id: str | None = None
    previous_release: str | None = None  # the live release before this one, as the source names it


def _phased_view(phased: AscPhasedRelease, app: IosApp) -> PhasedView:
    # Apple counts the pause in whole days, the one in progress included; a day is the policy's
    # `phased_day` (24 h; the sandbox shrinks it alike)
    return PhasedView(phased.state, phased.current_day, phased.paused_days * app.phased_day)


def release_name(app: IosApp, version: str, build: str) -> str:
    """The release as the iOS SDKs report it to Sentry: `bundle@version+build`."""
    return f"{app.bundle_id}@{version}+{build}"


@task(name="read App Store Connect", retries=0, cache_policy=NO_CACHE)
async def read_store(app: IosApp, version: str, build_number: str) -> StoreReading:
    """One listing of the app's versions (their builds and phased releases included); the build
    and its TestFlight groups are read too only while the version is not yet past submission."""
    async with app_store() as asc:
        listed = await asc.versions_with_builds(app.app_id)
        ours, attached, phased = next(
            (entry for entry in listed if entry[0].version_string == version), (None, None, None)
        )
        settled = (
            ours is not None
            and ours.state in DECIDED_BY_VERSION
            and attached is not None
            and attached.version == build_number
        )
        build, in_groups = (attached, True) if settled else (None, False)
        if not settled:  # what the build's own steps (compliance, groups) need
            build = await asc.find_build(app.app_id, version, build_number)
            if build is not None:
                in_groups = await _in_groups(asc, app, build.id)
        previous = next(
            (
                release_name(app, v.version_string, b.version)
                for v, b, _ in listed
                if v.version_string != version and v.state in LIVE_STATES and b is not None
            ),
            None,
        )
        if asc.rate_remaining is not None and asc.rate_remaining < RATE_WARNING:
            get_run_logger().warning(
                "App Store Connect rate budget low: %d requests left this hour for this key",
                asc.rate_remaining,
            )
    # The version is keyed by its version string; a build attached before ours is replaced when
    # it is submitted (PREPARE_FOR_SUBMISSION), so its state is the version's own.
    state = ours.state if ours else None
    view = StoreView(
        build_state=build.processing_state if build else None,
        encryption_answered=build is not None and build.uses_non_exempt_encryption is not None,
        in_beta_groups=in_groups,
        version_state=state,
        phased=_phased_view(phased, app) if phased else None,
    )
    return StoreReading(
        view,
        build_id=build.id if build else None,
        version_id=ours.id if ours else None,
        version_build_id=attached.id if attached else None,
        phased_id=phased.id if phased else None,
        previous_release=previous,
    )


async def _in_groups(asc: AppStoreConnectClient, app: IosApp, build_id: str) -> bool:
    groups = {g.name: g.id for g in await asc.beta_groups(app.app_id)}
    missing = [name for name in app.beta_groups if name not in groups]
    if missing:
        raise ProviderError(
            "app-store-connect",
            f"no TestFlight group {', '.join(missing)} in app {app.app_id} "
            "(the policy's beta_groups)",
            status=None,
        )
    joined = await asc.build_beta_group_ids(build_id)
    return all(groups[name] in joined for name in app.beta_groups)


@task(name="answer export compliance", retries=0, cache_policy=NO_CACHE)
async def answer_export_compliance(build_id: str, uses_non_exempt_encryption: bool) -> None:
    async with app_store() as asc:
        await asc.set_export_compliance(build_id, uses_non_exempt_encryption)


@task(name="add the build to the TestFlight groups", retries=0, cache_policy=NO_CACHE)
async def add_to_beta_groups(app: IosApp, build_id: str) -> list[str]:
    async with app_store() as asc:
        groups = {g.name: g.id for g in await asc.beta_groups(app.app_id)}
        joined = await asc.build_beta_group_ids(build_id)
        wanted = [groups[name] for name in app.beta_groups if groups[name] not in joined]
        if wanted:
            await asc.add_to_beta_groups(build_id, wanted)
    return [name for name in app.beta_groups if groups[name] in wanted]


@task(name="submit for App Store review", retries=0, cache_policy=NO_CACHE)
async def submit_for_review(app: IosApp, reading: StoreReading, version: str, notes: str) -> str:
    """The version (created, or reused with this build attached), What's New, its phased release
    (INACTIVE until the release), then one review submission with the version as its item."""
    assert reading.build_id is not None  # decide() submits only a VALID build
    async with app_store() as asc:
        version_id = reading.version_id
        if version_id is None:
            created = await asc.create_version(app.app_id, version, build_id=reading.build_id)
            version_id = created.id
        elif reading.version_build_id != reading.build_id:
            await asc.attach_build(version_id, reading.build_id)
        if notes:
            await asc.set_whats_new(version_id, notes)
        if reading.phased_id is None and await asc.phased_release(version_id) is None:
            await asc.create_phased_release(version_id)
        submission = await asc.submit_for_review(app.app_id, version_id)
    return submission.id


@task(name="release the version", retries=0, cache_policy=NO_CACHE)
async def request_release(reading: StoreReading) -> None:
    """Pending developer release → released; its phased release starts at day 1 (Apple)."""
    assert reading.version_id is not None
    async with app_store() as asc:
        if reading.phased_id is None and await asc.phased_release(reading.version_id) is None:
            await asc.create_phased_release(reading.version_id)  # never release it to all at once
        await asc.request_release(reading.version_id)


@task(name="set the phased release", retries=0, cache_policy=NO_CACHE)
async def set_phased_release(
    app: IosApp, phased_id: str, state: Literal["ACTIVE", "PAUSED", "COMPLETE"]
) -> PhasedView:
    async with app_store() as asc:
        got = await asc.set_phased_release(phased_id, state)
    return _phased_view(got, app)


@task(name="remove the app from sale", retries=0, cache_policy=NO_CACHE)
async def remove_from_sale(app: IosApp) -> None:
    async with app_store() as asc:
        await asc.remove_from_sale(app.app_id)


IN_FLIGHT = frozenset(
    {
        "PREPARE_FOR_SUBMISSION",
        "READY_FOR_REVIEW",
        "WAITING_FOR_REVIEW",
        "IN_REVIEW",
        "WAITING_FOR_EXPORT_COMPLIANCE",
        "PENDING_APPLE_RELEASE",
        "PROCESSING_FOR_DISTRIBUTION",
        "ACCEPTED",
        "PENDING_DEVELOPER_RELEASE",
        "READY_FOR_DISTRIBUTION",
    }
)


@task(name="list iOS releases in flight", retries=0, cache_policy=NO_CACHE)
async def releases_in_flight(app: IosApp) -> list[tuple[str, str]]:
    """(version, build number) of each version App Store Connect shows on its way or live with
    its phased release not COMPLETE; a live, complete one only while the caller watches it
    (the step itself says DONE when its watch is over)."""
    async with app_store() as asc:
        listed = await asc.versions_with_builds(app.app_id)  # one read, builds included
    return [
        (version.version_string, build.version)
        for version, build, _ in listed
        if version.state in IN_FLIGHT and build is not None
    ]
