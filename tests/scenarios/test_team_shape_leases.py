"""Concurrency leases across a server restart: kept in Redis by the team shape (`make run-pg`),
lost from the server's memory by `make run`'s SQLite shape (issue 8: a completed release's slot
stayed taken for good, renewal answered 410 Gone).

Both tests take the slots the way the flows' client does (`POST /v2/concurrency_limits/
increment-with-lease`, renew, `decrement-with-lease`) on a real `prefect server start`, then
restart it. Prefect's floor for a lease is 60 s, so the lapse case waits one lease out (~75 s)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from relctl.trigger import _RetryingTransport
from scripts.team_shape import TeamBackend
from tests.scenarios.real_server import RealServer, real_server
from tests.scenarios.team_backend import private_team_backend

pytestmark = [pytest.mark.scenario]

LEASE_S = 60.0  # the API's minimum (increment-with-lease: lease_duration ge=60)


@dataclass
class AcrossRestart:
    held: str  # its holder lives: renews after the restart, then releases
    lapsed: str  # its holder died before the restart: never renewed, never released
    held_lease: str
    lapsed_lease: str
    lapsed_taken_at: float
    renew_after_restart: int
    held_slots_after_release: int


def _api(server: RealServer) -> httpx.Client:
    # SQLite answers 503 ("database is locked", rolled back) under a loaded machine: retried, as
    # Prefect's own client does
    return httpx.Client(base_url=server.url, timeout=10, transport=_RetryingTransport())


def active_slots(server: RealServer, name: str) -> int:
    with _api(server) as api:
        response = api.get(f"/v2/concurrency_limits/{name}")
        response.raise_for_status()
        return int(response.json()["active_slots"])


def _take(api: httpx.Client, name: str) -> str:
    holder: dict[str, Any] = {"type": "flow_run", "id": str(uuid.uuid4())}
    response = api.post(
        "/v2/concurrency_limits/increment-with-lease",
        json={
            "names": [name],
            "slots": 1,
            "mode": "concurrency",
            "lease_duration": LEASE_S,
            "holder": holder,
        },
    )
    response.raise_for_status()
    return str(response.json()["lease_id"])


def take_slots_and_restart(server: RealServer) -> AcrossRestart:
    tag = secrets.token_hex(4)
    held, lapsed = f"workers-release-held-{tag}", f"workers-release-lapsed-{tag}"
    with _api(server) as api:
        for name in (held, lapsed):
            api.post("/v2/concurrency_limits/", json={"name": name, "limit": 1}).raise_for_status()
        lapsed_lease = _take(api, lapsed)
        lapsed_taken_at = time.monotonic()
        held_lease = _take(api, held)
    assert active_slots(server, held) == active_slots(server, lapsed) == 1

    server.restart()

    with _api(server) as api:
        renew = api.post(
            f"/v2/concurrency_limits/leases/{held_lease}/renew", json={"lease_duration": LEASE_S}
        )
        api.post(
            "/v2/concurrency_limits/decrement-with-lease", json={"lease_id": held_lease}
        ).raise_for_status()
    return AcrossRestart(
        held,
        lapsed,
        held_lease,
        lapsed_lease,
        lapsed_taken_at,
        renew.status_code,
        active_slots(server, held),
    )


async def _slot_free_for_the_next_release(name: str) -> bool:
    """What the next release does: the flows' `concurrency(…, strict=True)`, bounded."""
    from prefect.concurrency.asyncio import concurrency

    try:
        async with concurrency(name, occupy=1, strict=True, timeout_seconds=4):
            return True
    except TimeoutError:
        return False


def _stored_lease_ids(backend: TeamBackend) -> set[str]:
    """The leases in Redis, read with prefect-redis' own storage (what the server reads)."""
    from prefect_redis.lease_storage import ConcurrencyLeaseStorage
    from redis.asyncio import Redis

    async def read() -> set[str]:
        client = Redis(
            host=backend.redis_host,
            port=backend.redis_port,
            db=backend.redis_db,
            decode_responses=True,
        )
        try:
            ids = await ConcurrencyLeaseStorage(redis_client=client).read_active_lease_ids(
                limit=1000
            )
            expired = await ConcurrencyLeaseStorage(redis_client=client).read_expired_lease_ids(
                limit=1000
            )
            return {str(i) for i in [*ids, *expired]}
        finally:
            await client.aclose()

    return asyncio.run(read())


def test_team_shape_lease_survives_server_restart_and_is_freed_by_its_release(
    tmp_path: Path,
) -> None:
    with (
        private_team_backend() as backend,
        real_server(tmp_path, backend.server_settings()) as server,
    ):
        seen = take_slots_and_restart(server)

        # the live holder's lease came through the restart: renewed, then released → slot free
        assert seen.renew_after_restart == 204
        assert seen.held_slots_after_release == 0
        assert asyncio.run(_slot_free_for_the_next_release(seen.held))
        # the dead holder's lease is still stored, so it still holds its slot (until it lapses)
        assert seen.lapsed_lease in _stored_lease_ids(backend)
        assert active_slots(server, seen.lapsed) == 1


def test_team_shape_lease_of_a_dead_holder_lapses_after_server_restart(tmp_path: Path) -> None:
    """Waits one lease out (Prefect's 60 s floor): the only way a dead holder's slot comes back."""
    with (
        private_team_backend() as backend,
        real_server(tmp_path, backend.server_settings()) as server,
    ):
        seen = take_slots_and_restart(server)
        assert active_slots(server, seen.lapsed) == 1
        # the repossessor (loop 1 s) frees it once the lease lapses, not earlier
        deadline = seen.lapsed_taken_at + LEASE_S + 15
        while active_slots(server, seen.lapsed) and time.monotonic() < deadline:
            time.sleep(0.5)
        freed_after = time.monotonic() - seen.lapsed_taken_at
        assert active_slots(server, seen.lapsed) == 0, "the lapsed lease's slot was never freed"
        assert freed_after >= LEASE_S - 1
        assert seen.lapsed_lease not in _stored_lease_ids(backend)
        assert asyncio.run(_slot_free_for_the_next_release(seen.lapsed))


def test_sqlite_shape_loses_leases_on_server_restart(tmp_path: Path) -> None:
    """The contrast (`make run`): the lease lived in the server's memory."""
    with real_server(tmp_path) as server:
        seen = take_slots_and_restart(server)

        assert seen.renew_after_restart == 410  # "lease renewal … 410 Gone … Terminating execution"
        assert seen.held_slots_after_release == 1  # the release found no lease: slot leaked
        assert not asyncio.run(_slot_free_for_the_next_release(seen.held))
        with _api(server) as api:  # nothing is left for the repossessor to expire, ever
            gone = api.post(
                f"/v2/concurrency_limits/leases/{seen.lapsed_lease}/renew",
                json={"lease_duration": LEASE_S},
            )
        assert gone.status_code == 410
        assert active_slots(server, seen.lapsed) == 1
