"""The PostgreSQL store's work queues: scheduled jobs, the outbox of invitations, send budgets,
and the per-person lock shared by every replica.

Claims carry an owner and a lease, as in the SQLite store. Here several replicas really do
claim at the same moment: a claim is one `UPDATE` over rows picked `FOR UPDATE SKIP LOCKED`, so
a replica skips the rows another one is claiming instead of waiting for (or sharing) them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from bot.core.domain import Job, OutboxItem, OutboxState, PersonKey, SendBudget
from storage.postgres_rows import (
    CLAIM_JOBS,
    CLAIM_OUTBOX,
    INSERT_JOBS,
    INSERT_OUTBOX,
    advisory_key,
)
from storage.rows import iso, job_params
from storage.sql import changed
from storage.sqlite_queue import job_from, outbox_item
from storage.writes import OUTBOX_LOCK


class PostgresQueues:
    """Jobs, outbox, budgets and person locks; mixed into `PostgresStore`, which provides the
    plumbing: `_pool` for queries, `_locks` for held person locks, `_write` for transactions."""

    _pool: Any
    _locks: Any
    _write: Callable[[], AbstractAsyncContextManager[Any]]

    # scheduled jobs

    async def schedule(self, jobs: Sequence[Job]) -> int:
        if not jobs:
            return 0
        rows = [job_params(j) for j in jobs]
        async with self._write() as con:
            return changed(await con.execute(INSERT_JOBS, *zip(*rows, strict=True)))

    async def claim_jobs(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[Job]:
        stamp, until = iso(now), iso(lease_until)
        async with self._write() as con:
            rows = await con.fetch(CLAIM_JOBS, stamp, limit, owner, until)
        # RETURNING has no order: sort as the claim picked them (str order is byte order).
        return [job_from(row) for row in sorted(rows, key=lambda r: (r[2], r[0]))]

    async def reschedule_job(self, key: str, run_at: datetime) -> None:
        stamp = iso(run_at)
        async with self._write() as con:
            await con.execute(
                "UPDATE jobs SET run_at = $1, state = 'pending', owner = NULL, lease_until = NULL"
                " WHERE key = $2 AND state IN ('pending', 'claimed')",
                stamp,
                key,
            )

    # the outbox

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        if not items:
            return 0
        rows = [
            (
                i.key,
                i.campaign_id,
                i.person.platform,
                i.person.tenant,
                i.person.user_id,
                iso(i.next_at) if i.next_at else "",
            )
            for i in items
        ]
        async with self._write() as con:
            await con.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK)
            start = int(await con.fetchval("SELECT COALESCE(MAX(seq), 0) FROM outbox"))
            seqs = list(range(start + 1, start + 1 + len(rows)))
            return changed(await con.execute(INSERT_OUTBOX, *zip(*rows, strict=True), seqs))

    async def claim_outbox(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[OutboxItem]:
        stamp, until = iso(now), iso(lease_until)
        async with self._write() as con:
            rows = await con.fetch(CLAIM_OUTBOX, stamp, limit, owner, until)
        # RETURNING has no order: sort by (next_at, seq), as the claim picked them.
        return [outbox_item(row) for row in sorted(rows, key=lambda r: (r[6], r[10]))]

    async def begin_send(self, key: str, owner: str, lease_until: datetime) -> bool:
        until = iso(lease_until)
        async with self._write() as con:
            status = await con.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, in_doubt = 0,"
                " lease_until = $1 WHERE key = $2 AND state = 'claimed' AND owner = $3",
                until,
                key,
                owner,
            )
        return changed(status) > 0

    async def settle_outbox(
        self,
        key: str,
        owner: str,
        state: OutboxState,
        error: str | None,
        next_at: datetime | None,
    ) -> bool:
        stamp = iso(next_at) if next_at else None
        async with self._write() as con:
            status = await con.execute(
                "UPDATE outbox SET state = $1, last_error = $2, next_at = COALESCE($3, next_at),"
                " owner = NULL, lease_until = NULL"
                " WHERE key = $4 AND owner = $5 AND state IN ('claimed', 'sending')",
                state.value,
                error,
                stamp,
                key,
                owner,
            )
        return changed(status) > 0

    async def outbox_counts(self, campaign_id: int) -> dict[str, int]:
        rows = await self._pool.fetch(
            "SELECT state, COUNT(*) FROM outbox WHERE campaign_id = $1 GROUP BY state",
            campaign_id,
        )
        return {str(state): int(count) for state, count in rows}

    # shared budgets and locks

    async def update_budget(
        self, key: str, change: Callable[[SendBudget | None], SendBudget]
    ) -> SendBudget:
        async with self._write() as con:
            # A lock on the key rather than `SELECT ... FOR UPDATE`: that would lock nothing
            # while the row does not exist yet, and two replicas would both create it.
            await con.execute("SELECT pg_advisory_xact_lock($1)", advisory_key("budget", key))
            row = await con.fetchrow(
                "SELECT rate, ceiling, next_at FROM send_budgets WHERE key = $1", key
            )
            new = change(None if row is None else SendBudget(*row))
            await con.execute(
                "INSERT INTO send_budgets (key, rate, ceiling, next_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (key) DO UPDATE SET rate = excluded.rate,"
                " ceiling = excluded.ceiling, next_at = excluded.next_at",
                key,
                new.rate,
                new.ceiling,
                new.next_at,
            )
        return new

    @asynccontextmanager
    async def person_lock(self, key: PersonKey) -> AsyncIterator[None]:
        # A session-level advisory lock, held on a connection of its own small pool: the lock
        # outlives any one transaction, and replicas waiting for a person can never take the
        # connections that the holder (or anyone else) needs for queries. Returning the
        # connection to the pool resets it, which releases the lock even if the UNLOCK below
        # never ran (a cancellation); a dropped connection releases it on the server.
        lock = advisory_key("person", key.platform, key.tenant, key.user_id)
        async with self._locks.acquire() as con:
            await con.execute("SELECT pg_advisory_lock($1)", lock)
            try:
                yield
            finally:
                await con.execute("SELECT pg_advisory_unlock($1)", lock)
