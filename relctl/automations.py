"""The Prefect automations the orchestrator needs beside its deployments, applied from code.

Crash detection: a flow run process killed with its worker (a host lost, an OOM kill) leaves its
run RUNNING for good — nobody is left to report the crash. Each flow run sends a heartbeat event
(`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, set in prefect.yaml's work pool); this automation marks a
run whose heartbeats stop as Crashed. That Crashed state is what prefect.yaml's trigger on
`workers-recover/on-crash` reacts to, so a Workers release never stays unverified in production.
The recipe is Prefect's own ("detect zombie flows"), with two changes: any later event of the run
counts as a sign of life (our runs end in named states such as Deferred or Superseded, and a
suspended sign-off stops its heartbeats on purpose), and it is applied idempotently by name.

Notifications: every `relorch.notification.*` event (tasks/notify.py: one per state change — a
pause, a halt, a rollback, a freeze deferral) becomes one message through the `relorch-webhook`
block, a webhook posting `{"text": …}` as Slack's incoming webhooks take it, to
RELORCH_SLACK_WEBHOOK_URL (kept in the block's secrets, never in its URL field). Without that
setting no notification automation is made.

  relctl automations apply [--missed-after SECONDS]     (after every `prefect deploy --all`)
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

__all__ = [
    "CRASH_DETECTION",
    "HEARTBEAT_SECONDS",
    "NOTIFY",
    "WEBHOOK_BLOCK",
    "apply_automations",
    "crash_detection",
    "notifications",
]

NOTIFY = "relorch: notify each state change"
WEBHOOK_BLOCK = "relorch-webhook"

CRASH_DETECTION = "relorch: mark a run whose heartbeat stopped as Crashed"
HEARTBEAT_SECONDS = 30  # Prefect's minimum heartbeat interval; prefect.yaml sets it
DEFAULT_MISSED_AFTER = 3 * HEARTBEAT_SECONDS


def crash_detection(missed_after_s: float = DEFAULT_MISSED_AFTER) -> AutomationCore:
    """A run that sent a heartbeat and then nothing at all for `missed_after_s` is Crashed."""
    if missed_after_s <= HEARTBEAT_SECONDS:
        raise ValueError(
            f"--missed-after must be longer than the {HEARTBEAT_SECONDS} s heartbeat,"
            f" got {missed_after_s:g}"
        )
    return AutomationCore(
        name=CRASH_DETECTION,
        description="Flow runs send a heartbeat every 30 s; one silent for longer than this window"
        " is dead (its process and its worker gone) and is marked Crashed, which"
        " starts the Workers recovery (workers-recover/on-crash).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},  # a heartbeat or any state change: still accounted for
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=missed_after_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {missed_after_s:g} s: the run's process is gone",
            )
        ],
    )


def notifications(block_document_id: UUID) -> AutomationCore:
    """Every notification event, one message each (a Reactive trigger with threshold 1)."""
    return AutomationCore(
        name=NOTIFY,
        description="One message per state change of a release (tasks/notify.py), through the "
        f"{WEBHOOK_BLOCK} block.",
        trigger=EventTrigger(
            expect={"relorch.notification.*"},
            match=ResourceSpecification({"prefect.resource.id": ["relorch.release.*"]}),
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="{{ event.resource['prefect.resource.name'] }}",
                body="{{ event.payload.kind }}: {{ event.payload.text }}",
            )
        ],
    )


async def _webhook_block(webhook_url: str) -> UUID:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from pydantic import SecretStr

    block = CustomWebhookNotificationBlock(
        name=WEBHOOK_BLOCK,
        url="{{ webhook }}",  # the real URL is the Slack secret: kept among the block's secrets
        method="POST",
        json_data={"text": "*{{subject}}* — {{body}}"},
        secrets={"webhook": SecretStr(webhook_url)},  # type: ignore[dict-item]
        allow_private_urls=True,
    )
    return await block.save(WEBHOOK_BLOCK, overwrite=True)


async def apply_automations(
    client: PrefectClient,
    missed_after_s: float = DEFAULT_MISSED_AFTER,
    webhook_url: str | None = None,
) -> list[str]:
    """Create or update each automation by name (a re-run changes nothing); returns the names."""
    wanted = [crash_detection(missed_after_s)]
    if webhook_url:
        wanted.append(notifications(await _webhook_block(webhook_url)))
    for automation in wanted:
        existing = await client.read_automations_by_name(automation.name)
        if existing:
            await client.update_automation(existing[0].id, automation)
            for duplicate in existing[1:]:  # a name is one automation
                await client.delete_automation(duplicate.id)
        else:
            await client.create_automation(automation)
    return [a.name for a in wanted]
