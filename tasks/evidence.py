"""Every decision leaves evidence: a markdown artifact per gate and a summary per run.

Artifacts are written through `publish`, which strips any credential value as a last guard
(DESIGN decision 9): tokens never reach an artifact even if a provider echoes one back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.logging import get_run_logger

from clients import redact as scrub
from procedure.policy import Policy
from tasks import clock
from tasks.settings import ProviderSettings


def redact(text: str) -> str:
    """Every credential of the settings out of `text` — whole, in pieces (a tool's output cuts a
    long answer short, echo and all) — and anything shaped like an auth header value."""
    return scrub(text, ProviderSettings.from_env().secret_values())


def artifact_key(*parts: str) -> str:
    """Prefect keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def gate_markdown(
    title: str,
    verdict: str,
    inputs: dict[str, object],
    body: str = "",
    thresholds: dict[str, object] | None = None,
) -> str:
    parts = [
        f"# {title}",
        f"**Verdict: {verdict}**",
        "",
        "## Inputs",
        table(("input", "value"), inputs.items()),
    ]
    if thresholds:
        parts += ["", "## Thresholds", table(("rule", "value"), thresholds.items())]
    if body:
        parts += ["", body]
    return "\n".join(parts)


async def publish(key: str, markdown: str, description: str) -> None:
    await acreate_markdown_artifact(
        key=key, markdown=redact(markdown), description=redact(description)
    )


async def publish_table(key: str, rows: list[dict[str, object]], description: str) -> None:
    clean = [{k: redact(str(v)) for k, v in row.items()} for row in rows]
    await acreate_table_artifact(key=key, table=clean, description=redact(description))


def policy_review(policy: Policy, today: date | None = None) -> str:
    """Every flow calls this first: a policy past its review date is a WARNING in the run's log,
    and the returned line goes into the run's summary artifact (the review status otherwise).
    Today is the team's date (the freeze time zone), not UTC's."""
    today = today or clock.now(policy.freeze.zone).date()
    warning = policy.metadata.review_warning(today)
    if warning is None:
        return f"next review {policy.metadata.next_review.isoformat()}"
    get_run_logger().warning("policy review overdue: %s", warning)
    return f"OVERDUE — {warning}"


async def say_policy_overdue(policy: Policy, today: date | None = None) -> bool:
    """The policy past its review date is said once (a notification), not once per run: the
    review date said is kept in a Prefect Variable; a new review date may be said again."""
    from collections.abc import Awaitable, Callable

    from prefect.variables import Variable

    from tasks.notify import notify
    from tasks.prefect_writes import conflict_client, write_variable

    today = today or clock.now(policy.freeze.zone).date()
    warning = policy.metadata.review_warning(today)
    due = policy.metadata.next_review.isoformat()
    read: Callable[..., Awaitable[object]] = Variable.aget  # typed as returning None in 3.9
    if warning is None or await read("policy_review_said", default=None) == due:
        return False
    notify("policy review overdue", f"policy {policy.metadata.owner}", warning)
    async with conflict_client() as client:
        await write_variable(client, "policy_review_said", due)
    return True
