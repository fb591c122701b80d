"""A release's slot taken in a process of its own, so a test can kill it (SIGKILL: no cleanup) or
restart the server under it. `python -m tests.scenarios.slot_holder LIMIT MARKER SECONDS`: takes
LIMIT with tasks.slots.hold_slot, writes its run's name to MARKER, holds for SECONDS."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from prefect import flow
from prefect.context import get_run_context

from tasks.slots import hold_slot
from tests.scenarios.slot_policy import slot_policy


@flow(name="slot-holder")
async def hold(limit: str, marker: str, seconds: float) -> None:
    async with hold_slot(limit, slot_policy().slots.wait, slot_policy()):
        Path(marker).write_text(get_run_context().flow_run.name)  # type: ignore[union-attr]
        await asyncio.sleep(seconds)


if __name__ == "__main__":
    asyncio.run(hold(sys.argv[1], sys.argv[2], float(sys.argv[3])))  # type: ignore[arg-type]
