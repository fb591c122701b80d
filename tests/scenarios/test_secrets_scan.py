"""The secrets scan itself: it finds a credential, or a fragment of one, wherever the
orchestrator could write it, and says where (tests/scenarios/secrets_scan.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from sandbox.appstore.keys import new_api_key
from sandbox.googleplay.keys import new_service_account
from tests.scenarios.conftest import GITHUB_TOKEN, Stack
from tests.scenarios.secrets_scan import Ledger, scan, server_texts

pytestmark = [pytest.mark.scenario]


def _ledger() -> tuple[Ledger, str, str]:
    ledger = Ledger()
    ledger.add("the github token", GITHUB_TOKEN)
    account, _ = new_service_account("https://oauth2.example/token")
    _, _, p8, _ = new_api_key()
    ledger.add("a Google key", account["private_key"])
    ledger.add("an App Store key", p8)
    return ledger, account["private_key"], p8


def test_fragments_are_found_and_ordinary_text_is_not() -> None:
    ledger, google_pem, p8 = _ledger()
    google_line = google_pem.splitlines()[7]
    p8_line = p8.splitlines()[2]
    found = {
        "token": ledger.find("t", f"failed: Bearer {GITHUB_TOKEN}"),
        "token's random part": ledger.find("t", "scenarioSECRETgithub0123 was refused"),
        "a PEM body line": ledger.find("t", f"key: {google_line}"),
        "19 characters of a .p8 line": ledger.find("t", f"x={p8_line[23:42]}!"),
        "a key inside JSON": ledger.find("t", json.dumps({"private_key": google_pem})),
    }
    assert {case: [f.credential for f in hits] for case, hits in found.items()} == {
        "token": ["the github token"],
        "token's random part": ["the github token"],
        "a PEM body line": ["a Google key"],
        "19 characters of a .p8 line": ["an App Store key"],
        "a key inside JSON": ["a Google key"],
    }
    # the report shows where, never the credential itself
    (hit,) = found["token"]
    assert GITHUB_TOKEN not in str(hit) and "«credential»" in str(hit)
    clean = "release verifier 1a2b3c4 PR#42 deployed; -----BEGIN PRIVATE KEY----- [REDACTED]"
    assert ledger.find("t", clean) == []


def test_a_jwt_is_found_by_its_signature_not_its_common_header() -> None:
    import jwt
    from cryptography.hazmat.primitives import serialization

    ledger = Ledger()
    _, _, p8, _ = new_api_key()
    key = serialization.load_pem_private_key(p8.encode(), None)
    token = jwt.encode({"iss": "x", "aud": "appstoreconnect-v1"}, key, algorithm="ES256")  # type: ignore[arg-type]
    other = jwt.encode({"iss": "x", "aud": "appstoreconnect-v1"}, key, algorithm="ES256")  # type: ignore[arg-type]
    ledger.add("an App Store JWT", token)
    assert [f.credential for f in ledger.find("t", f"Bearer {token}")] == ["an App Store JWT"]
    assert ledger.find("t", f"Bearer {other}") == []  # same header and claims, not the credential


def test_the_scan_reads_what_the_server_holds(stack: Stack) -> None:
    """A credential planted in a Variable and an artifact is found, each place named. They are
    this test's own (the server keeps the events of the planting), so the session's scan, which
    does not know them, stays clean."""
    import secrets

    from prefect.client.orchestration import get_client

    ledger, google_pem, _ = _ledger()
    probe = f"ghs_probe{secrets.token_hex(12)}"
    ledger.add("the probe token", probe)
    line = google_pem.splitlines()[3]

    async def plant_read_remove() -> list[str]:
        async with get_client() as client:
            await client._client.post(
                "/variables/", json={"name": "scan_probe", "value": {"echo": probe[4:]}}
            )
            created = await client._client.post(
                "/artifacts/",
                json={"key": "scan-probe", "type": "markdown", "data": f"key line {line}"},
            )
            try:
                found = scan(await server_texts(), ledger)
            finally:
                await client._client.delete("/variables/name/scan_probe")
                await client._client.delete(f"/artifacts/{created.json()['id']}")
        # (the events of the planting may or may not be stored yet: they are not asked about)
        return sorted(
            f"{f.credential} @ {f.where}" for f in found if not f.where.startswith("event")
        )

    assert asyncio.run(plant_read_remove()) == [
        "a Google key @ artifact 'scan-probe' of flow run None",
        "the probe token @ Variable 'scan_probe'",
    ]
