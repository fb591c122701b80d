"""The procedure's rules as pure code: the policy model, the checklist, health verdicts, the
freeze calendar. Nothing here does I/O or imports Prefect; the clock is passed in."""
