"""Typed async clients for the providers the release procedure talks to.

Every client takes an injectable `base_url` (the real API or the sandbox), an httpx seam (`http`
or `transport`), and a `RetryPolicy`; none of them imports Prefect or anything else of ours.
"""

from clients._cloudflare import CloudflareClient
from clients._cloudflare_models import (
    CfDeployment,
    CfVersion,
    DeployOutcome,
    InvocationTotals,
    VersionShare,
)
from clients._errors import NotFoundError, ProviderError
from clients._github import GitHubClient
from clients._github_models import (
    CheckRun,
    CombinedStatus,
    DeploymentStatus,
    GitHubDeployment,
    PullRequest,
    Review,
    ReviewRequirement,
    ReviewState,
    ReviewThread,
    StatusContext,
)
from clients._pagerduty import PagerDutyClient
from clients._pagerduty_models import PdIncident
from clients._probe import WorkerProbe
from clients._probe_models import HealthProbe, KeyFlowProbe
from clients._retry import RetryPolicy
from clients._statuspage import StatuspageClient
from clients._statuspage_models import SpComponent, SpIncident, SpMaintenance

__all__ = [
    "CfDeployment",
    "CfVersion",
    "CheckRun",
    "CloudflareClient",
    "CombinedStatus",
    "DeployOutcome",
    "DeploymentStatus",
    "GitHubClient",
    "GitHubDeployment",
    "HealthProbe",
    "InvocationTotals",
    "KeyFlowProbe",
    "NotFoundError",
    "PagerDutyClient",
    "PdIncident",
    "ProviderError",
    "PullRequest",
    "RetryPolicy",
    "Review",
    "ReviewRequirement",
    "ReviewState",
    "ReviewThread",
    "SpComponent",
    "SpIncident",
    "SpMaintenance",
    "StatusContext",
    "StatuspageClient",
    "VersionShare",
    "WorkerProbe",
]
