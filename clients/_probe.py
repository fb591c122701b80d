"""Probes of a deployed Worker's own endpoints: health, and the challenge → proof → verification
key flow. No token; every failure comes back as a result, never as an exception."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx

from clients._base import BaseClient, json_body
from clients._errors import ProviderError
from clients._probe_models import HealthProbe, KeyFlowProbe
from clients._retry import RetryPolicy

__all__ = ["WorkerProbe"]

Step = Literal["challenge", "proof", "verification"]
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class WorkerProbe(BaseClient):
    provider = "worker"

    # A probe that needs many attempts is itself the finding: two, within ten seconds.
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(max_attempts=2, max_total_s=10)

    async def health(self, url: str, *, headers: Mapping[str, str] | None = None) -> HealthProbe:
        """GET `url`: ok iff HTTP 200 with JSON `status == "ok"`. `headers` can pin a version,
        e.g. `Cloudflare-Workers-Version-Overrides` for a smoke test of a 0 % version."""
        started = time.perf_counter()
        try:
            outcome = await self._send("health", "GET", url, headers=headers)
        except ProviderError as error:
            return HealthProbe(
                ok=False,
                status_code=error.status,
                detail=error.detail or str(error),
                version_id=None,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        latency_ms = _latency_ms(outcome, started)
        body = json_body(outcome)
        body = body if isinstance(body, dict) else None
        version_id = _version_id(body)
        if outcome.status_code != 200:
            detail = f"HTTP {outcome.status_code}"
        elif body is None:
            detail = "answer is not a JSON object"
        elif body.get("status") != "ok":
            detail = f"status is {body.get('status')!r}"
        else:
            return HealthProbe(
                ok=True,
                status_code=200,
                detail="status ok",
                version_id=version_id,
                latency_ms=latency_ms,
            )
        return HealthProbe(
            ok=False,
            status_code=outcome.status_code,
            detail=detail,
            version_id=version_id,
            latency_ms=latency_ms,
        )

    async def key_flow(
        self, challenge_url: str, proof_url: str, verification_url: str
    ) -> KeyFlowProbe:
        """The user-facing key flow end to end; ok iff the verification says `verified: true`."""
        step: Step = "challenge"
        try:
            # An unused challenge costs nothing, so this step is retried like a read.
            challenge = await self._post(step, challenge_url, {}, idempotent=True)
            challenge_id, nonce = challenge["challenge_id"], str(challenge["nonce"])
            step = "proof"
            # Proof and verification may consume one-time values: a lost answer is not re-sent.
            proof = hashlib.sha256(nonce.encode()).hexdigest()
            answer = await self._post(
                step, proof_url, {"challenge_id": challenge_id, "proof": proof}, idempotent=False
            )
            proof_token = answer["proof_token"]
            step = "verification"
            verdict = await self._post(
                step, verification_url, {"proof_token": proof_token}, idempotent=False
            )
        except ProviderError as error:
            return KeyFlowProbe(
                ok=False, failed_step=step, detail=error.detail or str(error), version_id=None
            )
        except _SHAPE_ERRORS as error:
            detail = f"unexpected answer: {type(error).__name__}: {error}"
            return KeyFlowProbe(ok=False, failed_step=step, detail=detail, version_id=None)
        version_id = _version_id(verdict)
        if verdict.get("verified") is not True:
            return KeyFlowProbe(
                ok=False,
                failed_step="verification",
                detail=f"verified is {verdict.get('verified')!r}",
                version_id=version_id,
            )
        return KeyFlowProbe(ok=True, failed_step=None, detail="verified", version_id=version_id)

    async def _post(
        self, step: Step, url: str, body: dict[str, Any], *, idempotent: bool
    ) -> dict[str, Any]:
        outcome = await self._send(step, "POST", url, json=body, idempotent=idempotent)
        if not outcome.is_success:
            raise self._error_for(step, outcome)
        answer = json_body(outcome)
        if not isinstance(answer, dict):
            raise self._fail(step, status=outcome.status_code, detail="answer is not a JSON object")
        return answer


def _latency_ms(response: httpx.Response, started: float) -> float:
    """The answering attempt's own time, not the retries before it, when httpx measured it."""
    try:
        return response.elapsed.total_seconds() * 1000
    except RuntimeError:  # a transport that handed over a pre-read body (e.g. MockTransport)
        return (time.perf_counter() - started) * 1000


def _version_id(body: Mapping[str, Any] | None) -> str | None:
    """`version_id`, or the `version.id` that the version-metadata binding produces."""
    if not body:
        return None
    value = body.get("version_id")
    if value is None and isinstance(body.get("version"), Mapping):
        value = body["version"].get("id")
    return str(value) if value is not None else None
