"""The run as a GitHub deployment with statuses, so the PR and the repository show what shipped.

`auto_merge: false` and `required_contexts: []` (the client sends them): GitHub's defaults would
merge the default branch into the ref or refuse because Actions check runs are not contexts.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from procedure.policy import EnvironmentName, WorkerService
from procedure.recovery import UNFINISHED, RecordView
from tasks import providers


def _run_url() -> str | None:
    url = flow_run.get_flow_run_ui_url()
    return str(url) if url else None


@task(name="record GitHub deployment", retries=0, cache_policy=NO_CACHE)
async def start_deployment_record(
    service: WorkerService,
    environment: EnvironmentName,
    git_sha: str,
    version_id: str,
    pr_number: int,
    window: timedelta | None = None,
) -> int:
    """`window` (production) goes in the payload: a recovery resumes the watch for its rest."""
    task_name = f"deploy:{service.name}"
    async with providers.github() as gh:
        existing = await gh.find_deployment(service.repo, git_sha, environment, task=task_name)
        record = existing or await gh.create_deployment(
            service.repo,
            git_sha,
            environment,
            task=task_name,
            description=f"{service.name} version {version_id} (PR #{pr_number})",
            payload={
                "service": service.name,
                "version_id": version_id,
                "pr": pr_number,
                **({"window_s": window.total_seconds()} if window else {}),
            },
            production_environment=environment == "production",
        )
        await gh.create_deployment_status(
            service.repo, record.id, "in_progress", description="deploying", log_url=_run_url()
        )
    return record.id


@task(name="update GitHub deployment", retries=0, cache_policy=NO_CACHE)
async def finish_deployment_record(
    service: WorkerService,
    environment: EnvironmentName,
    deployment_id: int,
    state: str,
    description: str,
) -> None:
    async with providers.github() as gh:
        await gh.create_deployment_status(
            service.repo,
            deployment_id,
            state,
            description=description,
            log_url=_run_url(),
            environment_url=service.environments[environment].url,
        )


@task(name="read GitHub deployment records", retries=0, cache_policy=NO_CACHE)
async def read_deployment_records(
    service: WorkerService, environment: EnvironmentName
) -> list[RecordView]:
    """The environment's records of this service (task `deploy:<service>`) with their latest
    state, newest first, down to the newest finished one: every release and recovery finishes all
    the records before its own, so nothing older is unfinished (one status read per record
    otherwise: up to 100 GitHub calls per service on every advance-rollouts tick)."""
    views: list[RecordView] = []
    async with providers.github() as gh:
        for record in await gh.list_deployments(
            service.repo, environment, task=f"deploy:{service.name}"
        ):
            latest = await gh.latest_deployment_status(service.repo, record.id)
            window = record.payload.get("window_s")
            version = record.payload.get("version_id")
            views.append(
                RecordView(
                    record.id,
                    str(version) if version else None,
                    float(window) if isinstance(window, (int, float)) else None,
                    latest.state if latest else None,
                )
            )
            if views[-1].latest_state not in UNFINISHED:
                break
    return views
