"""Run names that say what a run is about, in the UI's list and in `relctl … --watch`:
`verifier a58a743 PR#201`, `wallet 2.4.1 (412)`, `wallet 101`. A continuation is named for the
step it continues with (`wallet 2.4.1 (412) → phase day 3`), see `flows.continuation`."""

from __future__ import annotations

import functools
from collections.abc import Callable

from prefect.runtime import flow_run

from procedure.run_names import run_name

NEXT = " → "  # flows.continuation names a continuation `<release> → <step>`

__all__ = [
    "android_run_name",
    "emergency_run_name",
    "halt_run_name",
    "ios_run_name",
    "workers_run_name",
]


def _parameters() -> dict[str, object]:
    return dict(flow_run.parameters or {})


def _given_name() -> str:
    return str(flow_run.name or "")


def _keeps_step(name_of: Callable[[], str]) -> Callable[[], str]:
    """Prefect renames every run it starts: a continuation keeps the name it was created with
    (`… → soak at 0%`), the one that says its step."""

    @functools.wraps(name_of)
    def named() -> str:
        given = _given_name()
        return given if NEXT in given else name_of()

    return named


def _named(flow: str) -> Callable[[], str]:
    @_keeps_step
    def name_of() -> str:
        return run_name(flow, _parameters()) or _given_name()

    return name_of


workers_run_name = _named("workers-deploy")
emergency_run_name = _named("workers-emergency-deploy")
android_run_name = _named("android-release")
ios_run_name = _named("ios-release")
halt_run_name = _named("halt-rollout")
