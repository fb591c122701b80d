"""A Prefect write that meets SQLite's write conflict (503) is tried again at once, not after the
Prefect client's 2 s back-off; one that keeps failing still gets the client's own retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from tasks import prefect_writes
from tasks.prefect_writes import CONFLICT_PAUSES, conflict_client, delete_variable, write_variable

VARIABLE = {
    "id": "2b9a3c1e-0000-4000-8000-000000000001",
    "name": "rollout_wallet_101",
    "value": {"stage_since": {}},
    "tags": [],
    "created": "2026-12-03T10:00:00Z",
    "updated": "2026-12-03T10:00:00Z",
}


class FakePrefect:
    """The variable endpoints, answering 503 (the conflict) to the first `conflicts` writes."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.writes: list[tuple[str, dict[str, object] | None]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api")
        if path == "/csrf-token":
            return httpx.Response(422, json={"detail": "CSRF protection is disabled."})
        if request.method == "GET" and path == "/variables/name/rollout_wallet_101":
            return httpx.Response(200, json=VARIABLE)
        body = json.loads(request.content) if request.content else None
        self.writes.append((request.method, body))
        if self.conflicts > 0:
            self.conflicts -= 1
            return httpx.Response(503, json={"exception_message": "Service Unavailable"})
        return httpx.Response(204)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[float]]]:
    """Both kinds of pause recorded, none slept: ours and the Prefect client's back-off."""
    seen: dict[str, list[float]] = {"ours": [], "client": []}

    async def ours(seconds: float) -> None:
        seen["ours"].append(seconds)

    async def client(seconds: float) -> None:
        seen["client"].append(seconds)

    monkeypatch.setattr(prefect_writes.SYSTEM, "sleep", ours)
    monkeypatch.setattr("prefect.client.base.anyio.sleep", client)
    with temporary_settings({PREFECT_API_URL: "http://prefect.test/api"}):
        yield seen


def test_a_conflicting_update_is_tried_again_at_once(sleeps: dict[str, list[float]]) -> None:
    server = FakePrefect(conflicts=2)

    async def main() -> None:
        async with conflict_client(httpx.MockTransport(server.handle)) as client:
            await write_variable(client, "rollout_wallet_101", {"stage_since": {"0.05": "x"}})

    asyncio.run(main())
    assert [m for m, _ in server.writes] == ["PATCH", "PATCH", "PATCH"]
    assert server.writes[-1][1] == {
        "name": "rollout_wallet_101",
        "value": {"stage_since": {"0.05": "x"}},
    }
    assert sleeps == {"ours": list(CONFLICT_PAUSES[:2]), "client": []}


def test_a_conflicting_delete_is_tried_again_at_once(sleeps: dict[str, list[float]]) -> None:
    server = FakePrefect(conflicts=1)

    async def main() -> bool:
        async with conflict_client(httpx.MockTransport(server.handle)) as client:
            return await delete_variable(client, "rollout_wallet_101")

    assert asyncio.run(main()) is True
    assert [m for m, _ in server.writes] == ["DELETE", "DELETE"]
    assert sleeps == {"ours": [CONFLICT_PAUSES[0]], "client": []}


def test_a_server_that_stays_unavailable_gets_the_clients_own_retries(
    sleeps: dict[str, list[float]],
) -> None:
    server = FakePrefect(conflicts=1000)

    async def main() -> None:
        async with conflict_client(httpx.MockTransport(server.handle)) as client:
            await write_variable(client, "rollout_wallet_101", {})

    with pytest.raises(httpx.HTTPStatusError) as failed:
        asyncio.run(main())
    assert failed.value.response.status_code == 503
    retries = PREFECT_CLIENT_MAX_RETRIES.value()
    assert len(server.writes) == len(CONFLICT_PAUSES) + 1 + retries
    assert sleeps["ours"] == list(CONFLICT_PAUSES)
    assert len(sleeps["client"]) == retries + 1  # the back-off, only on the last, ordinary try
