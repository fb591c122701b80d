"""`relctl freeze`: the freeze verdict now (or at an instant), or the calendar of windows ahead."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from procedure.freeze import FreezeObservations, freeze_windows
from procedure.policy import Policy
from tasks.freeze import CALENDAR_ONLY, freeze_verdict, observe_freeze_sources


def parse_sources(text: str) -> frozenset[str] | None:
    names = frozenset(s.strip() for s in text.split(",") if s.strip())
    return None if names in (frozenset(), frozenset({"all"})) else names


def parse_instant(text: str, policy: Policy) -> datetime:
    """ISO 8601; without an offset the instant is read in the team's time zone."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=policy.freeze.zone)


def verdict_json(policy: Policy, at: datetime, sources: frozenset[str] | None) -> dict[str, Any]:
    calendar_only = sources is not None and sources <= CALENDAR_ONLY
    verdict = asyncio.run(freeze_verdict(policy, at, CALENDAR_ONLY if calendar_only else None))
    return verdict.to_json_dict()


def calendar_json(
    policy: Policy, start_day: date, days: int, sources: frozenset[str] | None
) -> list[dict[str, Any]]:
    zone = policy.freeze.zone
    start = datetime.combine(start_day, time(0), tzinfo=zone)
    end = datetime.combine(start_day + timedelta(days=days), time(0), tzinfo=zone)
    wanted = sources or frozenset({"calendar", "maintenance", "incident"})
    needs_live = "maintenance" in wanted
    observed = asyncio.run(observe_freeze_sources(policy)) if needs_live else FreezeObservations()
    return [
        {
            "source": w.source,
            "name": w.name,
            "start": w.start.isoformat(),
            "end": w.end.isoformat() if w.end else None,
        }
        for w in freeze_windows(start, end, policy.freeze, observed, wanted)
    ]


def print_verdict(data: dict[str, Any]) -> None:
    state = "FROZEN" if data["frozen"] else "not frozen"
    print(f"{data['at']}: {state}")
    for reason in data["reasons"]:
        until = reason["end"] or "no known end"
        print(f"  - {reason['source']}: {reason['name']} ({reason['start'] or '?'} → {until})")
    if data["frozen"]:
        print(f"next allowed: {data['next_allowed'] or 'unknown — re-check later'}")


def run(args: argparse.Namespace, policy: Policy) -> int:
    sources = parse_sources(args.sources)
    if args.calendar:
        start_day = (
            date.fromisoformat(args.from_date)
            if args.from_date
            else datetime.now(policy.freeze.zone).date()
        )
        windows = calendar_json(policy, start_day, args.days, sources)
        if args.json:
            print(json.dumps(windows, indent=2))
        else:
            print(
                f"freeze windows from {start_day} for {args.days} days ({policy.freeze.timezone}):"
            )
            for w in windows:
                print(f"  {w['start']} → {w['end']}  {w['source']:<11} {w['name']}")
            if not windows:
                print("  none")
        return 0
    at = parse_instant(args.at, policy) if args.at else datetime.now(policy.freeze.zone)
    data = verdict_json(policy, at, sources)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_verdict(data)
    # exit 1 when frozen, so a shell step can gate on it: `relctl freeze && deploy`
    return 1 if data["frozen"] else 0
