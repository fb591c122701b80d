"""Our App Store Connect and Sentry clients against the sandbox over real HTTP, on the sandbox's
manual clock: the whole life of a version as the orchestrator walks it. Where the client and the
sandbox disagree about a path, a query or a shape, this is where it shows."""

# Fixtures come from asc_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from clients import AppStoreConnectClient, AppStoreKey, ProviderError, SentrySessionsClient
from sandbox.clock import ManualClock
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox
from tests.sandbox.asc_helpers import (  # noqa: F401  (fixtures)
    APP_ID,
    BUNDLE,
    SENTRY_TOKEN,
    _control,
    clock,
    sandbox,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def world(_control: SandboxControl) -> SandboxControl:
    _control.reset()
    _control.asc_app(
        APP_ID,
        BUNDLE,
        name="Verifier",
        beta_groups=[{"name": "Internal", "internal": True}, {"name": "Public", "internal": False}],
        processing_seconds=300,
        review_seconds=3600,
        day_seconds=86400,
    )
    return _control


@pytest.fixture
async def asc(
    world: SandboxControl, sandbox: RunningSandbox, clock: ManualClock
) -> AsyncIterator[AppStoreConnectClient]:
    key = world.asc_api_key()
    signer = AppStoreKey(key["key_id"], key["issuer_id"], key["private_key"], clock=clock)
    async with AppStoreConnectClient(f"{sandbox.url}/appstore", signer) as client:
        yield client


async def test_a_version_from_upload_to_complete(
    asc: AppStoreConnectClient, world: SandboxControl, clock: ManualClock
) -> None:
    assert await asc.find_build(APP_ID, "1.2.0", "45") is None
    build_id = world.asc_upload_build(APP_ID, "1.2.0", "45")
    build = await asc.find_build(APP_ID, "1.2.0", "45")
    assert build is not None and build.id == build_id
    assert (build.processing_state, build.uses_non_exempt_encryption) == ("PROCESSING", None)
    clock.advance(300)
    assert (await asc.build(build_id)).processing_state == "VALID"

    await asc.set_export_compliance(build_id, False)
    assert (await asc.build(build_id)).uses_non_exempt_encryption is False
    groups = {g.name: g for g in await asc.beta_groups(APP_ID)}
    assert groups["Internal"].is_internal and not groups["Public"].is_internal
    assert await asc.build_beta_group_ids(build_id) == frozenset()
    await asc.add_to_beta_groups(build_id, [groups["Internal"].id])
    assert await asc.build_beta_group_ids(build_id) == {groups["Internal"].id}

    version = await asc.create_version(APP_ID, "1.2.0", build_id=build_id)
    assert version.state == "PREPARE_FOR_SUBMISSION"
    assert await asc.version_build_id(version.id) == build_id
    assert (await asc.find_version(APP_ID, "1.2.0")) == version
    await asc.set_whats_new(version.id, "Faster proofs.")
    phased = await asc.create_phased_release(version.id)
    assert (phased.state, phased.current_day) == ("INACTIVE", 0)

    submission = await asc.submit_for_review(APP_ID, version.id)
    again = await asc.submit_for_review(APP_ID, version.id)  # a re-run: the same submission
    assert again.id == submission.id
    assert len(world.asc_app_state(APP_ID)["submissions"]) == 1
    assert (await asc.version(version.id)).state == "WAITING_FOR_REVIEW"
    clock.advance(3600)
    assert (await asc.version(version.id)).state == "PENDING_DEVELOPER_RELEASE"

    await asc.request_release(version.id)
    assert (await asc.version(version.id)).state == "READY_FOR_DISTRIBUTION"
    started = await asc.phased_release(version.id)
    assert started is not None and (started.state, started.current_day) == ("ACTIVE", 1)
    clock.advance(86400 * 2)
    paused = await asc.set_phased_release(started.id, "PAUSED")
    assert (paused.state, paused.current_day) == ("PAUSED", 3)
    clock.advance(86400 * 2)
    resumed = await asc.set_phased_release(started.id, "ACTIVE")
    assert (resumed.current_day, resumed.paused_days) == (3, 2)  # paused days are not phase days
    done = await asc.set_phased_release(started.id, "COMPLETE")
    assert done.state == "COMPLETE"
    with pytest.raises(ProviderError):
        await asc.request_release(version.id)  # live already: refused, nothing changes


async def test_a_rejected_submission_and_a_failed_build(
    asc: AppStoreConnectClient, world: SandboxControl, clock: ManualClock
) -> None:
    failed = world.asc_upload_build(APP_ID, "1.3.0", "50")
    world.asc_fail_processing(failed, "INVALID")
    got = await asc.find_build(APP_ID, "1.3.0", "50")
    assert got is not None and got.processing_state == "INVALID"

    build_id = world.asc_upload_build(APP_ID, "1.3.0", "51", uses_non_exempt_encryption=False)
    clock.advance(300)
    version = await asc.create_version(APP_ID, "1.3.0", build_id=build_id)
    await asc.submit_for_review(APP_ID, version.id)
    world.asc_reject(APP_ID, "Guideline 2.1 - Performance: App Completeness")
    assert (await asc.version(version.id)).state == "REJECTED"


async def test_remove_from_sale(asc: AppStoreConnectClient, world: SandboxControl) -> None:
    await asc.remove_from_sale(APP_ID)
    assert world.asc_app_state(APP_ID)["on_sale"] is False


async def test_sentry_release_health_from_the_sandbox(
    world: SandboxControl, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    release = f"{BUNDLE}@1.2.0+45"
    world.sentry_health(
        "verifier-ios",
        release,
        crash_free_sessions=0.998,
        crash_free_users=0.999,
        sessions_per_hour=4000,
    )
    clock.advance(3600)
    async with SentrySessionsClient(f"{sandbox.url}/sentry", SENTRY_TOKEN) as sentry:
        now = clock()
        health = await sentry.release_health(
            "acme", "verifier-ios", release, start=now - timedelta(hours=1), end=now
        )
        none = await sentry.release_health(
            "acme", "verifier-ios", f"{BUNDLE}@9.9.9+1", start=now - timedelta(hours=1), end=now
        )
    assert health.sessions >= 3000
    assert health.crash_free_sessions == pytest.approx(0.998, abs=1e-6)
    assert health.crash_free_users == pytest.approx(0.999, abs=1e-6)
    assert (none.sessions, none.crash_free_sessions) == (0, None)
