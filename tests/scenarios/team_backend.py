"""A private PostgreSQL database and Redis db for one test of the team shape, so parallel runs,
other sessions and `make run-pg` (database prefect_relorch, Redis db 1) never share state."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from scripts.team_shape import TeamBackend

TEST_REDIS_DBS = range(5, 16)  # 0 is everyone's default, 1 is `make run-pg`'s
CLAIM = "relorch:test-claim"
CLAIM_SECONDS = 900  # a crashed test's db is free again after this


def _claim_redis_db(host: str, port: int) -> int:
    import redis

    token = secrets.token_hex(8)
    for db in TEST_REDIS_DBS:
        client = redis.Redis(host=host, port=port, db=db)
        try:
            if client.set(CLAIM, token, nx=True, ex=CLAIM_SECONDS):
                # ours now: clear what a crashed run left, keeping the claim (one transaction)
                pipe = client.pipeline(transaction=True)
                pipe.flushdb()
                pipe.set(CLAIM, token, ex=CLAIM_SECONDS)
                pipe.execute()
                return db
        finally:
            client.close()
    raise RuntimeError(f"every Redis db in {TEST_REDIS_DBS} is claimed by another test run")


def _release_redis_db(host: str, port: int, db: int) -> None:
    import redis

    client = redis.Redis(host=host, port=port, db=db)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def private_team_backend() -> Iterator[TeamBackend]:
    """The local PostgreSQL and Redis (RELORCH_PG_* / RELORCH_REDIS_HOST/PORT pick others);
    skips, saying why, where they are not reachable."""
    base = TeamBackend.from_env()
    if reason := base.unreachable():
        pytest.skip(f"team shape needs PostgreSQL and Redis on loopback: {reason}")
    redis_db = _claim_redis_db(base.redis_host, base.redis_port)
    backend = replace(base, database=f"relorch_test_{secrets.token_hex(6)}", redis_db=redis_db)
    try:
        backend.ensure_database()
        yield backend
    finally:
        try:
            backend.drop_database()
        finally:
            _release_redis_db(backend.redis_host, backend.redis_port, redis_db)
