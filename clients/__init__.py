"""Typed async clients for the providers the release procedure talks to.

Every client takes an injectable `base_url` (the real API or the sandbox), an httpx seam (`http`
or `transport`), and a `RetryPolicy`; none of them imports Prefect or anything else of ours.
"""

from clients._app_store import AppStoreConnectClient
from clients._app_store_models import (
    AscBetaGroup,
    AscBuild,
    AscPhasedRelease,
    AscReviewSubmission,
    AscVersion,
    ReleaseHealth,
)
from clients._apple_auth import AppStoreKey
from clients._auth import AccessTokenSource, SourcedAuth, StaticAuth
from clients._cloudflare import CloudflareClient
from clients._cloudflare_models import (
    CfDeployment,
    CfVersion,
    DeployOutcome,
    InvocationTotals,
    VersionShare,
)
from clients._errors import NotFoundError, ProviderError, redact
from clients._github import GitHubClient
from clients._github_models import (
    CheckRun,
    CombinedStatus,
    Comparison,
    DeploymentStatus,
    GitHubDeployment,
    PullRequest,
    Review,
    ReviewRequirement,
    ReviewState,
    ReviewThread,
    StatusContext,
)
from clients._google_auth import (
    GOOGLE_TOKEN_URI,
    PLAY_PUBLISHER_SCOPE,
    PLAY_REPORTING_SCOPE,
    ServiceAccountCredentials,
    TokenCache,
)
from clients._pagerduty import PagerDutyClient
from clients._pagerduty_models import PdIncident
from clients._play import ChangesInReviewError, PlayPublisherClient, StaleEditError
from clients._play_models import (
    AppEdit,
    Bundle,
    CountryTargeting,
    LocalizedText,
    Release,
    ReleaseStatus,
    Track,
    TrackReleaseState,
    VitalsSample,
)
from clients._play_reporting import PlayReportingClient
from clients._probe import WorkerProbe
from clients._probe_models import HealthProbe, KeyFlowProbe
from clients._retry import RetryPolicy
from clients._sentry import SentrySessionsClient
from clients._statuspage import StatuspageClient
from clients._statuspage_models import SpComponent, SpIncident, SpMaintenance

__all__ = [
    "AccessTokenSource",
    "AppEdit",
    "AppStoreConnectClient",
    "AppStoreKey",
    "AscBetaGroup",
    "AscBuild",
    "AscPhasedRelease",
    "AscReviewSubmission",
    "AscVersion",
    "Bundle",
    "CfDeployment",
    "CfVersion",
    "ChangesInReviewError",
    "CheckRun",
    "CloudflareClient",
    "CombinedStatus",
    "Comparison",
    "CountryTargeting",
    "DeployOutcome",
    "DeploymentStatus",
    "GOOGLE_TOKEN_URI",
    "GitHubClient",
    "GitHubDeployment",
    "HealthProbe",
    "InvocationTotals",
    "KeyFlowProbe",
    "LocalizedText",
    "NotFoundError",
    "PLAY_PUBLISHER_SCOPE",
    "PLAY_REPORTING_SCOPE",
    "PagerDutyClient",
    "PdIncident",
    "PlayPublisherClient",
    "PlayReportingClient",
    "ProviderError",
    "PullRequest",
    "Release",
    "ReleaseHealth",
    "ReleaseStatus",
    "RetryPolicy",
    "Review",
    "ReviewRequirement",
    "ReviewState",
    "ReviewThread",
    "SentrySessionsClient",
    "ServiceAccountCredentials",
    "SourcedAuth",
    "SpComponent",
    "SpIncident",
    "SpMaintenance",
    "StaleEditError",
    "StaticAuth",
    "StatusContext",
    "StatuspageClient",
    "TokenCache",
    "Track",
    "TrackReleaseState",
    "VersionShare",
    "VitalsSample",
    "WorkerProbe",
    "redact",
]
