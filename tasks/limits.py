"""One production change per target at a time: a global concurrency limit per service, created up
front (a missing limit would silently not limit; flows take it with strict=True). A Workers
release holds its service's slot from the checklist to the end of the watch."""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectNotFound

from procedure.policy import Policy


def release_limit(service: str) -> str:
    return f"workers-release-{service}"


def app_limit(app: str) -> str:
    """Every Play write for one app, serialised: a new edit invalidates the others."""
    return f"android-app-{app}"


def ios_app_limit(app: str) -> str:
    """Every App Store Connect write for one app, serialised (one step at a time per app)."""
    return f"ios-app-{app}"


async def ensure_limits(policy: Policy) -> list[str]:
    names = (
        [release_limit(s) for s in policy.services]
        + [app_limit(a) for a in policy.android_apps]
        + [ios_app_limit(a) for a in policy.ios_apps]
    )
    async with get_client() as client:
        for name in names:
            try:
                await client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                await client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1)
                )
    return names
