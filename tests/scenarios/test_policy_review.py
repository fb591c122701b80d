"""A policy past its review date is warned about by every flow — in the run's log and in its
summary artifact — not only by Workers releases (issue 7, item 18)."""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.states import State

from tests.scenarios.conftest import Android, Stack
from tests.scenarios.test_workers_deploy import artifacts_of

pytestmark = [pytest.mark.scenario]
OVERDUE = "was due for review on 2020-01-02"


@pytest.fixture
def review_due(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same policy, its review date long past."""
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["metadata"].update(last_updated="2019-07-02", next_review="2020-01-02")
    path = tmp_path / "overdue-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(path))


@pytest.fixture
def review_not_due(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["metadata"].update(next_review=(date.today() + timedelta(days=30)).isoformat())
    path = tmp_path / "current-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(path))


def warnings_of(state: State) -> list[str]:
    async def read() -> list[str]:
        await asyncio.sleep(1.0)  # logs are shipped in batches
        async with get_client() as client:
            logs = await client.read_logs(
                LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
            )
        return [entry.message for entry in logs if entry.level >= 30]

    return asyncio.run(read())


def run(flow: Any, **params: Any) -> State:
    return asyncio.run(flow(**params, return_state=True))  # type: ignore[no-any-return]


def test_freeze_status_warns_about_an_overdue_policy(
    stack: Stack, review_due: None, notifications: list[tuple[str, str, str]]
) -> None:
    from prefect.variables import Variable

    from flows.freeze_status import freeze_status

    asyncio.run(Variable.aunset("policy_review_said"))
    state = run(freeze_status, days=2)
    assert state.is_completed(), state.message
    assert OVERDUE in artifacts_of(state)["freeze-now"]
    assert any(OVERDUE in m for m in warnings_of(state))
    # said once as a notification: the next daily run warns in its log, and says nothing new
    assert [n[0] for n in notifications] == ["policy review overdue"]
    assert run(freeze_status, days=2).is_completed()
    assert [n[0] for n in notifications] == ["policy review overdue"]


def test_freeze_status_says_nothing_when_the_review_is_not_due(
    stack: Stack, review_not_due: None
) -> None:
    from flows.freeze_status import freeze_status

    state = run(freeze_status, days=2)
    assert "OVERDUE" not in artifacts_of(state)["freeze-now"]
    assert not any("review" in m for m in warnings_of(state))


def test_android_release_warns_about_an_overdue_policy(android: Android, review_due: None) -> None:
    from flows.android_release import android_release

    android.ci_upload(101)
    state = run(
        android_release, app="wallet", version_code=101, version_name="1.5.0", significant=False
    )
    assert OVERDUE in artifacts_of(state)["android-wallet-release"], state.message
    assert any(OVERDUE in m for m in warnings_of(state))


def test_advance_rollouts_and_emergency_warn_about_an_overdue_policy(
    android: Android, review_due: None
) -> None:
    from flows.advance_rollouts import advance_rollouts
    from flows.emergency_deploy import workers_emergency_deploy

    cron = run(advance_rollouts)
    assert any(OVERDUE in m for m in warnings_of(cron))
    # a refused emergency still leaves its audit, with the review status in it
    refused = run(
        workers_emergency_deploy,
        service="verifier",
        incident_id="PNOSUCH",
        reason="a reason long enough",
        acting_person="ana.oncall",
    )
    assert refused.is_failed()
    assert OVERDUE in artifacts_of(refused)["emergency-verifier-audit"]
    assert any(OVERDUE in m for m in warnings_of(refused))
