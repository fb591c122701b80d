"""What a release run is called, from its flow and parameters: `verifier a58a743 PR#201`,
`wallet 2.4.1 (412)`, `wallet (101)`. One rule for the name Prefect gives a run when it starts
(flows.run_names) and the name relctl gives it when it creates it, so the UI's list says what a
run is about before a worker has picked it up."""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["run_name"]

Params = Mapping[str, object]


def _workers(p: Params) -> str:
    return f"{p.get('service')} {str(p.get('git_sha', ''))[:7]} PR#{p.get('pr_number')}"


def _emergency(p: Params) -> str:
    return f"EMERGENCY {p.get('service')} for {p.get('incident_id')} by {p.get('acting_person')}"


def _android(p: Params) -> str:
    code = p.get("version_code") or "new upload"
    name = f" {p['version_name']}" if p.get("version_name") else ""
    return f"{p.get('app')}{name} ({code})"


def _ios(p: Params) -> str:
    action = p.get("action") or "release"
    what = "" if action == "release" else f" — {action} by {p.get('operator')}"
    return f"{p.get('app')} {p.get('version')} ({p.get('build_number')}){what}"


def _halt(p: Params) -> str:
    version = f" {p['version']}" if p.get("version") else ""
    return f"HALT {p.get('platform')} {p.get('app')}{version} by {p.get('operator')}"


NAMES: dict[str, Callable[[Params], str]] = {
    "workers-deploy": _workers,
    "workers-emergency-deploy": _emergency,
    "android-release": _android,
    "ios-release": _ios,
    "halt-rollout": _halt,
}


def run_name(flow: str, parameters: Params) -> str | None:
    """The run's name, or None for a flow whose runs keep Prefect's generated name."""
    name_of = NAMES.get(flow)
    return name_of(parameters) if name_of else None
