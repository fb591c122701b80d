"""Where the providers are and how to authenticate: read from the environment, never logged.

Sandbox or real differ only here: base URLs and credentials (DESIGN decision 9). A credential the
worker's environment lacks may come from a Prefect Secret block named after it
(`GITHUB_TOKEN` → `relorch-github-token`), loaded once per process when a flow starts
(`load_credential_blocks`); the environment wins when it has the value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import SecretStr, WithJsonSchema

from procedure.policy import Policy
from tasks.policy_file import load_policy

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = REPO_ROOT / "policy" / "release-policy.yaml"


@dataclass(frozen=True)
class ProviderSettings:
    github_url: str
    github_token: SecretStr
    cloudflare_url: str
    cloudflare_token: SecretStr
    pagerduty_token: SecretStr
    play_url: str
    play_upload_url: str
    play_reporting_url: str
    google_service_account: SecretStr  # the key file's JSON text
    app_store_url: str = "https://api.appstoreconnect.apple.com"
    app_store_key_id: str = ""
    app_store_issuer_id: str = ""
    app_store_private_key: SecretStr = SecretStr("")  # the .p8 key's PEM text
    sentry_token: SecretStr = SecretStr("")

    @classmethod
    def from_env(cls) -> ProviderSettings:
        env = {**_FROM_BLOCKS, **{k: v for k, v in os.environ.items() if v}}
        return cls(
            github_url=env.get("RELORCH_GITHUB_API_URL", "https://api.github.com"),
            github_token=SecretStr(env.get("GITHUB_TOKEN", "")),
            cloudflare_url=env.get(
                "RELORCH_CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4"
            ),
            cloudflare_token=SecretStr(env.get("CLOUDFLARE_API_TOKEN", "")),
            pagerduty_token=SecretStr(env.get("PAGERDUTY_API_TOKEN", "")),
            play_url=env.get(
                "RELORCH_PLAY_API_URL",
                "https://androidpublisher.googleapis.com/androidpublisher/v3",
            ),
            play_upload_url=env.get(
                "RELORCH_PLAY_UPLOAD_URL",
                "https://androidpublisher.googleapis.com/upload/androidpublisher/v3",
            ),
            play_reporting_url=env.get(
                "RELORCH_PLAY_REPORTING_URL",
                "https://playdeveloperreporting.googleapis.com/v1beta1",
            ),
            google_service_account=SecretStr(_service_account_text(env)),
            app_store_url=env.get(
                "RELORCH_APP_STORE_API_URL", "https://api.appstoreconnect.apple.com"
            ),
            app_store_key_id=env.get("APP_STORE_CONNECT_KEY_ID", ""),
            app_store_issuer_id=env.get("APP_STORE_CONNECT_ISSUER_ID", ""),
            app_store_private_key=SecretStr(_app_store_key_text(env)),
            sentry_token=SecretStr(env.get("SENTRY_AUTH_TOKEN", "")),
        )

    def secret_values(self) -> list[str]:
        tokens = (self.github_token, self.cloudflare_token, self.pagerduty_token, self.sentry_token)
        values = [s.get_secret_value() for s in tokens if s.get_secret_value()]
        apple = self.app_store_private_key.get_secret_value()
        values += [line for line in apple.splitlines() if len(line) > 16]
        account = self.google_service_account.get_secret_value()
        if account:
            try:
                key = json.loads(account).get("private_key", "")
            except ValueError:
                key = ""
            # the PEM body lines, so no fragment of the key survives redaction either
            values += [line for line in str(key).splitlines() if len(line) > 16]
        return values


# Credentials a Secret block may hold (the ids of the App Store Connect key too: not secret, but
# kept beside the key). The block's name: `relorch-` + the variable's name in kebab case.
CREDENTIALS = (
    "GITHUB_TOKEN",
    "CLOUDFLARE_API_TOKEN",
    "PAGERDUTY_API_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_JSON",
    "APP_STORE_CONNECT_KEY_ID",
    "APP_STORE_CONNECT_ISSUER_ID",
    "APP_STORE_CONNECT_PRIVATE_KEY",
    "SENTRY_AUTH_TOKEN",
)
_FROM_BLOCKS: dict[str, str] = {}


def block_name(variable: str) -> str:
    return "relorch-" + variable.lower().replace("_", "-")


async def load_credential_blocks() -> list[str]:
    """For each credential the environment lacks, the Secret block of its name, if there is one:
    read once per process. Returns the variables filled from blocks (names only: never values)."""
    from prefect.blocks.system import Secret

    load: Callable[[str], Awaitable[Secret[Any]]] = Secret.aload  # typed loosely in 3.9
    loaded = []
    for variable in CREDENTIALS:
        if os.environ.get(variable) or variable in _FROM_BLOCKS:
            continue
        try:
            block = await load(block_name(variable))
        except ValueError:  # no such block: the credential stays unset
            _FROM_BLOCKS[variable] = ""
            continue
        value = block.get()
        _FROM_BLOCKS[variable] = value if isinstance(value, str) else json.dumps(value)
        loaded.append(variable)
    return loaded


def _service_account_text(env: os._Environ[str] | dict[str, str]) -> str:
    """GOOGLE_SERVICE_ACCOUNT_JSON (the JSON itself) or GOOGLE_APPLICATION_CREDENTIALS (a path)."""
    if env.get("GOOGLE_SERVICE_ACCOUNT_JSON"):
        return env["GOOGLE_SERVICE_ACCOUNT_JSON"]
    path = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    return Path(path).read_text() if path and Path(path).exists() else ""


def _app_store_key_text(env: os._Environ[str] | dict[str, str]) -> str:
    """APP_STORE_CONNECT_PRIVATE_KEY (the .p8 PEM itself) or APP_STORE_CONNECT_PRIVATE_KEY_PATH."""
    if env.get("APP_STORE_CONNECT_PRIVATE_KEY"):
        return env["APP_STORE_CONNECT_PRIVATE_KEY"]
    path = env.get("APP_STORE_CONNECT_PRIVATE_KEY_PATH")
    return Path(path).read_text() if path and Path(path).exists() else ""


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


def policy_choice(kind: Literal["services", "android_apps", "ios_apps", "mobile_apps"]) -> Any:
    """The annotation of a flow's `service` / `app` parameter: a string whose JSON schema lists
    the policy's names as an enum, so the Prefect form offers a choice and the API (with
    `enforce_parameter_schema`) refuses a name the policy does not know before a run exists.
    Read when `prefect deploy` imports the flow; without a readable policy, plain text (the
    request model still refuses an unknown name, naming it)."""
    try:
        policy = current_policy()
        names = sorted(
            {*policy.android_apps, *policy.ios_apps}  # once each: an app on both platforms
            if kind == "mobile_apps"
            else getattr(policy, kind)
        )
    except Exception:  # noqa: BLE001 - importing a flow must not fail on the policy
        return str
    return Annotated[str, WithJsonSchema({"type": "string", "enum": names})]
