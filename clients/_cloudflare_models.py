"""What the Cloudflare client returns: deployments, versions, and invocation totals."""

from __future__ import annotations

from datetime import datetime

from clients._models import Frozen

__all__ = ["CfDeployment", "CfVersion", "DeployOutcome", "InvocationTotals", "VersionShare"]

_FULL = 100.0


class VersionShare(Frozen):
    version_id: str
    percentage: float


class CfDeployment(Frozen):
    id: str
    created_on: datetime
    versions: tuple[VersionShare, ...]
    message: str | None

    @property
    def sole_version_id(self) -> str | None:
        """The version serving all traffic, or None while traffic is split."""
        for share in self.versions:
            if share.percentage >= _FULL:
                return share.version_id
        return None


class CfVersion(Frozen):
    id: str
    number: int
    created_on: datetime | None
    message: str | None
    tag: str | None


class DeployOutcome(Frozen):
    deployment: CfDeployment
    created: bool  # False when the version was already live at 100 %: nothing was deployed


class InvocationTotals(Frozen):
    requests: int
    errors: int

    @property
    def error_rate(self) -> float | None:
        """errors / requests; None without traffic, because no data is not a pass."""
        return self.errors / self.requests if self.requests else None
