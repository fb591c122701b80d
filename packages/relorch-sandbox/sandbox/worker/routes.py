"""The sample Worker's public endpoints: health and the challenge -> proof -> verification flow."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.cloudflare.model import Script, Version
from sandbox.errors import WorkerError
from sandbox.httputil import BadJson, json_body, sandbox_state
from sandbox.state import SandboxState
from sandbox.worker.model import Challenge
from sandbox.worker.routing import pick_version

VERSION_HEADER = "X-Sandbox-Worker-Version"


def _serving(request: Request, state: SandboxState) -> tuple[Script, Version]:
    name = request.path_params["script_name"]
    script = state.cloudflare.find_script(name)
    live = script.live if script else None
    if script is None or live is None:
        raise WorkerError(404, f"No Worker is deployed as {name!r}")
    vid = pick_version(
        name,
        live,
        state.rng,
        overrides=request.headers.get("cloudflare-workers-version-overrides"),
        affinity_key=request.headers.get("cloudflare-workers-version-key"),
    )
    version = script.version(vid)
    assert version is not None
    return script, version


def _reply(version: Version, body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={VERSION_HEADER: version.id})


def _maybe_throw(state: SandboxState, version: Version) -> Response | None:
    """The version's error rate: a share of requests die with an uncaught exception (1101)."""
    rate = version.behaviour.error_rate
    if rate > 0 and state.rng.random() < rate:
        return _reply(version, {"error": "Worker threw exception", "version_id": version.id}, 500)
    return None


async def _payload(request: Request) -> dict[str, Any]:
    try:
        body = await json_body(request, default={})
    except BadJson as exc:
        raise WorkerError(400, "body is not JSON") from exc
    if not isinstance(body, dict):
        raise WorkerError(400, "body must be a JSON object")
    return body


async def health(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        _, version = _serving(request, state)
        if version.behaviour.health == "ok":
            return _reply(version, {"status": "ok", "version_id": version.id})
        return _reply(version, {"status": "failing", "version_id": version.id}, 503)


async def challenge(request: Request) -> Response:
    await _payload(request)
    state = sandbox_state(request)
    with state.lock:
        script, version = _serving(request, state)
        if (thrown := _maybe_throw(state, version)) is not None:
            return thrown
        challenge_id, nonce = secrets.token_hex(8), secrets.token_hex(16)
        state.worker.challenges[challenge_id] = Challenge(script=script.name, nonce=nonce)
        return _reply(version, {"challenge_id": challenge_id, "nonce": nonce})


async def proof(request: Request) -> Response:
    body = await _payload(request)
    state = sandbox_state(request)
    with state.lock:
        script, version = _serving(request, state)
        if (thrown := _maybe_throw(state, version)) is not None:
            return thrown
        pending = state.worker.challenges.get(str(body.get("challenge_id")))
        if pending is None or pending.script != script.name:
            return _reply(version, {"error": "unknown challenge"}, 400)
        expected = hashlib.sha256(pending.nonce.encode()).hexdigest()
        if not secrets.compare_digest(str(body.get("proof", "")), expected):
            return _reply(version, {"error": "proof does not match the challenge"}, 400)
        del state.worker.challenges[str(body["challenge_id"])]  # a challenge is single-use
        token = secrets.token_urlsafe(24)
        state.worker.proof_tokens[token] = script.name
        return _reply(version, {"proof_token": token})


async def verification(request: Request) -> Response:
    body = await _payload(request)
    state = sandbox_state(request)
    with state.lock:
        script, version = _serving(request, state)
        if (thrown := _maybe_throw(state, version)) is not None:
            return thrown
        if state.worker.proof_tokens.get(str(body.get("proof_token"))) != script.name:
            return _reply(version, {"error": "unknown proof token"}, 400)
        if version.behaviour.key_flow != "ok":
            return _reply(
                version,
                {
                    "verified": False,
                    "reason": "signature does not verify with the configured signing key",
                    "version_id": version.id,
                },
            )
        return _reply(version, {"verified": True, "version_id": version.id})


ROUTES = [
    Route("/{script_name}/health", health, methods=["GET"]),
    Route("/{script_name}/challenge", challenge, methods=["POST"]),
    Route("/{script_name}/proof", proof, methods=["POST"]),
    Route("/{script_name}/verification", verification, methods=["POST"]),
]
