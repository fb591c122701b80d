"""Every deployment in prefect.yaml with its flow, the model its parameters are checked by, and a
hypothesis strategy of parameter sets that model accepts (canonical JSON, as CI and the UI send).

A deployment added to prefect.yaml without an entry here fails `test_every_deployment_is_covered`.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from procedure.policy import Policy
from procedure.request import service_target
from tasks.policy_file import load_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(
    ROOT / "policy" / "release-policy.yaml", "sandbox", env={"RELORCH_SANDBOX_URL": "http://sb"}
)


class FreezeStatusParameters(BaseModel):
    """freeze-status takes no request model: its contract, as its body and signature state it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: int = Field(14, ge=1, le=366)


class AdvanceRolloutsParameters(BaseModel):
    """advance-rollouts takes no parameter at all."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Deployment:
    flow_name: str
    name: str
    entrypoint: str

    @property
    def id(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def flow(self) -> Any:
        path, _, attr = self.entrypoint.partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        return getattr(module, attr)


def deployments() -> list[Deployment]:
    """Every deployment prefect.yaml declares, named as Prefect names it (flow/deployment)."""
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    found = []
    for entry in document["deployments"]:
        probe = Deployment("", entry["name"], entry["entrypoint"])
        found.append(Deployment(probe.flow().name, entry["name"], entry["entrypoint"]))
    return found


# -- valid parameter sets, per flow -----------------------------------------------------------

HEX = "0123456789abcdef"
sha = st.text(HEX, min_size=40, max_size=40)
words = st.text(string.ascii_letters + string.digits + " -_.é", min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s != ""
)


def text(low: int, high: int = 60) -> st.SearchStrategy[str]:
    """Text a person types: letters, digits, punctuation and some non-ASCII, no edge spaces."""
    alphabet = string.ascii_letters + string.digits + " .,:;-_/#'()é€ü漢🚀"
    return st.text(alphabet, min_size=low, max_size=high).filter(
        lambda s: s.strip() == s and len(s) >= low
    )


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def version_string() -> st.SearchStrategy[str]:
    part = st.integers(0, 9999).map(str)
    return st.lists(part, min_size=1, max_size=3).map(".".join)


@st.composite
def workers_deploy(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(POLICY.services)))
    service = POLICY.services[name]
    params: dict[str, Any] = {
        "service": name,
        "git_sha": draw(sha),
        "pr_number": draw(st.integers(1, 10**6)),
        "version_ids": {env: str(draw(st.uuids())) for env in service.deploy_order},
    }
    if draw(st.booleans()):
        params["significant"] = draw(optional(st.booleans()))
    if draw(st.booleans()):
        params["ci_run_id"] = draw(optional(st.integers(1, 10**12)))
    if draw(st.booleans()):
        params["significant_reason"] = draw(optional(text(1, 500)))
    return params


@st.composite
def workers_emergency(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {
        # only a service with a `checkout` has somewhere to run wrangler
        "service": draw(
            st.sampled_from(sorted(n for n, s in POLICY.services.items() if s.checkout))
        ),
        "incident_id": draw(text(1, 20)),
        "reason": draw(text(10, 200)),
        "acting_person": draw(text(2, 40)),
    }
    if draw(st.booleans()):
        params["ci_unavailable_attestation"] = draw(optional(text(1, 200)))
    return params


@st.composite
def workers_recover(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {"service": draw(st.sampled_from(sorted(POLICY.services)))}
    if draw(st.booleans()):
        params["flow_run_id"] = draw(optional(st.uuids().map(str)))
    return params


@st.composite
def pr_checklist(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {
        "service": draw(st.sampled_from(sorted(POLICY.services))),
        "pr_number": draw(st.integers(1, 10**6)),
    }
    if draw(st.booleans()):
        params["head_sha"] = draw(optional(sha))
    if draw(st.booleans()):
        params["ci_run_id"] = draw(optional(st.integers(1, 10**12)))
    return params


@st.composite
def _significance(draw: st.DrawFn, params: dict[str, Any]) -> dict[str, Any]:
    """`significant` said, or a PR that says it (with its optional downgrade reason)."""
    if draw(st.booleans()):
        params["pr_number"] = draw(st.integers(1, 10**6))
        if draw(st.booleans()):
            params["significant"] = draw(optional(st.booleans()))
        if draw(st.booleans()):
            params["significant_reason"] = draw(text(10, 200))
    else:
        params["significant"] = draw(st.booleans())
    return params


@st.composite
def android_release(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {"app": draw(st.sampled_from(sorted(POLICY.android_apps)))}
    if draw(st.booleans()):
        params["version_code"] = draw(st.integers(1, 2_100_000_000))
    else:
        params["aab_path"] = draw(st.sampled_from(["build/android/app.aab", "app-release.aab"]))
    if draw(st.booleans()):
        params["version_name"] = draw(text(0, 50))
    if draw(st.booleans()):
        params["release_notes"] = draw(text(0, 500))
    params = draw(_significance(params))
    if draw(st.booleans()):  # an operator's resume, or an emergency hotfix
        params["operator"] = draw(text(2, 40))
        if draw(st.booleans()):
            params["resume_reason"] = draw(text(5, 200))
        else:
            params["incident_id"] = draw(text(1, 20))
            params["emergency_reason"] = draw(text(10, 200))
    if draw(st.booleans()):
        params["outage_attempt"] = draw(st.integers(0, 50))
    return params


@st.composite
def ios_release(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {
        "app": draw(st.sampled_from(sorted(POLICY.ios_apps))),
        "version": draw(version_string()),
        "build_number": draw(version_string()),
    }
    if draw(st.booleans()):
        params["release_notes"] = draw(text(0, 400))
    action = draw(st.sampled_from(["release", "resume", "release to all", "remove from sale"]))
    if action != "release" or draw(st.booleans()):
        params["action"] = action
    if action == "release":
        params = draw(_significance(params))
        if draw(st.booleans()):
            params["operator"] = draw(text(2, 40))
            params["incident_id"] = draw(text(1, 20))
            params["emergency_reason"] = draw(text(10, 200))
    else:
        params["operator"] = draw(text(2, 40))
        params["reason"] = draw(text(5, 200))
        if action == "remove from sale":
            params["confirm_remove_from_sale"] = True
    if draw(st.booleans()):
        params["outage_attempt"] = draw(st.integers(0, 50))
    return params


@st.composite
def halt_rollout(draw: st.DrawFn) -> dict[str, Any]:
    platform = draw(st.sampled_from(["android", "ios"]))
    apps = POLICY.android_apps if platform == "android" else POLICY.ios_apps
    params: dict[str, Any] = {
        "platform": platform,
        "app": draw(st.sampled_from(sorted(apps))),
        "operator": draw(text(2, 40)),
        "reason": draw(text(5, 200)),
    }
    if platform == "android":
        if draw(st.booleans()):
            params["version"] = str(draw(st.integers(1, 2_100_000_000)))
    elif draw(st.booleans()):
        params["version"] = draw(version_string())
        if draw(st.booleans()):
            params["build_number"] = draw(version_string())
    return params


@st.composite
def freeze_status(draw: st.DrawFn) -> dict[str, Any]:
    return {"days": draw(st.integers(1, 366))} if draw(st.booleans()) else {}


def _target(module: str, name: str) -> Callable[[Any, Policy], object]:
    def check(request: Any, policy: Policy) -> object:
        return getattr(importlib.import_module(module), name)(request, policy)

    return check


@dataclass(frozen=True)
class Spec:
    model: type[BaseModel]
    valid: st.SearchStrategy[dict[str, Any]]
    # the request's names checked against the policy (RequestError naming the field), if any
    target: Callable[[Any, Policy], object] | None = None


def _model(module: str, name: str) -> type[BaseModel]:
    found: type[BaseModel] = getattr(importlib.import_module(module), name)
    return found


SPECS: dict[str, Spec] = {
    "workers-deploy": Spec(
        _model("procedure.request", "WorkersDeployRequest"),
        workers_deploy(),
        _target("procedure.request", "workers_target"),
    ),
    "workers-emergency-deploy": Spec(
        _model("procedure.emergency", "EmergencyRequest"),
        workers_emergency(),
        _target("procedure.emergency", "emergency_target"),
    ),
    "workers-recover": Spec(
        _model("procedure.request", "WorkersRecoverRequest"),
        workers_recover(),
        lambda request, policy: service_target(request.service, policy),
    ),
    "pr-checklist": Spec(
        _model("procedure.pr_checklist_request", "PrChecklistRequest"),
        pr_checklist(),
        lambda request, policy: service_target(request.service, policy),
    ),
    "android-release": Spec(
        _model("procedure.android_request", "AndroidReleaseRequest"),
        android_release(),
        _target("procedure.android_request", "android_target"),
    ),
    "ios-release": Spec(
        _model("procedure.ios_request", "IosReleaseRequest"),
        ios_release(),
        _target("procedure.ios_request", "ios_target"),
    ),
    "halt-rollout": Spec(
        _model("procedure.halt_request", "HaltRequest"),
        halt_rollout(),
        _target("procedure.halt_request", "halt_target"),
    ),
    "freeze-status": Spec(FreezeStatusParameters, freeze_status()),
    "advance-rollouts": Spec(AdvanceRolloutsParameters, st.just({})),
}
