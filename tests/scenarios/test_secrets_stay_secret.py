"""Credentials never reach logs, artifacts, state messages or exception text — scanned on a real
server, also when a provider echoes the caller's credentials back in its error (the sandbox's
`echo_credentials` fault: the Authorization header, and Google's grant assertion). Every test
process's server is scanned once more, whole, when its tests end (conftest `prefect_server`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from prefect.states import State

from tests.scenarios.conftest import TOKENS, Android, Ios, Stack
from tests.scenarios.secrets_scan import LEDGER, scan, server_texts
from tests.scenarios.test_workers_deploy import run_release

pytestmark = [pytest.mark.scenario]


def _texts_of(states: list[State], stack: Stack) -> list[tuple[str, str]]:
    """What the runs (and their subflow runs) wrote, their state messages and exception text,
    with every credential the sandbox saw registered first."""
    from prefect.client.orchestration import get_client

    LEDGER.add_all("a credential sent to a provider", stack.control.credentials_seen())

    async def read() -> list[tuple[str, str]]:
        await asyncio.sleep(1.0)  # logs are shipped in batches
        ids = [str(s.state_details.flow_run_id) for s in states]
        async with get_client() as client:
            children = await client._client.post(
                "/flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": ids}}}
            )
        ids += [run["id"] for run in children.json()]
        return await server_texts(ids)

    texts = asyncio.run(read())
    for state in states:
        texts.append(("the state returned", f"{state.message} {state.data!r}"))
        try:
            state.result()
        except BaseException as error:  # the exception a caller of the flow gets
            texts.append(("the flow's exception", f"{error!s} {error!r}"))
    return texts


def _assert_clean(texts: list[tuple[str, str]], *, echoed: bool = True) -> None:
    findings = scan(texts)
    assert not findings, "\n".join(map(str, findings))
    if echoed:  # the echo reached what we wrote, and was redacted there
        assert any("[REDACTED]" in text or "[redacted]" in text for _, text in texts)


def _fired(stack: Stack) -> int:
    return sum(f["fired"] for f in stack.control.faults() if f["kind"] == "echo_credentials")


def test_tokens_absent_from_logs_artifacts_and_errors(stack: Stack) -> None:
    release = stack.prepare("verifier")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("verifier"), new, health="fail")
    stack.control.add_fault("github", "status", status=500, probability=0.3, seed=3)
    state = run_release(release.parameters)
    stack.control.clear_faults()
    assert state.is_failed()
    texts = _texts_of([state], stack)
    assert any(w.startswith("log of") for w, _ in texts)
    assert any(w.startswith("artifact") for w, _ in texts)
    _assert_clean(texts, echoed=False)
    for token in TOKENS.values():  # and plainly, whatever the scan's windows
        assert all(token[:-4] not in text for _, text in texts)


# (target, status, body, pad, what the run comes to)
WORKERS_ECHOES: dict[str, tuple[str, int, str, int, str]] = {
    "github 401 in the checklist": ("github", 401, "provider", 0, "failed"),
    # an HTML page whose quote of the token straddles the 300 characters the client keeps
    "cloudflare 403 html across the cut": ("cloudflare", 403, "html", 220, "failed"),
    "cloudflare 500 html after the retries": ("cloudflare", 500, "html", 0, "failed"),
    # the freeze gate's source: its error becomes a note in the gate's artifact and log
    # (a run not started from a deployment cannot defer itself: it fails, frozen)
    "pagerduty 401 in the freeze gate": ("pagerduty", 401, "provider", 0, "frozen"),
}


@pytest.mark.parametrize("case", list(WORKERS_ECHOES))
def test_a_provider_echoing_the_token_on_the_workers_path(stack: Stack, case: str) -> None:
    target, status, body, pad, outcome = WORKERS_ECHOES[case]
    release = stack.prepare("verifier")
    stack.control.add_fault(target, "echo_credentials", status=status, echo_body=body, pad=pad)
    state = run_release(release.parameters)
    assert _fired(stack) > 0
    stack.control.clear_faults()
    assert state.is_failed(), state.message
    if outcome == "frozen":  # fails closed on the source it could not read
        assert "incident status unknown" in (state.message or "")
    _assert_clean(_texts_of([state], stack), echoed=pad == 0)


def _run_android(**params: Any) -> State:
    from flows.android_release import android_release

    return asyncio.run(android_release(**params, return_state=True))  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("googleplay", 401),  # the access token, refused, a new one granted, echoed again
        ("googleplay", 403),
        ("google-oauth", 400),  # the grant: Google's answer quotes the signed assertion
    ],
)
def test_a_provider_echoing_the_token_on_the_android_path(
    android: Android, target: str, status: int
) -> None:
    stack = android.stack
    android.ci_upload(101)
    params: dict[str, Any] = {"app": "wallet", "version_code": 101, "significant": False}
    soak = _run_android(**params)
    assert soak.name == "Deferred", soak.message
    time.sleep(1.1)  # the internal soak (sandbox profile) is over: promotion is due
    from clients._google_auth import TOKENS as GOOGLE_TOKENS

    GOOGLE_TOKENS.clear()  # so this run asks for a grant
    stack.control.add_fault(target, "echo_credentials", status=status)
    refused = _run_android(**params)
    assert _fired(stack) > 0
    stack.control.clear_faults()
    assert refused.is_failed(), refused.message
    assert android.release_of(101) is None
    _assert_clean(_texts_of([soak, refused], stack))


def _run_ios(**params: Any) -> State:
    from flows.ios_release import ios_release

    return asyncio.run(ios_release(**params, return_state=True))  # type: ignore[call-overload]


@pytest.mark.parametrize("status", [401, 403])
def test_a_provider_echoing_the_token_on_the_ios_path(ios: Ios, status: int) -> None:
    stack = ios.stack
    ios.ci_upload("2.4.0", "400")
    # 401: the JWT is refused, a new one signed and sent, and echoed again
    stack.control.add_fault("app-store-connect", "echo_credentials", status=status)
    state = _run_ios(app="wallet", version="2.4.0", build_number="400", significant=False)
    assert _fired(stack) > 0
    stack.control.clear_faults()
    assert state.is_failed(), state.message
    _assert_clean(_texts_of([state], stack))


@pytest.mark.parametrize("body", ["provider", "html"])
def test_cloudflare_echoing_the_token_to_wrangler_on_the_emergency_path(
    stack: Stack, body: str
) -> None:
    """The emergency deploy runs `wrangler deploy` with the Cloudflare token in its environment;
    its output (what Cloudflare said, echo and all) goes into the run's log and error."""
    from tests.scenarios.test_emergency_deploy import REASON, WRANGLER, ci_down, run_emergency

    if not WRANGLER.exists():
        pytest.skip("run `make install`: wrangler missing")
    stack.control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    ci_down(stack)
    # wrangler's first write: the new version's upload
    stack.control.add_fault(
        "cloudflare",
        "echo_credentials",
        status=403,
        method="POST",
        path_contains="/versions",
        echo_body=body,
    )
    state = run_emergency(
        service="verifier", incident_id="PINC1", reason=REASON, acting_person="ana.oncall"
    )
    assert _fired(stack) > 0
    stack.control.clear_faults()
    assert state.is_failed(), state.message
    assert "wrangler deploy failed" in (state.message or "")
    _assert_clean(_texts_of([state], stack))
