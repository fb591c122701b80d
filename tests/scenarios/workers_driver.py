"""Runs workers-deploy in a process of its own against PREFECT_API_URL — for the scenarios that
SIGKILL a release: the killed run and its re-run are separate processes, as runs on workers are.

  python -m tests.scenarios.workers_driver '<parameters as JSON>'   # prints the final state as JSON
"""

from __future__ import annotations

import asyncio
import json
import sys


def main(parameters: str) -> int:
    from flows.workers_deploy import workers_deploy
    from tasks.limits import ensure_limits
    from tasks.settings import current_policy

    asyncio.run(ensure_limits(current_policy()))
    state = asyncio.run(workers_deploy(**json.loads(parameters), return_state=True))  # type: ignore[call-overload]
    print(json.dumps({"type": state.type.value, "name": state.name, "message": state.message}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
