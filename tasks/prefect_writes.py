"""Writes to the Prefect API (rollout timelines, slot-holder records, slot leases) that meet a
write conflict try again at once, not after the Prefect client's back-off.

On a SQLite server (`make run`, the test servers) the endpoints that change a variable or take a
slot read first and write in the same deferred transaction; a write another connection commits in
between — the server's own task-run recorder does, just as a task ends, which is when a timeline
is saved — fails the request with SQLITE_BUSY_SNAPSHOT, answered 503, and the Prefect client
sleeps 2 s (then 4 s) before trying again: a rollout step spent most of its time there. The
conflict is over as soon as the other write is, so a `conflict_client()` request inside
`through_conflicts` fails fast on a 503 and is tried again a few times within a second; the last
attempt is an ordinary one, so a server that is really unavailable gets the client's full
patience as before. PostgreSQL (the team's server) never answers the conflict.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, TypeVar

import certifi
import httpx
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import VariableCreate, VariableUpdate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

from tasks.clock import SYSTEM

__all__ = [
    "CONFLICT_PAUSES",
    "conflict_client",
    "delete_variable",
    "through_conflicts",
    "write_variable",
]

T = TypeVar("T")

# Real seconds (a database conflict, not policy time): about 0.75 s in all, then the slow path.
CONFLICT_PAUSES = (0.02, 0.05, 0.1, 0.2, 0.4)

_FAST = ContextVar("relorch_fail_fast_on_conflict", default=False)


class _Conflict(Exception):
    """A 503 seen by the response hook while failing fast: raised past the client's retries."""


async def _fail_fast(response: httpx.Response) -> None:
    if response.status_code == 503 and _FAST.get():
        raise _Conflict(f"{response.request.method} {response.request.url.path}: 503")


@lru_cache(maxsize=4)
def _tls(cafile: str) -> ssl.SSLContext:
    # What the Prefect client builds for itself on every construction (~0.07 s), built once.
    return ssl.create_default_context(cafile=cafile)


@asynccontextmanager
async def conflict_client(
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[PrefectClient]:
    """A Prefect client whose requests inside `through_conflicts` fail fast on a 503
    (`transport`: a test's in-process server)."""
    settings: dict[str, Any] = {"event_hooks": {"response": [_fail_fast]}}
    if transport is not None:
        settings["transport"] = transport
    if not PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        settings["verify"] = _tls(PREFECT_API_SSL_CERT_FILE.value() or certifi.where())
    async with get_client(httpx_settings=settings) as client:
        yield client


async def through_conflicts(call: Callable[[], Awaitable[T]]) -> T:
    """`call` (requests on a `conflict_client`), tried again shortly after each conflict; a
    request that fails is rolled back by the server, so trying it again is safe."""
    for pause in CONFLICT_PAUSES:
        token = _FAST.set(True)
        try:
            return await call()
        except _Conflict:
            pass
        finally:
            _FAST.reset(token)
        await SYSTEM.sleep(pause)
    return await call()  # with the client's own retries, as any other request


async def write_variable(client: PrefectClient, name: str, value: Any) -> None:
    """Create or replace the variable `name` (its tags are left as they are)."""

    async def upsert() -> None:
        if await client.read_variable_by_name(name) is None:
            try:
                await client.create_variable(VariableCreate(name=name, value=value))
                return
            except ObjectAlreadyExists:  # created meanwhile: replace it
                pass
        await client.update_variable(VariableUpdate(name=name, value=value))

    await through_conflicts(upsert)


async def delete_variable(client: PrefectClient, name: str) -> bool:
    """Delete the variable `name`; False when there was none."""

    async def delete() -> bool:
        try:
            await client.delete_variable_by_name(name)
        except ObjectNotFound:
            return False
        return True

    return await through_conflicts(delete)
