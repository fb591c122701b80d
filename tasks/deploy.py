"""Deploying an uploaded Worker version, and rolling back — both read Cloudflare's state first,
so a re-run never deploys twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from clients import CfDeployment, ProviderError
from procedure.policy import EnvironmentName, WorkerService
from procedure.workers import (
    SHA_TAG,
    DeploymentView,
    ProductionOrder,
    live_since,
    production_order,
    rollback_message,
    rollback_target,
    rolled_back_from,
)
from tasks import providers


class DeployError(RuntimeError):
    pass


@dataclass(frozen=True)
class DeployRecord:
    environment: EnvironmentName
    script: str
    version_id: str
    previous_version_id: str | None
    deployment_id: str
    live_since: datetime
    created: bool  # False when the version was already live (a re-run)
    message: str | None = None


def _views(history: list[CfDeployment]) -> list[DeploymentView]:
    return [
        DeploymentView(
            d.id, d.created_on, tuple((s.version_id, s.percentage) for s in d.versions), d.message
        )
        for d in history
    ]


@task(name="confirm uploaded versions", retries=0, cache_policy=NO_CACHE)
async def confirm_uploaded_versions(
    service: WorkerService, version_ids: Mapping[str, str]
) -> dict[str, tuple[str, str | None]]:
    """CI uploaded one version per environment; make sure each exists before anything deploys.
    Returns environment → (version id, its `workers/tag`) for the provenance check."""
    tags: dict[str, tuple[str, str | None]] = {}
    async with providers.cloudflare() as cf:
        for env in service.deploy_order:  # the request model holds one version per environment
            version_id = version_ids[env]
            script = service.environments[env].script
            try:
                version = await cf.get_version(service.account_id, script, version_id)
            except ProviderError as error:
                if error.status == 404:
                    raise DeployError(
                        f"version {version_id} was not uploaded to {script} ({env})"
                    ) from None
                raise
            tags[env] = (version_id, version.tag)
    return tags


@task(name="deploy version", retries=0, cache_policy=NO_CACHE)
async def deploy_version(
    service: WorkerService, environment: EnvironmentName, version_id: str, message: str
) -> DeployRecord:
    script = service.environments[environment].script
    log = get_run_logger()
    async with providers.cloudflare() as cf:
        before = _views(await cf.list_deployments(service.account_id, script))
        refused = rolled_back_from(before, version_id)
        if refused is not None:
            raise DeployError(
                f"version {version_id} was rolled back on {script} at {refused.created_on:%Y-%m-%d %H:%M:%S} "
                f"({refused.message}); it is not deployed again — upload a fixed version"
            )
        previous = rollback_target(before, version_id)
        outcome = await cf.deploy(service.account_id, script, version_id, message=message)
        after = _views(await cf.list_deployments(service.account_id, script))
    since = live_since(after, version_id) or outcome.deployment.created_on
    if outcome.created:
        log.info("%s: version %s is live on %s (was %s)", environment, version_id, script, previous)
    else:
        log.info(
            "%s: version %s was already live on %s; not deploying again",
            environment,
            version_id,
            script,
        )
    return DeployRecord(
        environment,
        script,
        version_id,
        previous,
        outcome.deployment.id,
        since,
        outcome.created,
        message,
    )


@task(name="roll back", retries=0, cache_policy=NO_CACHE)
async def roll_back(
    service: WorkerService,
    environment: EnvironmentName,
    to_version_id: str,
    reason: str,
    release: str | None = None,
) -> DeployRecord:
    script = service.environments[environment].script
    message = rollback_message(reason, release)  # Cloudflare keeps 100 bytes: prefix first
    async with providers.cloudflare(providers.PATIENT) as cf:
        try:
            outcome = await cf.deploy(service.account_id, script, to_version_id, message=message)
        except ProviderError as error:
            if error.code != 10220:
                raise
            # 10220: secrets changed since that version. Going back to known-good code wins.
            get_run_logger().warning("rollback needs force: %s", error.detail)
            outcome = await cf.deploy(
                service.account_id, script, to_version_id, message=message, force=True
            )
    get_run_logger().warning("%s rolled back to %s: %s", script, to_version_id, reason)
    return DeployRecord(
        environment,
        script,
        to_version_id,
        None,
        outcome.deployment.id,
        outcome.deployment.created_on,
        outcome.created,
    )


@task(name="read live deployment", retries=0, cache_policy=NO_CACHE)
async def read_live(
    service: WorkerService, environment: EnvironmentName, previous: str | None = None
) -> DeployRecord:
    """What serves now, since when, and what served before it (unless `previous` is known)."""
    script = service.environments[environment].script
    async with providers.cloudflare() as cf:
        history = await cf.list_deployments(service.account_id, script)
    if not history:
        raise DeployError(f"{script} has no deployment")
    views = _views(history)
    version = views[0].sole_version or views[0].main_version or ""
    before = previous if previous and previous != version else rollback_target(views, version)
    return DeployRecord(
        environment,
        script,
        version,
        before,
        history[0].id,
        live_since(views, version) or history[0].created_on,
        False,
        history[0].message,
    )


@task(name="production order", retries=0, cache_policy=NO_CACHE)
async def check_production_order(service: WorkerService, git_sha: str) -> ProductionOrder:
    """Never overwrite something newer: the live version's `workers/tag` (its commit) against
    this release's sha through GitHub's compare, read right before the production deploy."""
    script = service.environments["production"].script
    async with providers.cloudflare() as cf:
        live = await cf.live_deployment(service.account_id, script)
        tags = [
            (
                share.version_id,
                (await cf.get_version(service.account_id, script, share.version_id)).tag,
            )
            for share in (live.versions if live else ())
        ]
    statuses: dict[str, str] = {}
    wanted = {t.strip().lower() for _, t in tags if t and t.strip().lower() != git_sha}
    async with providers.github() as gh:
        for live_sha in sorted(wanted):
            if not SHA_TAG.match(live_sha):
                statuses[live_sha] = "unknown"  # not a commit: GitHub cannot place it
                continue
            try:
                statuses[live_sha] = (await gh.compare(service.repo, live_sha, git_sha)).status
            except ProviderError as error:
                if error.status != 404:  # 404: no such commit, or no common history
                    raise
                statuses[live_sha] = "unknown"
    return production_order(tags, git_sha, statuses)
