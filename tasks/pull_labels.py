"""The labels of a pull request, read from GitHub: Android takes "significant" from them as the
Workers checklist does."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from clients import NotFoundError
from tasks import providers


@task(name="read PR labels", retries=0, cache_policy=NO_CACHE)
async def pull_labels(repo: str, number: int) -> frozenset[str] | None:
    """The PR's label names; None when GitHub has no such pull request."""
    try:
        async with providers.github() as gh:
            pull = await gh.get_pull(repo, number)
    except NotFoundError:
        return None
    return frozenset(pull.labels)
