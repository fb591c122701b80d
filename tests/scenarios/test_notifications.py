"""Notifications leave the system, once per state change: a notification event becomes one
message on the Slack webhook (the sandbox's), through the automation `relctl automations
apply` makes — on a real `prefect server start`, whose trigger and action services run it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox
from tests.scenarios.real_server import real_prefect_server

pytestmark = [pytest.mark.scenario]


def _wait_for(control: SandboxControl, count: int, timeout: float = 45.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = control.slack_messages()
        if len(got) >= count:
            return got
        time.sleep(0.25)
    return control.slack_messages()


def test_each_notification_is_one_slack_message(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from relctl.automations import NOTIFY, apply_automations
    from tasks.notify import notify

    control = SandboxControl(sandbox_server.url)
    before = len(control.slack_messages())
    hook = f"{sandbox_server.url}/slack/services/T0TEST/B0TEST/secret-hook"
    with real_prefect_server(tmp_path) as api_url, temporary_settings({PREFECT_API_URL: api_url}):

        async def apply() -> list[str]:
            async with get_client() as client:
                return await apply_automations(client, webhook_url=hook)

        assert NOTIFY in asyncio.run(apply())
        time.sleep(3)  # the server's trigger service picks the new automation up
        notify(
            "paused", "ios wallet-2.4.0-400", "phased release PAUSED at day 2 (2%): health failed"
        )
        EventsWorker.drain_all()
        first = _wait_for(control, before + 1)
        notify("resumed", "ios wallet-2.4.0-400", "phased release resumed by ops-lee")
        EventsWorker.drain_all()
        second = _wait_for(control, before + 2)
        time.sleep(3)  # nothing more arrives: one message per notification
        final = control.slack_messages()[before:]
    assert len(first) - before >= 1 and len(second) - before >= 2
    assert [m["text"] for m in final] == [
        "*ios wallet-2.4.0-400* — paused: phased release PAUSED at day 2 (2%): health failed",
        "*ios wallet-2.4.0-400* — resumed: phased release resumed by ops-lee",
    ]
    assert all(m["hook"] == "T0TEST/B0TEST/secret-hook" for m in final)
