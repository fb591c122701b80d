"""The team's shape (`make run-pg`): Prefect's own scale-out layout — the server on PostgreSQL,
with `prefect-redis` holding concurrency leases, the event messaging and the server's task queue
(docket) in Redis, so none of them lives in the server's memory and a restart loses no lease.

`make run` (SQLite) keeps those in memory: see the README, "Two shapes"."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass

# Prefect's settings for the Redis-backed implementations (prefect 3.9: settings/models/server/
# concurrency.py and events.py; `prefect server start --workers N` refuses to run without them).
REDIS_MODULES = {
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
    "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
    "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
    "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
}


@dataclass(frozen=True)
class TeamBackend:
    """Where the team shape keeps its state; defaults are this machine's local services."""

    database: str = "prefect_relorch"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 1

    def __post_init__(self) -> None:  # the name is quoted into SQL below
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.database):
            raise ValueError(f"RELORCH_PG_DATABASE: {self.database!r} is not a plain database name")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> TeamBackend:
        d = cls()
        return cls(
            database=environ.get("RELORCH_PG_DATABASE", d.database),
            pg_host=environ.get("RELORCH_PG_HOST", d.pg_host),
            pg_port=int(environ.get("RELORCH_PG_PORT", d.pg_port)),
            pg_user=environ.get("RELORCH_PG_USER", d.pg_user),
            redis_host=environ.get("RELORCH_REDIS_HOST", d.redis_host),
            redis_port=int(environ.get("RELORCH_REDIS_PORT", d.redis_port)),
            redis_db=int(environ.get("RELORCH_REDIS_DB", d.redis_db)),
        )

    def database_url(self) -> str:
        # no password: the local PostgreSQL uses trust auth on loopback (PGPASSWORD otherwise)
        return f"postgresql+asyncpg://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.database}"

    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db}"

    def server_settings(self) -> dict[str, str]:
        """The environment of `prefect server start` in this shape."""
        return {
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": self.database_url(),
            **REDIS_MODULES,
            "PREFECT_REDIS_MESSAGING_HOST": self.redis_host,
            "PREFECT_REDIS_MESSAGING_PORT": str(self.redis_port),
            "PREFECT_REDIS_MESSAGING_DB": str(self.redis_db),
            # the repossessor and the other perpetual services are docket tasks: in Redis too
            "PREFECT_SERVER_DOCKET_URL": self.redis_url(),
        }

    def unreachable(self) -> str | None:
        """Why this shape cannot start here (None when both services answer on their ports)."""
        for what, host, port in (
            ("PostgreSQL", self.pg_host, self.pg_port),
            ("Redis", self.redis_host, self.redis_port),
        ):
            try:
                socket.create_connection((host, port), timeout=2).close()
            except OSError as exc:
                return f"{what} is not reachable on {host}:{port} ({exc})"
        return None

    async def _admin(self, *statements: str, database: str = "postgres") -> None:
        import asyncpg

        conn = await asyncpg.connect(
            host=self.pg_host,
            port=self.pg_port,
            user=self.pg_user,
            password=os.environ.get("PGPASSWORD"),
            database=database,
        )
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def ensure_database(self) -> None:
        """Create the database if missing, with `pg_trgm` (Prefect's name-search indexes)."""

        async def ensure() -> None:
            import asyncpg

            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await self._admin(f'CREATE DATABASE "{self.database}"')
            await self._admin("CREATE EXTENSION IF NOT EXISTS pg_trgm", database=self.database)

        asyncio.run(ensure())

    def drop_database(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
