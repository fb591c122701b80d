"""Cloudflare Workers state: immutable versions, deployments that route traffic between them.

Secrets belong to versions (a version is code + bindings); the script's secret list is that of
its latest version. This is what makes a secret PUT create a new version of the live code.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

AUTHOR_EMAIL = "sandbox@example.com"
AUTHOR_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_RPS = 20.0


def digest(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def secret_digest(binding: dict[str, Any]) -> str:
    """Fingerprint of a secret binding (name, type, value) so changes show without the value."""
    fields = {k: binding.get(k) for k in ("name", "type", "text", "key_base64", "key_jwk")}
    return digest(json.dumps(fields, sort_keys=True))


@dataclass
class Behaviour:
    """How a version of the sample Worker behaves when it serves a request."""

    health: str = "ok"  # ok | fail
    error_rate: float = 0.0
    key_flow: str = "ok"  # ok | fail

    def to_json(self) -> dict[str, Any]:
        return {"health": self.health, "error_rate": self.error_rate, "key_flow": self.key_flow}


@dataclass
class Module:
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Version:
    id: str
    number: int
    created_on: datetime
    main_module: str | None
    modules: list[Module]
    # name -> sha256 of the value: enough to tell that a secret changed, never the value.
    secrets: dict[str, str]
    bindings: list[dict[str, Any]]
    compatibility_date: str | None
    message: str | None
    tag: str | None
    triggered_by: str
    source: str = "api"
    behaviour: Behaviour = field(default_factory=Behaviour)
    # (since, error rate) each time the rate changed: analytics count errors at the rate of the
    # moment, so a spike late in a watch shows in the minutes it happened, not before.
    error_rate_changes: list[tuple[datetime, float]] = field(default_factory=list)

    def set_error_rate(self, now: datetime, rate: float) -> None:
        self.error_rate_changes.append((now, rate))
        self.behaviour.error_rate = rate

    def error_rate_segments(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, float]]:
        """[start, end] split where the error rate changed: (from, to, rate) pieces."""
        rate = self.behaviour.error_rate if not self.error_rate_changes else 0.0
        pieces: list[tuple[datetime, datetime, float]] = []
        cursor = start
        for since, new_rate in self.error_rate_changes:
            if since > cursor:
                if since >= end:
                    break
                pieces.append((cursor, since, rate))
                cursor = since
            rate = new_rate
        pieces.append((cursor, end, rate))
        return pieces

    @property
    def etag(self) -> str:
        return digest("".join(m.sha256 for m in self.modules) or self.id)


@dataclass
class Deployment:
    id: str
    created_on: datetime
    versions: list[tuple[str, float]]
    message: str | None
    triggered_by: str
    source: str = "api"
    author_email: str = AUTHOR_EMAIL


def default_script_settings() -> dict[str, Any]:
    """Non-versioned script settings (`script-settings`), as a new Worker has them."""
    return {"logpush": False, "tail_consumers": None, "observability": None, "tags": []}


@dataclass
class Script:
    name: str
    created_on: datetime
    modified_on: datetime
    versions: list[Version] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    requests_per_second: float = DEFAULT_RPS
    # What last deployed it ("api", "wrangler", "dash", ...): wrangler warns before overriding
    # a Worker last deployed from the dashboard or the script API.
    last_deployed_from: str = "api"
    settings: dict[str, Any] = field(default_factory=default_script_settings)
    # workers.dev route and Preview URLs: off until a deploy (or the subdomain API) turns them on.
    workers_dev: bool = False
    previews_enabled: bool = False
    crons: list[dict[str, Any]] = field(default_factory=list)

    def version(self, version_id: str) -> Version | None:
        return next((v for v in self.versions if v.id == version_id), None)

    @property
    def latest_version(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def live(self) -> Deployment | None:
        """The deployment serving traffic: the most recent one."""
        return self.deployments[-1] if self.deployments else None

    @property
    def secrets(self) -> dict[str, str]:
        latest = self.latest_version
        return dict(latest.secrets) if latest else {}

    def live_version_ids(self) -> list[str]:
        return [vid for vid, _ in self.live.versions] if self.live else []

    def fully_deployed_latest(self) -> bool:
        """The latest version serves 100% of traffic (what a secret edit requires)."""
        live, latest = self.live, self.latest_version
        return bool(
            live and latest and len(live.versions) == 1 and live.versions[0][0] == latest.id
        )

    def add_version(
        self,
        now: datetime,
        *,
        main_module: str | None,
        modules: list[Module],
        secrets: dict[str, str],
        bindings: list[dict[str, Any]],
        compatibility_date: str | None,
        message: str | None,
        tag: str | None,
        triggered_by: str,
        behaviour: Behaviour | None = None,
    ) -> Version:
        version = Version(
            id=str(uuid.uuid4()),
            number=len(self.versions) + 1,
            created_on=now,
            main_module=main_module,
            modules=modules,
            secrets=secrets,
            bindings=bindings,
            compatibility_date=compatibility_date,
            message=message,
            tag=tag,
            triggered_by=triggered_by,
            behaviour=behaviour or Behaviour(),
        )
        self.versions.append(version)
        self.modified_on = now
        return version

    def deploy(
        self,
        now: datetime,
        versions: list[tuple[str, float]],
        *,
        message: str | None,
        triggered_by: str,
    ) -> Deployment:
        deployment = Deployment(
            id=str(uuid.uuid4()),
            created_on=now,
            versions=versions,
            message=message,
            triggered_by=triggered_by,
        )
        self.deployments.append(deployment)
        self.modified_on = now
        return deployment


DEFAULT_WORKERS_SUBDOMAIN = "sandbox"


@dataclass
class Account:
    id: str
    scripts: dict[str, Script] = field(default_factory=dict)
    # The account's workers.dev subdomain (`<script>.<subdomain>.workers.dev`); None = unregistered.
    workers_subdomain: str | None = DEFAULT_WORKERS_SUBDOMAIN


class CloudflareStore:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def ensure_account(self, account_id: str) -> Account:
        return self.accounts.setdefault(account_id, Account(account_id))

    def script(self, account_id: str, name: str) -> Script | None:
        account = self.accounts.get(account_id)
        return account.scripts.get(name) if account else None

    def find_script(self, name: str) -> Script | None:
        """A script by name in any account (the Worker's public URL names no account)."""
        for account in self.accounts.values():
            if name in account.scripts:
                return account.scripts[name]
        return None
