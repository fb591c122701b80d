"""When the manual emergency deployment is allowed — the procedure: "Only used when CI is
unavailable and a P1/P2 incident requires an immediate fix." Pure: the facts are read elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from procedure.incidents import IncidentFact, IncidentRules, Standing, assess
from procedure.policy import EmergencyRules, Policy, PolicyError, WorkerService
from procedure.request import REQUEST_CONFIG

CI_UP = "operational"


class EmergencyRefused(RuntimeError):
    """The emergency path said no. Nothing was deployed."""


class EmergencyRequest(BaseModel):
    """workers-emergency-deploy: `wrangler deploy --env production` during a P1/P2 incident."""

    model_config = REQUEST_CONFIG

    service: str = Field(
        min_length=1,
        description="a service from the policy's registry (its `checkout` is where wrangler runs)",
    )
    incident_id: str = Field(
        min_length=1,
        description="the PagerDuty incident (or a policy-declared incident) this fixes",
    )
    reason: str = Field(min_length=10, description="why this cannot wait for CI")
    acting_person: str = Field(min_length=2, description="who is deploying")
    ci_unavailable_attestation: str | None = Field(
        None,
        description="only when GitHub's status page cannot be read: a statement that CI is "
        "unavailable, recorded in the audit as an attestation",
    )

    @field_validator("reason", "acting_person", "incident_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


def emergency_target(request: EmergencyRequest, policy: Policy) -> WorkerService:
    """The request's service, which must have a checkout for wrangler to run in."""
    try:
        service = policy.service(request.service)
    except PolicyError as error:
        raise EmergencyRefused(f"service: {error}") from None
    if not service.checkout:
        raise EmergencyRefused(
            f"service {request.service} has no `checkout` in the policy: nowhere to run wrangler"
        )
    return service


def check_incident(
    fact: IncidentFact | None, incident_id: str, rules: IncidentRules | None = None
) -> str:
    """The incident must be confirmed by its source as an active P1/P2 — by the same rule that
    freezes standard releases (`policy.freeze.incidents`; pass it, the default is P1/P2 with an
    unprioritised incident counted by its urgency)."""
    if fact is None:
        raise EmergencyRefused(f"incident {incident_id} is not known to the incident source")
    rules = rules or IncidentRules()
    found = assess(fact, rules)
    if found.standing is Standing.NOT_ACTIVE:
        shown = "outside its declared window" if fact.declared else fact.status
        raise EmergencyRefused(f"incident {incident_id} is {shown}, not active")
    if found.standing is Standing.BELOW:
        names = ", ".join(rules.priorities)
        raise EmergencyRefused(
            f"incident {incident_id} is {found.label}, not P1 or P2 (the policy counts: {names})"
        )
    notes = "".join(f"; {n}" for n in found.notes)
    return f"{fact.source} incident {fact.id} ({found.label}, {fact.status}): {fact.title}{notes}"


@dataclass(frozen=True)
class CiStatusFact:
    """GitHub's status page: the Actions component's status, or None when the page was unreadable."""

    actions_status: str | None
    detail: str


def check_ci_unavailable(
    fact: CiStatusFact, attestation: str | None, acting_person: str, rules: EmergencyRules
) -> str:
    if not rules.require_ci_unavailable:
        return "policy does not require CI to be unavailable"
    if fact.actions_status is None:
        if rules.allow_attestation and attestation and attestation.strip():
            return (
                f"GitHub's status page could not be read ({fact.detail}); CI unavailability "
                f"ATTESTED by {acting_person}: {attestation.strip()}"
            )
        raise EmergencyRefused(
            f"cannot tell whether CI is unavailable: GitHub's status page could not be read "
            f"({fact.detail}) and no attestation was given"
        )
    if fact.actions_status == CI_UP:
        raise EmergencyRefused(
            "CI is available (GitHub Actions is operational): use the standard release"
        )
    return f"GitHub Actions is {fact.actions_status} on GitHub's status page"
