"""The PostgreSQL store: `bot.core.ports.Store` on an asyncpg connection pool.

Several replicas of the bot may share one database. Every write runs in its own transaction on a
pooled connection and commits before the method returns; reads go straight to the pool. The
tables, columns and values are those of the SQLite store (see `storage.postgres_schema`), and
every method behaves as its SQLite twin does: the storage contract tests run against both.

SQL is never schema-qualified: the connection's `search_path` (e.g. `?options=-csearch_path%3Dx`
in the URL) decides where the tables live.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg

from storage import postgres_schema
from storage.planned import PlannedStore
from storage.postgres_queues import PostgresQueues
from storage.rows import (
    iso,
)
from storage.sql import Plan, run_postgres
from storage.sqlite_schema import SchemaVersionError

CONNECT_TIMEOUT_S = 10.0
"""How long opening the pool waits for the server before giving up (asyncpg's default is 60)."""


T = TypeVar("T")


class PostgresStore(PlannedStore, PostgresQueues):
    """`bot.core.ports.Store` on PostgreSQL (an asyncpg pool; safe to share between replicas)."""

    def __init__(self, pool: Any, locks: Any) -> None:
        """Wraps two open asyncpg pools, one for queries and one for held person locks;
        prefer `PostgresStore.open`."""
        self._pool = pool
        self._locks = locks

    @classmethod
    async def open(
        cls, url: str, pool_size: int, lock_pool_size: int | None = None
    ) -> PostgresStore:
        """Connects a pool of up to `pool_size` connections to the database at `url`, and a
        pool of up to `lock_pool_size` (default: half as many, at least 2) for person locks.

        Does not migrate; call `migrate()` (or use `storage.open_store`, which does). Raises
        what asyncpg raises when the server cannot be reached.
        """
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT_S
        )
        try:
            # Connects on first use: a replica that handles no events holds no lock connection.
            locks = await asyncpg.create_pool(
                url,
                min_size=0,
                max_size=lock_pool_size or max(2, pool_size // 2),
                timeout=CONNECT_TIMEOUT_S,
            )
        except BaseException:
            await pool.close()
            raise
        return cls(pool, locks)

    async def close(self) -> None:
        await self._locks.close()
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[Any]:
        """A pooled connection in a transaction, committed on success, rolled back otherwise."""
        async with self._pool.acquire() as con, con.transaction():
            yield con

    async def _query(self, plan: Plan[T]) -> T:
        return await run_postgres(self._pool, plan, write=False)

    async def _apply(self, plan: Plan[T]) -> T:
        return await run_postgres(self._pool, plan)

    async def _report(self, plan: Plan[T]) -> T:
        return await run_postgres(self._pool, plan, write=False)

    async def migrate(self) -> None:
        """Applies every migration step newer than the stored schema version, atomically.

        The advisory lock makes replicas that start together take turns: the first applies the
        steps, the others then find nothing left to do.
        """
        steps = postgres_schema.MIGRATIONS
        async with self._write() as con:
            await con.execute("SELECT pg_advisory_xact_lock($1)", postgres_schema.MIGRATION_LOCK)
            await con.execute(postgres_schema.SCHEMA_VERSION_TABLE)
            current = int(
                await con.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            )
            if current > len(steps):
                raise SchemaVersionError(
                    f"the database has schema version {current}, newer than this bot's"
                    f" {len(steps)}; upgrade imvo-bot"
                )
            now = iso(datetime.now(UTC))
            for version in range(current + 1, len(steps) + 1):
                for statement in steps[version - 1]:
                    await con.execute(statement)
                await con.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                    version,
                    now,
                )
