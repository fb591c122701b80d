"""Taking a target's slot (tasks/limits.py names them) so that it heals.

Every slot is taken with a lease and the holder is written down (a Prefect Variable: it lives in
the database, so it survives a server restart that loses SQLite's in-memory leases but keeps the
limit's `active_slots`). While the holder lives it renews its lease and beats in that record.
A waiter that finds the limit full looks at the record: a holder whose run ended, or that has not
beaten for `slots.stale`, is dead — its slot is freed (through its lease if the server still has
it, else by decrementing the count), with a WARNING and an artifact. Otherwise the waiter says
who holds the slot, in its log and its state message, and gives up after the policy's bound,
naming the holder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from prefect import get_run_logger
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.context import FlowRunContext
from prefect.states import Running

from procedure.policy import Policy
from tasks.clock import SYSTEM
from tasks.evidence import publish
from tasks.prefect_writes import conflict_client, delete_variable, through_conflicts, write_variable

LEASE_S = (
    60.0  # Prefect's floor, renewed every `slots.poll`: a killed holder's lease lapses in a minute
)


class SlotBusy(TimeoutError):
    """The wait for a slot ran out behind a live holder (a TimeoutError, as Prefect's own)."""

    def __init__(self, limit: str, holder: str, waited: timedelta) -> None:
        super().__init__(f"{limit} is still held by {holder} after waiting {waited}")
        self.limit, self.holder = limit, holder


def _record_name(limit: str) -> str:
    return f"slot-holder-{limit}"


async def _record(client: PrefectClient, limit: str) -> dict[str, Any] | None:
    var = await client.read_variable_by_name(_record_name(limit))
    return var.value if var is not None and isinstance(var.value, dict) else None


async def _write(client: PrefectClient, limit: str, value: dict[str, Any]) -> None:
    await write_variable(client, _record_name(limit), value)


async def _holder(client: PrefectClient, record: dict[str, Any] | None) -> tuple[str, str | None]:
    """("run <name> (<id>)", its state name or None when the run is gone)."""
    if record is None:
        return "an unrecorded holder", "unknown"
    who = f"run {record.get('run_name')} ({record.get('run_id')})"
    try:
        run = await client.read_flow_run(UUID(str(record["run_id"])))
    except Exception:  # noqa: BLE001 - a deleted run is as dead as a finished one
        return who, None
    return who, run.state.name if run.state else None


async def _active(client: PrefectClient, limit: str) -> tuple[int, int]:
    gcl = await client.read_global_concurrency_limit_by_name(limit)
    return gcl.active_slots, gcl.limit


async def heal(limit: str, policy: Policy) -> str | None:
    """Frees the slot of a dead recorded holder; returns who it was, or None."""
    log = get_run_logger()
    async with conflict_client() as client:
        active, size = await _active(client, limit)
        record = await _record(client, limit)
        if active < size or record is None:
            return None
        who, state = await _holder(client, record)
        silent = SYSTEM.now().timestamp() - float(record.get("beat", 0))
        ended = state is None or state in {"Completed", "Failed", "Cancelled", "Crashed"}
        if not ended and silent < policy.slots.stale.total_seconds():
            return None
        lease = UUID(str(record["lease_id"]))
        try:  # the server still has the lease: free it through it (nothing then frees it twice)
            await client.renew_concurrency_lease(lease, 60)
            await client.release_concurrency_slots_with_lease(lease)
            how = "its lease released"
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 410:
                raise
            # the lease is gone (server restart): nothing else will ever free the count
            await client.release_concurrency_slots([limit], 1, max(silent, 1.0))
            how = "its lease was lost; slot count decremented"
        with suppress(Exception):
            await delete_variable(client, _record_name(limit))
    why = f"its run is {state}" if ended else f"silent for {silent:.0f}s"
    log.warning("freed %s: held by dead %s (%s; %s)", limit, who, why, how)
    await publish(
        f"slot-freed-{limit}",
        f"# Slot freed: {limit}\n\nHeld by {who}, which is dead ({why}). {how}.",
        f"{limit}: orphaned slot of {who} freed",
    )
    return who


async def _say_waiting(text: str) -> None:
    """The waiting line goes in the run's state message too, where the UI and relctl show it."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return
    with suppress(Exception):  # the message is a courtesy; the log line is the record
        async with get_client() as client:
            await client.set_flow_run_state(ctx.flow_run.id, Running(message=text), force=True)


async def _beat(limit: str, lease: UUID, record: dict[str, Any], every: float) -> None:
    """Renews the lease and the record while the holder lives. A lease the server lost (410 after
    a restart) does not stop the holder: its record keeps the slot known as taken."""
    async with conflict_client() as client:
        while True:
            await SYSTEM.sleep(every)
            with suppress(Exception):
                await client.renew_concurrency_lease(lease, LEASE_S)
            with suppress(Exception):
                await _write(client, limit, {**record, "beat": SYSTEM.now().timestamp()})


@asynccontextmanager
async def hold_slot(limit: str, wait: timedelta, policy: Policy) -> AsyncIterator[None]:
    """The one way a flow takes a slot: healed, said, bounded by `wait`."""
    log = get_run_logger()
    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx else None
    holder = ConcurrencyLeaseHolder(type="flow_run", id=run.id) if run else None
    poll = policy.slots.poll.total_seconds()
    deadline = SYSTEM.monotonic() + wait.total_seconds()
    said: str | None = None
    async with conflict_client() as client:
        while True:
            try:
                response = await through_conflicts(
                    lambda: client.increment_concurrency_slots_with_lease(
                        [limit], 1, "concurrency", LEASE_S, holder
                    )
                )
                body = response.json()
                if not body.get("limits"):
                    raise RuntimeError(
                        f"concurrency limit {limit} does not exist; ensure_limits creates it"
                    )
                lease = UUID(body["lease_id"])
                break
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:
                    raise
            if await heal(limit, policy):
                continue
            who, state = await _holder(client, await _record(client, limit))
            text = f"waiting for {limit}: held by {who} ({state})"
            if text != said:
                log.info(text)
                await _say_waiting(text)
                said = text
            if SYSTEM.monotonic() >= deadline:
                raise SlotBusy(limit, f"{who} ({state})", wait)
            await SYSTEM.sleep(min(poll, max(deadline - SYSTEM.monotonic(), 0.0)))
        record = {
            "run_id": str(run.id) if run else "",
            "run_name": run.name if run else "",
            "lease_id": str(lease),
            "beat": SYSTEM.now().timestamp(),
        }
        await _write(client, limit, record)
        if said:
            await _say_waiting(f"holds {limit}")
        beat = asyncio.create_task(_beat(limit, lease, record, poll))
        try:
            yield
        finally:
            beat.cancel()
            with suppress(asyncio.CancelledError):
                await beat
            await _release(client, limit, lease)


async def _release(client: PrefectClient, limit: str, lease: UUID) -> None:
    record = await _record(client, limit)
    mine = record is not None and record.get("lease_id") == str(lease)
    if mine:  # before the slot is free, so the next holder's record is never the one deleted
        await delete_variable(client, _record_name(limit))
    try:
        await through_conflicts(lambda: client.renew_concurrency_lease(lease, 60))
        await through_conflicts(lambda: client.release_concurrency_slots_with_lease(lease))
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 410:
            raise
        # lost in a server restart: the count still has our slot, and only we know it is ours
        if mine:
            await client.release_concurrency_slots([limit], 1, 1.0)
