"""Notifications leave the system, once per state change: a notification event becomes one
message on the Slack webhook (the sandbox's), through the automation `relctl automations
apply` makes — on a real `prefect server start`, whose trigger and action services run it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
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


def _notify_from_a_process(api_url: str, kind: str, text: str) -> None:
    code = (
        "import sys; from tasks.notify import notify; "
        "from prefect.events.worker import EventsWorker; "
        "notify(sys.argv[1], 'ios wallet-2.4.0-400', sys.argv[2]); EventsWorker.drain_all()"
    )
    env = {**os.environ, "PREFECT_API_URL": api_url}
    subprocess.run([sys.executable, "-c", code, kind, text], env=env, check=True, timeout=60)


def test_each_notification_is_one_slack_message(
    tmp_path: Path, sandbox_server: RunningSandbox
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from relctl.automations import NOTIFY, apply_automations

    control = SandboxControl(sandbox_server.url)
    before = len(control.slack_messages())
    hook = f"{sandbox_server.url}/slack/services/T0TEST/B0TEST/secret-hook"
    with real_prefect_server(tmp_path) as api_url, temporary_settings({PREFECT_API_URL: api_url}):

        async def apply() -> list[str]:
            async with get_client() as client:
                return await apply_automations(client, webhook_url=hook)

        assert NOTIFY in asyncio.run(apply())
        time.sleep(3)  # the server's trigger service picks the new automation up
        # emitted from a process of its own, as a flow run's are: this test process's events
        # client may already be bound to the session's test server
        _notify_from_a_process(
            api_url, "paused", "phased release PAUSED at day 2 (2%): health failed"
        )
        first = _wait_for(control, before + 1)
        _notify_from_a_process(api_url, "resumed", "phased release resumed by ops-lee")
        second = _wait_for(control, before + 2)
        time.sleep(3)  # nothing more arrives: one message per notification
        final = control.slack_messages()[before:]
    assert len(first) - before >= 1 and len(second) - before >= 2
    assert [m["text"] for m in final] == [
        "*ios wallet-2.4.0-400* — paused: phased release PAUSED at day 2 (2%): health failed",
        "*ios wallet-2.4.0-400* — resumed: phased release resumed by ops-lee",
    ]
    assert all(m["hook"] == "T0TEST/B0TEST/secret-hook" for m in final)
