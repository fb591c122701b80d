from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from procedure.policy import Policy
from sandbox.control import SAMPLE_WORKER_DIR, SandboxControl
from sandbox.server import RunningSandbox
from scripts.localstack import PreparedRelease, prepare_release, seed_document
from tasks.clock import ManualClock, clock, use_clock
from tasks.policy_file import load_policy
from tests.scenarios.secrets_scan import LEDGER

ROOT = Path(__file__).resolve().parents[2]
GITHUB_TOKEN = "ghs_scenarioSECRETgithub0123456789"  # an app installation token, like Actions'
CLOUDFLARE_TOKEN = "cf-scenario-SECRET-cloudflare-9876543210"
PAGERDUTY_TOKEN = "pd-scenario-SECRET-pagerduty-5555"
SENTRY_TOKEN = "sntrys-scenario-SECRET-sentry-4242"
TOKENS = {
    "github": GITHUB_TOKEN,
    "cloudflare": CLOUDFLARE_TOKEN,
    "pagerduty": PAGERDUTY_TOKEN,
    "sentry": SENTRY_TOKEN,
}
TEST_MONITOR = {
    "standard": "2s",
    "significant": "3s",
    "check_interval": "0.5s",
    "analytics_lag": "0s",
    "baseline_window": "30s",
    "error_rate_window": "1s",
}


# `prefect_server` and `sandbox_server` (one each per test process, with the secrets scan at the
# end) are tests/conftest.py's, so every suite that runs flows shares them and is scanned.
for _provider, _token in TOKENS.items():
    LEDGER.add(f"the {_provider} token", _token)


@pytest.fixture
def shared_clock(sandbox_server: RunningSandbox) -> Iterator[ManualClock]:
    """One manual clock for the product (tasks/clock.py) and the sandbox (Play's review times,
    vitals and analytics windows), so a test advances soaks and waits instead of sleeping them.
    Ask for it before `stack` / `android`, so their set-up is on it too. Slot heartbeats stay on
    real time (tasks/slots.py reads SYSTEM): liveness is judged by other processes."""
    manual = ManualClock(datetime.now(UTC))
    previous = sandbox_server.state.clock
    sandbox_server.state.clock = manual.now
    try:
        with use_clock(manual):
            yield manual
    finally:
        sandbox_server.state.clock = previous


def pause(seconds: float) -> None:
    """Let `seconds` pass on the clock flows read: advanced when it is a manual one, else slept."""
    current = clock()
    if isinstance(current, ManualClock):
        current.advance(max(0.0, seconds))
    else:
        time.sleep(max(0.0, seconds))


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped policy with its sandbox profile's watch shortened further for tests."""
    doc = yaml.safe_load((ROOT / "policy" / "release-policy.yaml").read_text())
    doc["profiles"]["sandbox"]["monitor"] = TEST_MONITOR
    doc["profiles"]["sandbox"]["emergency"] = {"monitor_window": "2s"}
    doc["profiles"]["sandbox"]["checklist"] = {"ci_wait": "3s", "ci_recheck_interval": "0.5s"}
    # wrangler writes .wrangler/ into the checkout: each test process gets its own copy
    checkout = tmp_path_factory.mktemp("checkout") / "verifier"
    shutil.copytree(
        SAMPLE_WORKER_DIR, checkout, ignore=shutil.ignore_patterns(".wrangler", "node_modules")
    )
    doc["profiles"]["sandbox"]["services"]["verifier"]["checkout"] = str(checkout)
    builds = tmp_path_factory.mktemp("android-builds")
    doc["profiles"]["sandbox"]["android_apps"]["wallet"]["builds_dir"] = str(builds)
    path = tmp_path_factory.mktemp("policy") / "release-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@dataclass
class Stack:
    control: SandboxControl
    policy: Policy
    url: str

    def prepare(self, service: str = "verifier", **kwargs: Any) -> PreparedRelease:
        return prepare_release(
            self.control, self.policy, service, cloudflare_token=CLOUDFLARE_TOKEN, **kwargs
        )

    def live_version(self, service: str, env: str = "production") -> str:
        svc = self.policy.service(service)
        deployments = self.control.cf_deployments(svc.account_id, svc.environments[env].script)
        return str(deployments[0]["versions"][0]["version_id"])

    def deployments(self, service: str, env: str = "production") -> list[dict[str, Any]]:
        svc = self.policy.service(service)
        return self.control.cf_deployments(svc.account_id, svc.environments[env].script)

    def script(self, service: str, env: str = "production") -> str:
        return self.policy.service(service).environments[env].script

    def record_states(self, service: str) -> list[str]:
        """The newest status of each of the service's GitHub production deployment records."""
        import httpx

        repo = self.policy.service(service).repo
        headers = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
        base = f"{self.url}/github/repos/{repo}/deployments"
        states = []
        for d in httpx.get(base, params={"environment": "production"}, headers=headers).json():
            statuses = httpx.get(f"{base}/{d['id']}/statuses", headers=headers).json()
            states.append(max(statuses, key=lambda s: s["id"])["state"] if statuses else "none")
        return states


@pytest.fixture
def stack(
    prefect_server: None,
    sandbox_server: RunningSandbox,
    policy_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Stack]:
    url = sandbox_server.url
    for key, value in {
        "RELORCH_POLICY": str(policy_file),
        "RELORCH_PROFILE": "sandbox",
        "RELORCH_SANDBOX_URL": url,
        "RELORCH_GITHUB_API_URL": f"{url}/github",
        "RELORCH_CLOUDFLARE_API_URL": f"{url}/cloudflare/client/v4",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
        "PAGERDUTY_API_TOKEN": PAGERDUTY_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    policy = load_policy(policy_file, "sandbox")
    control = SandboxControl(url)
    control.reset()
    control.seed({**seed_document(policy), "tokens": TOKENS})
    for svc in policy.services.values():
        for env in svc.environments.values():
            control.worker_traffic(env.script, 400.0)
    from tasks.limits import ensure_limits

    asyncio.run(ensure_limits(policy))
    yield Stack(control, policy, url)
    control.clear_faults()
    assert os.environ["RELORCH_PROFILE"] == "sandbox"


PACKAGE = "app.provii.wallet"
PREVIOUS_CODE = 100


@dataclass
class Android:
    stack: Stack
    package: str = PACKAGE

    def ci_upload(self, version_code: int) -> None:
        """What CI does: edit → bundle → internal track (completed) → commit."""
        token = self.stack.control.play_issue_token()
        self.stack.control.play_upload_internal(self.package, version_code, token=token)

    def production(self) -> list[dict[str, Any]]:
        state = self.stack.control.play_state(self.package)
        return list(state["tracks"]["production"]["releases"])

    def release_of(self, version_code: int) -> dict[str, Any] | None:
        return next((r for r in self.production() if version_code in r["versionCodes"]), None)

    @property
    def builds_dir(self) -> Path:
        return Path(str(self.stack.policy.android_app("wallet").builds_dir))

    def bundle(
        self, version_code: int, version_name: str = "", name: str = "app-release.aab"
    ) -> Path:
        """A built .aab in the policy's builds_dir: a zip with BundleConfig.pb and a manifest the
        sandbox reads the version from."""
        import zipfile

        path = self.builds_dir / name
        with zipfile.ZipFile(path, "w") as aab:
            aab.writestr("BundleConfig.pb", b"\x0a\x05\x0a\x031.0")
            aab.writestr(
                "base/manifest/AndroidManifest.xml",
                f'<manifest android:versionCode="{version_code}" android:versionName="{version_name}"/>',
            )
            aab.writestr("base/dex/classes.dex", b"dex\n035\x00")
        return path


@pytest.fixture
def android(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Android:
    from prefect.variables import Variable

    from tasks.timeline import variable_name

    async def forget_timelines() -> None:  # version codes are per test; Play state is reset too
        for code in (101, 102, 103):
            await Variable.aunset(variable_name("wallet", code))

    async def free_the_slot() -> None:
        # A served run killed with its worker (the served scenarios) keeps the app's slot on this
        # test server, which reclaims no leases: start each test with a fresh limit.
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound

        from tasks.limits import app_limit, ensure_limits

        async with get_client() as client:
            with contextlib.suppress(ObjectNotFound):
                await client.delete_global_concurrency_limit_by_name(app_limit("wallet"))
        await ensure_limits(stack.policy)

    asyncio.run(forget_timelines())
    asyncio.run(free_the_slot())
    app_store(stack, monkeypatch)  # advance-rollouts looks at every app, iOS too
    return play_store(stack, monkeypatch)


def play_store(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Android:
    """The wallet app on the Play sandbox with 1.4.0 (100) live and healthy, and the settings
    that point the orchestrator at it."""
    control = stack.control
    account = control.play_service_account()
    LEDGER.add("a Google service-account private key", account["private_key"])
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(account))
    monkeypatch.setenv("RELORCH_PLAY_API_URL", f"{stack.url}/google/androidpublisher/v3")
    monkeypatch.setenv("RELORCH_PLAY_UPLOAD_URL", f"{stack.url}/google/upload/androidpublisher/v3")
    monkeypatch.setenv(
        "RELORCH_PLAY_REPORTING_URL", f"{stack.url}/google/playdeveloperreporting/v1beta1"
    )
    control.play_app(
        PACKAGE,
        review_seconds=1.0,
        production_version_code=PREVIOUS_CODE,
        production_release_name="1.4.0",
    )
    control.play_set_vitals(
        PACKAGE,
        PREVIOUS_CODE,
        user_perceived_crash_rate=0.003,
        user_perceived_anr_rate=0.001,
        distinct_users=90000,
    )
    return Android(stack)


IOS_APP_ID = "1600000001"
IOS_BUNDLE = "app.provii.wallet"
IOS_PROJECT = "wallet-ios"
IOS_PREVIOUS = ("2.3.0", "300")
HEALTHY = {"crash_free_sessions": 0.999, "crash_free_users": 0.999}
SESSIONS_PER_HOUR = 3_600_000.0  # 1,000 a second: the policy's 1,000 sessions after a second


@dataclass
class Ios:
    stack: Stack
    app_id: str = IOS_APP_ID

    @property
    def control(self) -> SandboxControl:
        return self.stack.control

    def ci_upload(self, version: str, build: str) -> str:
        """What CI's upload to TestFlight does; the build is PROCESSING for a second."""
        return self.control.asc_upload_build(self.app_id, version, build)

    def health(self, version: str, build: str, **rates: float) -> None:
        """The release's crash-free rates from now on (Sentry: bundle@version+build)."""
        self.control.sentry_health(
            IOS_PROJECT,
            f"{IOS_BUNDLE}@{version}+{build}",
            sessions_per_hour=SESSIONS_PER_HOUR,
            users_per_hour=SESSIONS_PER_HOUR / 4,
            **{**HEALTHY, **rates},
        )

    def state(self) -> dict[str, Any]:
        return self.control.asc_app_state(self.app_id)

    def version(self, version: str) -> dict[str, Any]:
        found = self.version_or_none(version)
        assert found is not None, f"no version {version} in App Store Connect"
        return found

    def version_or_none(self, version: str) -> dict[str, Any] | None:
        return next((v for v in self.state()["versions"] if v["version_string"] == version), None)

    def sessions_reads(self, version: str, build: str) -> list[dict[str, Any]]:
        release = f"{IOS_BUNDLE}@{version}+{build}"
        return [r for r in self.control.requests("sentry") if release in str(r["query"])]

    def writes(self, path_part: str, method: str = "PATCH") -> list[dict[str, Any]]:
        """Every successful write of ours to App Store Connect whose path holds `path_part`."""
        return [
            r
            for r in self.control.requests("app-store-connect")
            if r["method"] == method and path_part in r["path"] and r["status"] < 300
        ]


def asc_request_problems(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """openapi-core's complaints about each request we sent App Store Connect (paths the trimmed
    description does not carry are skipped; the sandbox tests hold its answers to it)."""
    from openapi_core import Config, OpenAPI
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
    from openapi_core.testing import MockRequest

    spec = OpenAPI.from_dict(
        json.loads((ROOT / "tests" / "specs" / "app-store-connect.json").read_text()),
        config=Config(spec_validator_cls=None),
    )
    problems: dict[str, list[str]] = {}
    for entry in entries:
        path = entry["path"].removeprefix("/appstore")
        body = entry["body"]
        request = MockRequest(
            "https://api.appstoreconnect.apple.com",
            entry["method"].lower(),
            path,
            args=entry["query"],
            data=json.dumps(body).encode() if isinstance(body, dict | list) else None,
            headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
            content_type="application/json",
        )
        found = []
        for error in spec.iter_request_errors(request):
            if isinstance(error, PathNotFound | OperationNotFound):
                break
            inner = getattr(error.__cause__, "schema_errors", [])
            found.append(f"{type(error).__name__}: {[e.message[:200] for e in inner] or error}")
        if found:
            problems[f"{entry['method']} {path}"] = found
    return problems


@pytest.fixture
def ios(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ios]:
    """The wallet app on the App Store sandbox with 2.3.0 (300) live and healthy, paced by the
    policy's sandbox profile (a phase day of `phased_day`), and the settings that point the
    orchestrator at it."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from tasks.limits import ensure_limits, ios_app_limit

    async def fresh_prefect_state() -> None:
        async with get_client() as client:
            for variable in await client.read_variables():
                if variable.name.startswith("rollout_ios_wallet"):
                    await client.delete_variable_by_name(variable.name)
            with contextlib.suppress(ObjectNotFound):
                await client.delete_global_concurrency_limit_by_name(ios_app_limit("wallet"))
        await ensure_limits(stack.policy)

    asyncio.run(fresh_prefect_state())
    world = app_store(stack, monkeypatch)
    yield world
    # Every request the orchestrator sent, held to Apple's own description of the API.
    assert asc_request_problems(stack.control.requests("app-store-connect")) == {}


def app_store(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Ios:
    """The wallet app on the App Store sandbox with 2.3.0 (300) live and healthy, paced by the
    policy's sandbox profile (a phase day of `phased_day`), and the settings that point the
    orchestrator at it. Every mobile world has it: advance-rollouts looks at every app."""
    control = stack.control
    app = stack.policy.ios_app("wallet")
    key = control.asc_api_key()
    LEDGER.add("an App Store Connect .p8 key", key["private_key"])
    for name, value in {
        "RELORCH_APP_STORE_API_URL": f"{stack.url}/appstore",
        "APP_STORE_CONNECT_KEY_ID": key["key_id"],
        "APP_STORE_CONNECT_ISSUER_ID": key["issuer_id"],
        "APP_STORE_CONNECT_PRIVATE_KEY": key["private_key"],
        "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    control.asc_app(
        IOS_APP_ID,
        IOS_BUNDLE,
        name="Provii Wallet",
        beta_groups=[{"name": group, "internal": True} for group in app.beta_groups],
        processing_seconds=1,
        review_seconds=2,
        day_seconds=app.phased_day.total_seconds(),
    )
    world = Ios(stack)
    if world.version_or_none(IOS_PREVIOUS[0]) is None:
        control.asc_live_version(IOS_APP_ID, *IOS_PREVIOUS)
        world.health(*IOS_PREVIOUS, crash_free_sessions=0.998, crash_free_users=0.998)
    return world


@pytest.fixture
def notifications(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """(kind, subject, text) of every notification the flows run in this process send (the
    events stay here: their way out is tests/scenarios/test_notifications.py's)."""
    import tasks.notify

    sent: list[tuple[str, str, str]] = []

    def record(event: str, resource: dict[str, str], payload: dict[str, str]) -> None:
        sent.append((payload["kind"], resource["prefect.resource.name"], payload["text"]))

    monkeypatch.setattr(tasks.notify, "emit_event", record)
    return sent
