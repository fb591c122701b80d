"""The secrets scan: no credential value, nor a fragment of one, in anything the orchestrator
wrote to Prefect or printed.

Every credential the scenarios use is put in the `LEDGER` (the provider tokens, each Google
service-account key and App Store Connect .p8 key the sandbox generates, and every value a caller
ever authenticated to the sandbox with: Google access tokens, App Store Connect JWTs, grant
assertions). At the end of each test process the scenario conftest's `prefect_server` fixture
reads everything its Prefect server holds — every flow run (name, parameters, tags, each state
of its history with its message), every task run, every log, artifact and Variable, and every
event — plus the output pytest captured from each scenario test, and fails naming each place a
credential was found. Secret blocks are the one place a credential belongs and are not read.

Fragments: a credential is found when any 16 characters of it appear at a multiple of 4 (so any
19 consecutive characters of it are always found) — the PEM body lines of a key, the random part
of a token, the signature of a JWT (its header and claims are not secret, and the header is
the same in every JWT). A credential shorter than 16 characters is looked for whole.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

WINDOW = 16
STRIDE = 4
# A run of the characters tokens, base64 and JWTs are made of: only such runs are looked into.
_RUN = re.compile(r"[A-Za-z0-9+/=_\-.~]{" + str(WINDOW) + ",}")
_PEM_ARMOUR = re.compile(r"-----(BEGIN|END) [A-Z ]+-----")
_JWT = re.compile(r"^eyJ[\w-]+\.eyJ[\w-]+\.([\w-]+)$")


def secret_parts(value: str) -> list[str]:
    """The parts of a credential that are secret: a PEM key's body, a JWT's signature, else all
    of it (an `Authorization` value loses its scheme first)."""
    value = value.strip()
    if "-----BEGIN" in value:
        body = _PEM_ARMOUR.sub("", value).replace("\\n", "\n")
        return [line.strip() for line in body.splitlines() if line.strip()]
    if (jwt := _JWT.match(value)) is not None:
        return [jwt.group(1)]
    return [value]


def windows(part: str) -> Iterator[str]:
    if len(part) <= WINDOW:
        yield part
        return
    for start in range(0, len(part) - WINDOW + 1, STRIDE):
        yield part[start : start + WINDOW]
    yield part[-WINDOW:]


@dataclass
class Finding:
    credential: str
    where: str
    context: str

    def __str__(self) -> str:
        return f"{self.credential} in {self.where}: …{self.context}…"


@dataclass
class Ledger:
    """Credentials by their fragments; what tests registered, thread-safe."""

    _names: dict[str, str] = field(default_factory=dict)  # window -> credential name
    _short: dict[str, str] = field(default_factory=dict)  # whole short values -> name
    _values: dict[str, str] = field(default_factory=dict)  # value -> name
    captured: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, value: str) -> None:
        if not value or len(value) < 8:  # nothing a test would call a credential
            return
        with self._lock:
            if value in self._values:
                return
            self._values[value] = name
            parts = secret_parts(value)
            for part in parts:
                if len(part) < WINDOW:
                    if len(parts) == 1 and len(part) >= 10:  # not a PEM key's short last line
                        self._short[part] = name
                    continue
                for window in windows(part):
                    self._names.setdefault(window, name)

    def add_all(self, name: str, values: Iterable[str]) -> None:
        for value in values:
            self.add(name, value)

    def __len__(self) -> int:
        return len(self._values)

    def find(self, where: str, text: str) -> list[Finding]:
        """Each credential found in `text`, once, with a little context around it (masked)."""
        found: dict[str, Finding] = {}
        for run in _RUN.finditer(text):
            chunk = run.group(0)
            for i in range(len(chunk) - WINDOW + 1):
                name = self._names.get(chunk[i : i + WINDOW])
                if name is not None and name not in found:
                    # the whole run is masked: the rest of the credential is beside the window
                    found[name] = Finding(name, where, _masked(text, run.start(), run.end()))
        for value, name in self._short.items():
            at = text.find(value)
            if at >= 0 and name not in found:
                found[name] = Finding(name, where, _masked(text, at, at + len(value)))
        return list(found.values())


def _masked(text: str, start: int, end: int, around: int = 60) -> str:
    """Where it was, without repeating the credential in the failure report."""
    before = text[max(0, start - around) : start]
    after = text[end : end + around]
    return (before + "«credential»" + after).replace("\n", "⏎")


LEDGER = Ledger()


# -- what the Prefect server holds ---------------------------------------------------------------


async def _paged(client: Any, path: str, body: dict[str, Any], page: int = 200) -> list[Any]:
    found: list[Any] = []
    offset = 0
    while True:
        response = await client._client.post(path, json={**body, "limit": page, "offset": offset})
        response.raise_for_status()
        batch = response.json()
        found.extend(batch)
        if len(batch) < page:
            return found
        offset += page


async def _events(client: Any, limit: int = 20_000) -> list[dict[str, Any]]:
    response = await client._client.post(
        "/events/filter", json={"filter": {"occurred": {"since": "2000-01-01T00:00:00Z"}}}
    )
    if response.status_code >= 400:  # an events backend that is not there: nothing to read
        return []
    doc = response.json()
    events = list(doc.get("events", []))
    while doc.get("next_page") and len(events) < limit:
        response = await client._client.get(doc["next_page"])
        if response.status_code >= 400:
            break
        doc = response.json()
        events.extend(doc.get("events", []))
    return events


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


async def server_texts(flow_run_ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(where, text) for everything the current Prefect API holds that a credential must not
    reach: runs, their states, logs, artifacts, Variables, events. With `flow_run_ids`: those
    runs, their task runs, logs and artifacts, and the Variables (no events)."""
    from prefect.client.orchestration import get_client

    only = None if flow_run_ids is None else [str(i) for i in flow_run_ids]
    runs = {} if only is None else {"flow_runs": {"id": {"any_": only}}}
    of_runs = {} if only is None else {"flow_run_id": {"any_": only}}
    texts: list[tuple[str, str]] = []
    async with get_client() as client:
        sort = {"sort": "EXPECTED_START_TIME_ASC"}
        flow_runs = await _paged(client, "/flow_runs/filter", {**sort, **runs})
        names = {run["id"]: run.get("name", "") for run in flow_runs}
        for run in flow_runs:
            texts.append((f"flow run {run.get('name')!r} ({run['id']})", _dump(run)))
            states = await client._client.get(
                "/flow_run_states/", params={"flow_run_id": run["id"]}
            )
            if states.status_code < 400:
                texts.append((f"states of flow run {run.get('name')!r}", states.text))
        for task in await _paged(client, "/task_runs/filter", runs):
            owner = names.get(task.get("flow_run_id"), "")
            texts.append((f"task run {task.get('name')!r} of {owner!r}", _dump(task)))
        logs = {"sort": "TIMESTAMP_ASC"} | ({"logs": of_runs} if of_runs else {})
        for log in await _paged(client, "/logs/filter", logs):
            owner = names.get(log.get("flow_run_id"), log.get("flow_run_id"))
            texts.append(
                (f"log of flow run {owner!r} ({log.get('name')})", str(log.get("message")))
            )
        artifacts = {"artifacts": of_runs} if of_runs else {}
        for artifact in await _paged(client, "/artifacts/filter", artifacts):
            owner = names.get(artifact.get("flow_run_id"), artifact.get("flow_run_id"))
            texts.append(
                (f"artifact {artifact.get('key')!r} of flow run {owner!r}", _dump(artifact))
            )
        for variable in await _paged(client, "/variables/filter", {}):
            texts.append((f"Variable {variable.get('name')!r}", _dump(variable)))
        if only is None:
            for event in await _events(client):
                resource = event.get("resource", {}).get("prefect.resource.name", "")
                texts.append((f"event {event.get('event')} of {resource!r}", _dump(event)))
    return texts


SANDBOXES: list[Any] = []  # the running sandboxes (RunningSandbox) of this test process


def harvest() -> None:
    """Every credential callers sent a running sandbox: access tokens, JWTs, grant assertions."""
    for sandbox in SANDBOXES:
        with sandbox.state.lock:
            seen = sorted(sandbox.state.credentials_seen)
        LEDGER.add_all("a credential sent to a provider", seen)


def assert_server_clean(*, captured: bool = False) -> None:
    """Scan everything the current Prefect API holds (and, with `captured`, what pytest captured
    from the scenario tests) for every credential in the ledger; fail naming each place."""
    import asyncio

    harvest()
    texts = asyncio.run(server_texts()) + (LEDGER.captured if captured else [])
    findings = scan(texts)
    assert not findings, report(findings, len(texts), len(LEDGER))


def scan(texts: Iterable[tuple[str, str]], ledger: Ledger = LEDGER) -> list[Finding]:
    findings: list[Finding] = []
    for where, text in texts:
        findings.extend(ledger.find(where, text))
    return findings


def report(findings: list[Finding], looked_at: int, credentials: int) -> str:
    shown = "\n".join(f"  - {f}" for f in findings[:40])
    more = f"\n  … and {len(findings) - 40} more" if len(findings) > 40 else ""
    return (
        f"{len(findings)} credential leak(s) in what the orchestrator wrote ({looked_at} texts "
        f"read, {credentials} credentials looked for):\n{shown}{more}"
    )
