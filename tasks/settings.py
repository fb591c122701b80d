"""Where the providers are and how to authenticate: read from the environment, never logged.

Sandbox or real differ only here: base URLs and credentials (DESIGN decision 9).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from procedure.policy import Policy, load_policy

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = REPO_ROOT / "policy" / "release-policy.yaml"


@dataclass(frozen=True)
class ProviderSettings:
    github_url: str
    github_token: SecretStr
    cloudflare_url: str
    cloudflare_token: SecretStr
    pagerduty_token: SecretStr

    @classmethod
    def from_env(cls) -> ProviderSettings:
        env = os.environ
        return cls(
            github_url=env.get("RELORCH_GITHUB_API_URL", "https://api.github.com"),
            github_token=SecretStr(env.get("GITHUB_TOKEN", "")),
            cloudflare_url=env.get(
                "RELORCH_CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4"
            ),
            cloudflare_token=SecretStr(env.get("CLOUDFLARE_API_TOKEN", "")),
            pagerduty_token=SecretStr(env.get("PAGERDUTY_API_TOKEN", "")),
        )

    def secret_values(self) -> list[str]:
        tokens = (self.github_token, self.cloudflare_token, self.pagerduty_token)
        return [s.get_secret_value() for s in tokens if s.get_secret_value()]


def policy_location() -> tuple[Path, str | None]:
    path = Path(os.environ.get("RELORCH_POLICY", DEFAULT_POLICY))
    profile = os.environ.get("RELORCH_PROFILE") or None
    return path, profile


@lru_cache(maxsize=8)
def _cached_policy(path: Path, profile: str | None, mtime: float, sandbox_url: str) -> Policy:
    return load_policy(path, profile)


def current_policy() -> Policy:
    """The policy this process runs under (RELORCH_POLICY / RELORCH_PROFILE), re-read on change."""
    path, profile = policy_location()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _cached_policy(path, profile, mtime, os.environ.get("RELORCH_SANDBOX_URL", ""))
