"""`--watch`: follow a release — its run and the continuations it hands over to — to the verdict,
printing each step as it happens, with the UI link of each run.

Exit codes (documented in the README and `relctl --help`):
  0 released (or the operator's action done)   1 failed (a gate said no, a run died)
  2 bad input (nothing started)                3 not finished when --timeout ran out
  4 the run under this key is dead (start its replacement with --resume)
  5 superseded (production already runs something newer: nothing released)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["EXIT", "Watcher", "run_link", "ui_url", "verdict"]

EXIT = {"released": 0, "failed": 1, "bad input": 2, "timeout": 3, "dead": 4, "superseded": 5}
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def ui_url(api_url: str) -> str:
    """The UI beside the API (`PREFECT_UI_URL` when it is elsewhere, as on Prefect Cloud)."""
    explicit = os.environ.get("PREFECT_UI_URL")
    if explicit:
        return explicit.rstrip("/")
    base = api_url.rstrip("/")
    return base.removesuffix("/api")


def run_link(ui: str, run_id: str) -> str:
    return f"{ui}/runs/flow-run/{run_id}"


def is_deferred(run: dict[str, Any]) -> bool:
    return run["state"]["type"] == "COMPLETED" and run["state"]["name"] == "Deferred"


def verdict(run: dict[str, Any]) -> str:
    """The exit-code name of a finished chain's newest run."""
    state = run["state"]
    if state["type"] == "COMPLETED":
        return "superseded" if state["name"] == "Superseded" else "released"
    return "failed"


def describe(run: dict[str, Any], next_run: dict[str, Any] | None) -> str:
    """One line for a run's state: what a person watching wants to read."""
    state = run["state"]
    message = (state.get("message") or "").strip()
    kind, name = state["type"], state["name"]
    if is_deferred(run):
        due = (next_run or {}).get("expected_start_time") or "its continuation's time"
        return f"deferred until {due}: {message}"
    if kind == "SCHEDULED":
        return f"scheduled for {run.get('expected_start_time') or run.get('next_scheduled_start_time')}"
    if kind == "PAUSED":
        return f"waiting for an answer in the UI ({name}): {message}".rstrip(": ")
    if kind == "COMPLETED":
        return f"{name.lower()}: {message}".rstrip(": ")
    if kind in TERMINAL:
        return f"{kind}: {message}".rstrip(": ")
    return name.lower()


class Watcher:
    """Polls the chain starting at `run_id`; prints a line whenever a run appears or moves."""

    def __init__(
        self,
        api: Any,
        ui: str,
        out: Callable[[str], None] = print,
        *,
        poll_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api, self._ui, self._out = api, ui, out
        self._poll, self._monotonic, self._sleep = poll_s, monotonic, sleep
        self._said: dict[str, tuple[str, ...]] = {}

    def watch(self, run_id: str, timeout_s: float) -> int:
        deadline = self._monotonic() + timeout_s
        while True:
            chain = self._api.chain(run_id)
            self._say(chain)
            newest = chain[-1]
            if newest["state"]["type"] in TERMINAL and not is_deferred(newest):
                name = verdict(newest)
                self._out(
                    f"verdict: {name} — {newest['name']} ({run_link(self._ui, newest['id'])})"
                )
                return EXIT[name]
            if self._monotonic() > deadline:
                self._out(
                    f"verdict: not finished after --timeout {timeout_s:g} s — "
                    f"{newest['name']}: {describe(newest, None)}"
                )
                return EXIT["timeout"]
            self._sleep(self._poll)

    def _say(self, chain: list[dict[str, Any]]) -> None:
        for i, run in enumerate(chain):
            following = chain[i + 1] if i + 1 < len(chain) else None
            # a deferred run is said once its continuation shows, with the time that is due
            state = (run["state"]["type"], run["state"]["name"], str(bool(following)))
            if self._said.get(run["id"]) == state:
                continue
            if run["id"] not in self._said:
                self._out(f"{run['name']}: {run_link(self._ui, run['id'])}")
            self._said[run["id"]] = state
            if is_deferred(run) and following is None:
                continue
            stamp = str(run["state"].get("timestamp") or "")[11:19]
            self._out(f"[{stamp}] {run['name']}: {describe(run, following)}")
