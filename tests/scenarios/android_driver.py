"""Runs android-release in a process of its own against PREFECT_API_URL — for the scenario that
kills a worker: every run in it is a separate process, as runs on real workers are.

  python -m tests.scenarios.android_driver to-five-percent   # limits, then runs until live at 5 %
  python -m tests.scenarios.android_driver once              # one run; prints its state as JSON
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


def run_once() -> dict[str, object]:
    from flows.android_release import android_release

    state = asyncio.run(
        android_release(app="wallet", version_code=101, significant=False, return_state=True)
    )  # type: ignore[call-overload]
    return {"type": state.type.value, "name": state.name, "message": state.message}


def main(action: str) -> int:
    if action == "once":
        print(json.dumps(run_once()))
        return 0
    from tasks.limits import ensure_limits
    from tasks.settings import current_policy

    asyncio.run(ensure_limits(current_policy()))
    for _ in range(30):
        result = run_once()
        if "at 5%" in str(result["message"]):
            print(json.dumps(result))
            return 0
        time.sleep(1.0)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
