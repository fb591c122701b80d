"""A deployment pull step (prefect.yaml `pull:`) that fails a flow run given a parameter its
flow does not take, with a message naming it, before the flow is loaded.

The API already refuses such a run (409) once `relctl deployments refuse-unknown-parameters` has
closed the schemas. This covers what gets past that: a caller that sends
`enforce_parameter_schema: false` on the run, or a deployment made by a bare `prefect deploy`
(whose schema is open again). Without it Prefect 3.9 crashes the run in the worker
(SignatureMismatchError before the flow starts): "Process exited with status code: 1", the cause
only in a traceback. Pull steps run in the flow run's own process, which the worker gives the
run's id in PREFECT__FLOW_RUN_ID.
"""

from __future__ import annotations

import os
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.states import Failed


class UnknownParameters(ValueError):
    pass


def refuse_unknown_parameters() -> dict[str, str]:
    run_id = os.environ.get("PREFECT__FLOW_RUN_ID")
    if not run_id:
        return {}
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
        if run.deployment_id is None:
            return {}
        deployment = client.read_deployment(run.deployment_id)
        schema = deployment.parameter_openapi_schema or {}
        known = set(schema.get("properties") or {})
        unknown = sorted(set(run.parameters) - known)
        if not known or not unknown:
            return {}
        names = ", ".join(repr(name) for name in unknown)
        where = f"{client.read_flow(deployment.flow_id).name}/{deployment.name}"
        message = (
            f"unknown parameter {names}: {where} takes {', '.join(sorted(known))}; nothing was run"
        )
        # Failed, not the worker's generic Crashed: a terminal state the crash report cannot replace.
        client.set_flow_run_state(run.id, Failed(message=message), force=True)
    raise UnknownParameters(message)
