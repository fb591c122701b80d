"""The procedure as data: the policy file's model, and `parse_policy`, which turns an already-read
document into it and names the bad key. Reading the file (and the environment) is the caller's:
tasks/policy_file.py.

One YAML file holds the service registry, the monitor windows, the checklist rules, the freeze
rules and the policy's own metadata. A profile (e.g. ``sandbox``) is a partial copy of the same
document merged over it — the sandbox profile shrinks durations to seconds and points the service
URLs at the local sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from procedure.continuations import ContinuationRules
from procedure.durations import Duration, Interval, Window
from procedure.freeze import FreezePolicy
from procedure.phased_release import checkpoints

SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


# The environments a Worker is deployed to, in the order of the procedure.
EnvironmentName = Literal["sandbox", "production"]


class PolicyError(ValueError):
    """A policy file that cannot be read or does not match the model. The text names the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyMetadata(_Model):
    name: str = "Deployment Procedure"
    implements: str = "Change Management Policy"
    owner: str
    last_updated: date
    next_review: date

    def review_overdue(self, today: date) -> bool:
        return today > self.next_review

    def review_warning(self, today: date) -> str | None:
        if not self.review_overdue(today):
            return None
        days = (today - self.next_review).days
        return (
            f"The {self.name} was due for review on {self.next_review.isoformat()} "
            f"({days} days ago; owner: {self.owner}). Runs continue under the current text."
        )


class ErrorRateRule(_Model):
    """When a post-deploy error rate is a spike. Too few requests is *no data*, never a pass."""

    max_error_rate: float = Field(0.05, ge=0, le=1, description="absolute ceiling")
    spike_factor: float = Field(2.0, ge=1, description="current > baseline × factor is a spike")
    spike_min_delta: float = Field(
        0.01, ge=0, le=1, description="…and at least this many points above the baseline"
    )
    min_requests: int = Field(50, ge=1, description="fewer requests than this is no data")


class KeyFlowPaths(_Model):
    challenge: str = "/challenge"
    proof: str = "/proof"
    verification: str = "/verification"


class WorkerEnvironment(_Model):
    script: str = Field(min_length=1, max_length=64)
    url: str = Field(description="origin the deployed Worker answers on")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class WorkerService(_Model):
    name: str = Field("", description="its key in `services` (set by the policy, not written)")
    repo: str = Field(description="GitHub owner/name")
    release_branch: str | None = Field(
        None,
        min_length=1,
        description="the protected branch releases come from; null = the repository's default",
    )
    account_id: str = Field(min_length=1)
    allow_untagged_versions: bool = Field(
        False, description="deploy a version without a workers/tag (with a warning in the evidence)"
    )
    environments: dict[EnvironmentName, WorkerEnvironment]
    health_path: str | None = Field("/health", description="null where there is none")
    checkout: str | None = Field(
        None, description="the repository checkout `wrangler deploy` runs in (emergency path)"
    )
    key_flow: KeyFlowPaths | None = KeyFlowPaths()
    error_rate: ErrorRateRule = ErrorRateRule()

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not REPO_NAME.match(value):
            raise ValueError("must look like owner/name")
        return value

    @model_validator(mode="after")
    def _has_production(self) -> WorkerService:
        if "production" not in self.environments:
            raise ValueError("environments must include production")
        return self

    @property
    def has_sandbox(self) -> bool:
        return "sandbox" in self.environments

    @property
    def deploy_order(self) -> list[EnvironmentName]:
        return ["sandbox", "production"] if self.has_sandbox else ["production"]


class MonitorRules(_Model):
    standard: Duration = timedelta(minutes=30)
    significant: Duration = timedelta(hours=2)
    check_interval: Interval = timedelta(minutes=1)
    analytics_lag: Duration = Field(timedelta(minutes=1), description="GraphQL data trails ~1 min")
    baseline_window: Window = timedelta(minutes=30)
    error_rate_window: Window = Field(
        timedelta(minutes=5), description="sliding window of the error rate (at least one check)"
    )
    on_no_data: Literal["rollback", "fail"] = "rollback"

    def window(self, significant: bool) -> timedelta:
        return self.significant if significant else self.standard

    @property
    def sliding_window(self) -> timedelta:
        """The error rate is judged over the last this-long too, never less than one check."""
        return max(self.error_rate_window, self.check_interval)


class ChecklistLabels(_Model):
    significant: str = "significant-change"
    api_change: str = "api-change"
    secret_change: str = "secret-change"


class ChecklistRules(_Model):
    labels: ChecklistLabels = ChecklistLabels()
    compatibility_markers: list[str] = Field(
        default_factory=lambda: ["Backward compatibility: confirmed", "Migration note:"],
        min_length=1,
        description="one must appear in the PR description when the API-change label is set",
    )
    secrets_marker: str = Field(
        "Secrets:", description="PR description line naming the changed secrets"
    )
    green_conclusions: list[str] = Field(
        default_factory=lambda: ["success", "neutral", "skipped"], min_length=1
    )
    min_approvals: int = Field(
        1, ge=0, description="floor when the repository itself requires no review"
    )
    ci_wait: Duration = Field(
        timedelta(minutes=10),
        description="how long a required check still running is waited for before failing",
    )
    ci_recheck_interval: Interval = Field(
        timedelta(seconds=30), description="how often CI is read again while waiting"
    )

    @model_validator(mode="after")
    def _positive_recheck(self) -> ChecklistRules:
        if self.ci_recheck_interval <= timedelta(0) or self.ci_wait < timedelta(0):
            raise ValueError("ci_recheck_interval must be positive and ci_wait not negative")
        return self


class PagerDutySource(_Model):
    enabled: bool = True
    base_url: str = "https://api.pagerduty.com"
    service_ids: list[str] = Field(default_factory=list, description="empty = every service")
    team_ids: list[str] = Field(default_factory=list)


class StatusPageSource(_Model):
    enabled: bool = True
    base_url: str


class FreezeSources(_Model):
    """Where the live freeze facts come from. Credentials come from the environment."""

    pagerduty: PagerDutySource = PagerDutySource()
    cloudflare_status: StatusPageSource = StatusPageSource(
        base_url="https://yh6f0r4529hb.statuspage.io"  # cloudflarestatus.com's page; its own host 403s bots
    )
    github_status: StatusPageSource = StatusPageSource(base_url="https://www.githubstatus.com")
    github_actions_component: str = "Actions"


class EmergencyRules(_Model):
    """The procedure: "Only used when CI is unavailable and a P1/P2 incident requires an
    immediate fix." It bypasses the freeze and checklist gates only."""

    require_ci_unavailable: bool = True
    allow_attestation: bool = Field(
        True, description="when GitHub's status page itself cannot be read, a person may attest"
    )
    monitor_window: Duration = timedelta(minutes=30)


class VitalsRules(_Model):
    """Android health gate: Google's bad-behaviour lines are 1.09 % user-perceived crash rate and
    0.47 % user-perceived ANR rate; a release may also not be much worse than the previous one."""

    max_user_perceived_crash_rate: float = Field(0.0109, ge=0, le=1)
    max_user_perceived_anr_rate: float = Field(0.0047, ge=0, le=1)
    max_regression_factor: float = Field(
        1.5, ge=1, description="…and at most this many times the previous release's rate"
    )
    regression_min_delta: float = Field(
        0.001, ge=0, le=1, description="…unless within this many points of it"
    )
    min_distinct_users: int = Field(500, ge=1, description="fewer users than this is no data")
    recheck_after: Interval = Field(timedelta(hours=1), description="when no data: look again")
    min_window: Window = Field(
        timedelta(hours=1),
        description="the Reporting API counts whole UTC hours: look back at least this far",
    )
    # Health is watched, not sampled once (DESIGN 12): through every stage and after 100 %.
    check_interval: Interval = Field(
        timedelta(hours=1), description="how often vitals are read while a stage is live"
    )
    watch_after_complete: Duration = Field(
        timedelta(hours=24),
        description="vitals still watched this long after 100 % (Play can halt it)",
    )


class AndroidApp(_Model):
    name: str = Field("", description="its key in `android_apps` (set by the policy, not written)")
    package_name: str = Field(pattern=r"^[a-zA-Z][\w]*(\.[a-zA-Z][\w]*)+$")
    internal_track: str = "internal"
    production_track: str = "production"
    stages: list[float] = Field(default_factory=lambda: [0.05, 0.2, 0.5, 1.0], min_length=1)
    internal_soak_standard: Duration = timedelta(0)
    internal_soak_significant: Duration = Field(
        timedelta(hours=24), description="procedure: minimum 24 hours for significant changes"
    )
    internal_sign_off: bool = Field(False, description="suspend for a typed sign-off in the UI")
    stage_soak: Duration = Field(
        timedelta(hours=24), description="time at a stage before advancing"
    )
    review_check_interval: Interval = timedelta(minutes=30)
    review_alert_after: Window = Field(timedelta(days=7), description="Play: typically 2–7 days")
    vitals: VitalsRules = VitalsRules()
    repo: str | None = Field(
        None, description="GitHub owner/name: `significant` is read from a PR's label there"
    )
    builds_dir: str | None = Field(
        None, description="aab_path must be a bundle under this directory (none: no aab_path)"
    )

    @field_validator("repo")
    @classmethod
    def _app_repo(cls, value: str | None) -> str | None:
        if value is not None and not REPO_NAME.match(value):
            raise ValueError("must look like owner/name")
        return value

    @field_validator("stages")
    @classmethod
    def _increasing_fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in value):
            raise ValueError("each stage is a fraction in (0, 1]")
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("stages must strictly increase")
        if value[-1] != 1.0:
            raise ValueError("the last stage must be 1.0 (100 %)")
        return value

    def internal_soak(self, significant: bool) -> timedelta:
        return self.internal_soak_significant if significant else self.internal_soak_standard


class IosHealthRules(_Model):
    """iOS health gate on the release's sessions (Sentry's sessions API by default): crash-free
    sessions and users against a floor and the previous release; too few sessions is no data."""

    min_crash_free_sessions: float = Field(0.995, ge=0, le=1)
    min_crash_free_users: float = Field(0.995, ge=0, le=1)
    max_regression_factor: float = Field(
        1.5, ge=1, description="…and a crash rate at most this many times the previous release's"
    )
    regression_min_delta: float = Field(
        0.001, ge=0, le=1, description="…unless within this many points of it"
    )
    min_sessions: int = Field(1000, ge=1, description="fewer sessions than this is no data")
    check_interval: Interval = Field(
        timedelta(hours=1), description="how often health is read on every phase day"
    )
    window: Window = Field(
        timedelta(hours=1), description="the crash-free figures are over this much time to now"
    )
    watch_after_complete: Duration = Field(
        timedelta(hours=24), description="health still watched this long after 100 %"
    )


class SessionsSource(_Model):
    """Where the release's sessions come from: Sentry's sessions API (organization, project);
    another source (Crashlytics, Bugsnag) fills the same interface in tasks/."""

    kind: Literal["sentry"] = "sentry"
    base_url: str = "https://sentry.io"
    organization: str = Field(min_length=1)
    project: str = Field(min_length=1)


class IosApp(_Model):
    name: str = Field("", description="its key in `ios_apps` (set by the policy, not written)")
    app_id: str = Field(pattern=r"^[0-9]+$", description="the App Store Connect app id")
    bundle_id: str = Field(pattern=r"^[a-zA-Z][\w-]*(\.[a-zA-Z][\w-]*)+$")
    beta_groups: list[str] = Field(
        min_length=1, description="the internal TestFlight groups the build is tested by"
    )
    stages: list[float] = Field(
        default_factory=lambda: [0.01, 0.05, 0.1, 0.5, 1.0],
        min_length=1,
        description="checkpoints on Apple's fixed schedule (1, 2, 5, 10, 20, 50, 100 %)",
    )
    internal_soak_standard: Duration = timedelta(0)
    internal_soak_significant: Duration = Field(
        timedelta(hours=24), description="procedure: minimum 24 hours for significant changes"
    )
    internal_sign_off: bool = Field(False, description="suspend for a typed sign-off in the UI")
    uses_non_exempt_encryption: bool | None = Field(
        None,
        description="the export-compliance answer given for a build that lacks one "
        "(null: a person answers it in App Store Connect)",
    )
    build_check_interval: Interval = Field(
        timedelta(minutes=1), description="how often a processing build is looked at"
    )
    review_check_interval: Interval = timedelta(minutes=30)
    review_alert_after: Window = Field(
        timedelta(hours=48), description="Apple: typically 24–48 hours"
    )
    phased_day: Duration = Field(
        timedelta(hours=24), description="Apple's phased-release day (the sandbox shrinks it)"
    )
    checkpoint_margin: Duration = Field(
        timedelta(hours=3),
        description="a checkpoint day still without a passing verdict this close to its end "
        "is paused, so Apple never moves past a stage unjudged",
    )
    pause_warning: Duration = Field(
        timedelta(days=7), description="warn when less of Apple's 30 days of pause is left"
    )
    health: IosHealthRules = IosHealthRules()
    sessions: SessionsSource
    repo: str | None = Field(
        None, description="GitHub owner/name: `significant` is read from a PR's label there"
    )
    expedite_hotfix: bool = Field(
        False,
        description="an emergency release asks for Apple's expedited review (a form in App "
        "Store Connect, not an API: the run says so and links it)",
    )

    @field_validator("stages")
    @classmethod
    def _apples_percentages(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("stages must strictly increase")
        if value[-1] != 1.0:
            raise ValueError("the last stage must be 1.0 (100 %)")
        checkpoints(value)  # each one of Apple's percentages
        return value

    @model_validator(mode="after")
    def _margin_fits_a_day(self) -> IosApp:
        if self.checkpoint_margin >= self.phased_day:
            raise ValueError("checkpoint_margin must be shorter than phased_day")
        # a day's start is seen up to one check late, and the closing window is looked at up to
        # one check after it opens: more than two checks leave room to pause before Apple moves
        if self.checkpoint_margin <= 2 * self.health.check_interval:
            raise ValueError("checkpoint_margin must be more than twice health.check_interval")
        return self

    def internal_soak(self, significant: bool) -> timedelta:
        return self.internal_soak_significant if significant else self.internal_soak_standard


class SlotRules(_Model):
    """One production change per service or app at a time. A slot's holder beats while it lives;
    a slot whose holder ended or stopped beating is freed (a server restart loses SQLite's
    leases but keeps the count)."""

    wait: Duration = Field(
        timedelta(minutes=30), description="a release waits this long for a busy slot, then fails"
    )
    emergency_wait: Duration = Field(
        timedelta(minutes=1),
        description="during a P1 nobody waits behind a watch: say who holds it",
    )
    poll: Interval = Field(
        timedelta(seconds=10), description="how often a waiter looks again and a holder beats"
    )
    stale: Duration = Field(
        timedelta(minutes=1), description="a holder silent this long is dead: its slot is freed"
    )

    @model_validator(mode="after")
    def _beats_fit(self) -> SlotRules:
        if self.stale <= self.poll * 2:
            raise ValueError(
                "slots.stale must be more than twice slots.poll (a holder beats every poll)"
            )
        return self


class Policy(_Model):
    version: Literal[1] = 1
    metadata: PolicyMetadata
    monitor: MonitorRules = MonitorRules()
    checklist: ChecklistRules = ChecklistRules()
    freeze: FreezePolicy = FreezePolicy()
    sources: FreezeSources = FreezeSources()
    emergency: EmergencyRules = EmergencyRules()
    slots: SlotRules = SlotRules()
    continuations: ContinuationRules = ContinuationRules()
    services: dict[str, WorkerService] = Field(min_length=1)
    android_apps: dict[str, AndroidApp] = Field(default_factory=dict)
    ios_apps: dict[str, IosApp] = Field(default_factory=dict)

    @field_validator("services", "android_apps", "ios_apps", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        """Each entry knows its own name, so a release carries one object, not a name and the
        whole policy to look it up in again."""
        if not isinstance(value, Mapping):
            return value
        named = {}
        for key, entry in value.items():
            if isinstance(entry, Mapping):
                if entry.get("name", key) != key:
                    raise ValueError(f"{key}: `name` is its key; leave it out")
                entry = {**entry, "name": key}
            named[key] = entry
        return named

    def android_app(self, name: str) -> AndroidApp:
        try:
            return self.android_apps[name]
        except KeyError:
            known = ", ".join(sorted(self.android_apps)) or "none"
            raise PolicyError(f"unknown Android app {name!r}; the policy knows: {known}") from None

    def ios_app(self, name: str) -> IosApp:
        try:
            return self.ios_apps[name]
        except KeyError:
            known = ", ".join(sorted(self.ios_apps)) or "none"
            raise PolicyError(f"unknown iOS app {name!r}; the policy knows: {known}") from None

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict[str, WorkerService]) -> dict[str, WorkerService]:
        for name in value:
            if not SERVICE_NAME.match(name):
                raise ValueError(f"service name {name!r} must be lowercase letters, digits, dashes")
        return value

    def service(self, name: str) -> WorkerService:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(sorted(self.services))
            raise PolicyError(f"unknown service {name!r}; the policy knows: {known}") from None


_ENV_REF = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")


def _expand_env(value: Any, where: str, env: Mapping[str, str]) -> Any:
    """`${NAME}` / `${NAME:-default}` in strings; used by profiles to point at local URLs."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = env.get(name, default)
            if found is None:
                raise PolicyError(f"{where}: environment variable {name} is not set")
            return found

        return _ENV_REF.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: _expand_env(v, f"{where}.{k}", env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    return value


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source}: the policy does not match its model:"]
    for item in error.errors():
        path = ".".join(str(p) for p in item["loc"]) or "(top level)"
        got = item.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        lines.append(f"  - {path}: {item['msg']}{shown}")
    return "\n".join(lines)


def parse_policy(
    document: Any,
    *,
    source: str = "<policy>",
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Policy:
    """The policy from a parsed document (YAML's top-level mapping). `source` names it in
    errors; `env` gives the values of `${NAME}` references (none given: every one unset)."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    profiles = document.get("profiles") or {}
    if not isinstance(profiles, Mapping):
        raise PolicyError(f"{source}: profiles: expected a mapping of profile name to overrides")
    if profile and profile in profiles and not isinstance(profiles[profile], Mapping):
        raise PolicyError(f"{source}: profiles.{profile}: expected a mapping of overrides")
    body = {k: v for k, v in document.items() if k != "profiles"}
    if profile:
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise PolicyError(f"{source}: profiles.{profile}: no such profile (known: {known})")
        body = _merge(body, profiles[profile])
        source = f"{source} [profile {profile}]"
    body = _expand_env(body, source, env or {})
    try:
        return Policy.model_validate(body)
    except ValidationError as error:
        raise PolicyError(_describe(error, source)) from None
