"""The sample Worker: health and the challenge -> proof -> verification key flow."""

from __future__ import annotations

import hashlib

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import ACCOUNT, SCRIPT


def key_flow(worker: httpx.Client) -> httpx.Response:
    challenge = worker.post("/challenge", json={}).json()
    proof = hashlib.sha256(challenge["nonce"].encode()).hexdigest()
    token = worker.post(
        "/proof", json={"challenge_id": challenge["challenge_id"], "proof": proof}
    ).json()["proof_token"]
    return worker.post("/verification", json={"proof_token": token})


def test_health_follows_the_version_behaviour(
    control: SandboxControl, worker: httpx.Client
) -> None:
    version = control.cf_script(ACCOUNT, SCRIPT)
    assert worker.get("/health").json() == {"status": "ok", "version_id": version}
    control.worker_behaviour(SCRIPT, version, health="fail")
    failing = worker.get("/health")
    assert failing.status_code == 503
    assert failing.json() == {"status": "failing", "version_id": version}


def test_key_flow_verifies(control: SandboxControl, worker: httpx.Client) -> None:
    version = control.cf_script(ACCOUNT, SCRIPT)
    answer = key_flow(worker)
    assert answer.status_code == 200
    assert answer.json() == {"verified": True, "version_id": version}


def test_key_flow_fails_when_the_version_says_so(
    control: SandboxControl, worker: httpx.Client
) -> None:
    version = control.cf_script(ACCOUNT, SCRIPT)
    control.worker_behaviour(SCRIPT, version, key_flow="fail")
    answer = key_flow(worker)
    assert answer.status_code == 200
    assert answer.json()["verified"] is False and answer.json()["reason"]


def test_wrong_proof_and_unknown_tokens_are_400(
    control: SandboxControl, worker: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    challenge = worker.post("/challenge", json={}).json()
    wrong = worker.post("/proof", json={"challenge_id": challenge["challenge_id"], "proof": "00"})
    assert wrong.status_code == 400 and "error" in wrong.json()
    unknown = worker.post("/proof", json={"challenge_id": "nope", "proof": "00"})
    assert unknown.status_code == 400
    assert worker.post("/verification", json={"proof_token": "forged"}).status_code == 400


def test_error_rate_makes_requests_throw(control: SandboxControl, worker: httpx.Client) -> None:
    version = control.cf_script(ACCOUNT, SCRIPT)
    control.worker_behaviour(SCRIPT, version, error_rate=1.0)
    thrown = worker.post("/challenge", json={})
    assert thrown.status_code == 500 and thrown.json()["version_id"] == version
    assert worker.get("/health").status_code == 200  # health has its own switch


def test_unknown_script_is_404(sandbox_url: str, control: SandboxControl) -> None:
    answer = httpx.get(f"{sandbox_url}/workers/ghost/health")
    assert answer.status_code == 404
