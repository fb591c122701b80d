"""`make demo`: start the stack, act as CI (upload a version to the sandbox, trigger one Workers
release through the Prefect REST API), wait, print the gate-by-gate outcome, stop, exit 0 on
success."""

from __future__ import annotations

import socket
import sys
import time

from relctl.trigger import PrefectApi, workers_idempotency_key
from scripts.localstack import prepare_release
from scripts.stack import running_stack
from tasks.settings import current_policy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    started = time.monotonic()
    print("starting Prefect server, sandbox providers and worker…", flush=True)
    with running_stack(port=free_port(), sandbox_port=free_port(), quiet=True) as stack:
        print(
            f"  UI {stack.ui_url}  sandbox {stack.sandbox.url}  ({time.monotonic() - started:.0f}s)"
        )
        policy = current_policy()
        # CI: the PR is merged and green; `wrangler versions upload` per environment.
        release = prepare_release(
            stack.control,
            policy,
            "verifier",
            cloudflare_token=stack.env["CLOUDFLARE_API_TOKEN"],
            pr_number=101,
        )
        params = release.parameters
        print(f"CI uploaded versions {params['version_ids']} for {params['git_sha'][:12]}")
        api = PrefectApi(stack.api_url)
        deployment = api.deployment_id("workers-deploy", "standard")
        key = workers_idempotency_key(params)  # the same key relctl (CI) sends
        run, created = api.create_flow_run(deployment, params, idempotency_key=key)
        again, created_again = api.create_flow_run(deployment, params, idempotency_key=key)
        assert again["id"] == run["id"] and not created_again, "idempotency key ignored"
        print(f"triggered flow run {run['name']} ({run['id']}); a retried trigger got the same run")
        final = api.wait(run["id"], timeout_s=150)
        state = final["state"]
        print(f"\nrun {final['name']}: {state['type']} {state.get('message') or ''}\n")
        print("gate by gate (each is an artifact in the UI):")
        artifacts = api.artifacts(run["id"])
        for artifact in artifacts:
            print(f"  {artifact['key']:<45} {artifact.get('description') or ''}")
        summary = next((a for a in artifacts if a["key"].endswith("-summary")), None)
        if summary:
            print("\n" + str(summary["data"]))
        live = stack.control.cf_deployments(
            policy.service("verifier").account_id, "verifier-production"
        )
        print(f"\nlive on verifier-production: {live[0]['versions'][0]['version_id']}")
        print(f"demo took {time.monotonic() - started:.0f}s")
        return 0 if state["type"] == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
