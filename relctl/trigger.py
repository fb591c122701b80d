"""Start a deployment's flow run through the Prefect REST API, as CI does.

`POST /api/deployments/{id}/create_flow_run` with an idempotency key made of everything that makes
a release different (`workers_idempotency_key`): a retried trigger gets the same run back (HTTP
200) instead of a second release, while a release with other versions, another PR, another
`significant` — or a CI re-run attempt after a failure — is a new run.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Mapping
from typing import Any

import httpx

from procedure.run_names import run_name


def workers_idempotency_key(params: Mapping[str, Any], ci_attempt: str | None = None) -> str:
    """`service@sha#pr@env=version,…@significant=…[@reason=…][@ci=…]`. The same key = the same
    release, so the key holds every parameter that changes what is released or how it is watched;
    `ci_attempt` (GitHub's run id and attempt) makes "Re-run failed jobs" a new run, since a
    failed run returned again would release nothing."""
    versions = ",".join(f"{env}={vid}" for env, vid in sorted(dict(params["version_ids"]).items()))
    significant = params.get("significant")
    key = (
        f"{params['service']}@{params['git_sha']}#{params['pr_number']}@{versions}"
        f"@significant={'label' if significant is None else str(bool(significant)).lower()}"
    )
    reason = params.get("significant_reason")
    if reason:
        key += f"@reason={hashlib.sha256(str(reason).encode()).hexdigest()[:12]}"
    if ci_attempt:
        key += f"@ci={ci_attempt}"
    return key


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
# A run that died (process killed, server restart, cancelled) released nothing we can trust: it is
# never handed back as the release. FAILED is the release's own answer (a gate said no) and stays.
DEAD = frozenset({"CRASHED", "CANCELLED", "CANCELLING"})
REPLACES_TAG = "replaces:"
# Prefect's server answers 503 when SQLite is busy ("database is locked") and the request rolled
# back; its own client retries these, and so do we (create_flow_run is idempotent by key).
RETRY_STATUS = frozenset({429, 502, 503})
RETRIES = 6


class _RetryingTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(RETRIES):
            response = super().handle_request(request)
            if response.status_code not in RETRY_STATUS or attempt == RETRIES - 1:
                return response
            response.close()
            wait = response.headers.get("Retry-After", "")
            time.sleep(min(float(wait), 10.0) if wait.isdigit() else 0.25 * 2**attempt)
        raise AssertionError("unreachable")


def auth_headers(env: Mapping[str, str]) -> dict[str, str]:
    """What Prefect's own client sends: `PREFECT_API_KEY` as a bearer token (Prefect Cloud), or
    `PREFECT_API_AUTH_STRING` (`user:password`, a server started with
    `PREFECT_SERVER_API_AUTH_STRING`) as HTTP basic auth."""
    if key := env.get("PREFECT_API_KEY"):
        return {"Authorization": f"Bearer {key}"}
    if auth := env.get("PREFECT_API_AUTH_STRING"):
        return {"Authorization": f"Basic {base64.b64encode(auth.encode()).decode()}"}
    return {}


class PrefectApi:
    def __init__(
        self,
        api_url: str,
        *,
        http: httpx.Client | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = http or httpx.Client(
            base_url=self.api_url + "/",
            timeout=30,
            transport=_RetryingTransport(),
            headers=auth_headers(os.environ if env is None else env),
        )
        self._flows: dict[str, str] = {}  # deployment id → its flow's name, as looked up

    def close(self) -> None:
        self._http.close()

    def deployment_id(self, flow_name: str, deployment_name: str) -> str:
        answer = self._http.get(f"deployments/name/{flow_name}/{deployment_name}")
        answer.raise_for_status()
        self._flows[str(answer.json()["id"])] = flow_name
        return str(answer.json()["id"])

    def create_flow_run(
        self,
        deployment_id: str,
        parameters: dict[str, Any],
        idempotency_key: str | None = None,
        tags: list[str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        body: dict[str, Any] = {"parameters": parameters}
        # named at once, as the flow names it when it starts: the UI's list says what it is
        if name := run_name(self._flows.get(deployment_id, ""), parameters):
            body["name"] = name
        if idempotency_key:
            body["idempotency_key"] = idempotency_key
        if tags:
            body["tags"] = tags
        answer = self._http.post(f"deployments/{deployment_id}/create_flow_run", json=body)
        if answer.status_code == 409:
            raise ValueError(f"parameters rejected by the deployment's schema: {answer.text}")
        answer.raise_for_status()
        return answer.json(), answer.status_code == 201

    def deployments(self) -> list[dict[str, Any]]:
        answer = self._http.post("deployments/filter", json={})
        answer.raise_for_status()
        return list(answer.json())

    def refuse_unknown_parameters(self) -> list[str]:
        """Close every deployment's parameter schema (`additionalProperties: false`).

        Prefect 3.9 builds the schema from the flow's signature without it, so the API takes any
        extra parameter (a CI typo such as `sigificant`) and the run then crashes in the worker
        with the cause only in a traceback (SignatureMismatchError, before the flow starts).
        `prefect deploy` rewrites the schema each time: run this after every deploy. With
        `enforce_parameter_schema` on, the API then answers 409 naming the parameter. Returns the
        deployments it changed."""
        changed = []
        for deployment in self.deployments():
            schema = deployment.get("parameter_openapi_schema")
            if not isinstance(schema, dict) or schema.get("additionalProperties") is False:
                continue
            answer = self._http.patch(
                f"deployments/{deployment['id']}",
                json={"parameter_openapi_schema": {**schema, "additionalProperties": False}},
            )
            answer.raise_for_status()
            changed.append(str(deployment["name"]))
        return changed

    def flow_run(self, run_id: str) -> dict[str, Any]:
        answer = self._http.get(f"flow_runs/{run_id}")
        answer.raise_for_status()
        return dict(answer.json())

    def wait(self, run_id: str, timeout_s: float, poll_s: float = 1.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.flow_run(run_id)
            if run["state"]["type"] in TERMINAL or time.monotonic() > deadline:
                return run
            time.sleep(poll_s)

    def resume(self, run_id: str, run_input: dict[str, Any]) -> None:
        """Answer a run suspended for input (what the UI's Resume form sends)."""
        answer = self._http.post(f"flow_runs/{run_id}/resume", json={"run_input": run_input})
        answer.raise_for_status()
        if answer.json().get("status") not in (None, "ACCEPT"):
            raise ValueError(f"resume refused: {answer.json()}")

    def runs_of(self, deployment_id: str) -> list[dict[str, Any]]:
        answer = self._http.post(
            "flow_runs/filter",
            json={
                "deployments": {"id": {"any_": [deployment_id]}},
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )
        answer.raise_for_status()
        return list(answer.json())

    def runs_tagged(self, tag: str) -> list[dict[str, Any]]:
        answer = self._http.post(
            "flow_runs/filter",
            json={"flow_runs": {"tags": {"all_": [tag]}}, "sort": "EXPECTED_START_TIME_ASC"},
        )
        answer.raise_for_status()
        return list(answer.json())

    def follow(self, run_id: str) -> dict[str, Any]:
        """The newest run in a chain of continuations (a frozen run hands over to the next)."""
        return self.chain(run_id)[-1]

    def chain(self, run_id: str) -> list[dict[str, Any]]:
        """The run and the continuations it handed over to, oldest first."""
        runs = [self.flow_run(run_id)]
        for _ in range(1000):
            state = runs[-1]["state"]
            if not (state["type"] == "COMPLETED" and state["name"] == "Deferred"):
                break
            nxt = self.runs_tagged(f"continues:{runs[-1]['id']}")
            if not nxt:
                break
            runs.append(nxt[-1])
        return runs

    def wait_chain(self, run_id: str, timeout_s: float, poll_s: float = 1.0) -> dict[str, Any]:
        """Wait until the chain of continuations starting at `run_id` ends; its newest run."""
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.follow(run_id)
            if run["state"]["type"] in TERMINAL and run["state"]["name"] != "Deferred":
                return run
            if time.monotonic() > deadline:
                return run
            time.sleep(poll_s)

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        """The run's artifacts and its subflows', oldest first."""
        children = self._http.post(
            "flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": [run_id]}}}
        )
        children.raise_for_status()
        ids = [run_id, *(c["id"] for c in children.json())]
        answer = self._http.post(
            "artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": ids}}, "sort": "CREATED_DESC"},
        )
        answer.raise_for_status()
        return list(reversed(answer.json()))


class DeadRun(RuntimeError):
    def __init__(self, run: dict[str, Any]) -> None:
        self.run = run
        state = run["state"]
        super().__init__(
            f"the release under this key is run {run['name']} ({run['id']}), which is "
            f"{state['type']}{': ' + state['message'] if state.get('message') else ''}; it released "
            "nothing verified. Start its replacement with --resume (a new run with the same "
            "parameters; it reads Cloudflare and the deployment records before changing anything)"
        )


def start_release(
    api: PrefectApi, deployment_id: str, parameters: dict[str, Any], key: str, *, resume: bool
) -> tuple[dict[str, Any], bool, str | None]:
    """Create (or find, by idempotency key) the release's run; returns (run, created, the id of
    the dead run it replaces or None). A dead run under the key — or a dead newest run of its
    chain — is never returned: without `resume` it raises DeadRun (a cancel may have been a
    person's decision, so resurrecting it is asked for explicitly); with `resume` the replacement
    is a new run under `<key>~retry-<dead id>`, tagged `replaces:<dead id>`, so a retried
    `--resume` finds the same replacement, and a replacement that died too is replaced in turn."""
    replaced: str | None = None
    for _ in range(20):
        extra = {"tags": [f"{REPLACES_TAG}{replaced}"]} if replaced else {}
        run, created = api.create_flow_run(deployment_id, parameters, idempotency_key=key, **extra)
        if created:
            return run, True, replaced
        newest = api.follow(str(run["id"]))
        if newest["state"]["type"] not in DEAD:
            return run, False, replaced
        if not resume:
            raise DeadRun(newest)
        replaced = str(newest["id"])
        key = f"{key}~retry-{replaced}"
    raise RuntimeError(f"twenty dead replacements under {key}; look at the runs before retrying")
