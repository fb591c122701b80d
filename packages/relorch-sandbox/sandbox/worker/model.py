"""Key-flow state of the sample Worker, shared by all its versions (as a KV store would be)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Challenge:
    script: str
    nonce: str


@dataclass
class WorkerSessions:
    challenges: dict[str, Challenge] = field(default_factory=dict)
    proof_tokens: dict[str, str] = field(default_factory=dict)  # token -> script
