"""The SQLite store's work queues: scheduled jobs, the outbox of invitations, send budgets.

Claims carry an owner and a lease. SQLite has one writer at a time, so a claim made inside one
`BEGIN IMMEDIATE` transaction can never be taken by two processes at once; the lease matters
when the process holding a claim dies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import aiosqlite

from bot.core.domain import Job, JobKind, OutboxItem, OutboxState, PersonKey, SendBudget
from storage.rows import dt, dt_opt, iso, job_params

# An item can be claimed when it is pending and due, or when its claim has run out (a replica
# died); an old `sending` row from before leases has no lease and counts as run out.
_CLAIMABLE_OUTBOX = (
    "(state = 'pending' AND next_at <= ?)"
    " OR (state IN ('claimed', 'sending') AND (lease_until IS NULL OR lease_until <= ?))"
)
_CLAIMABLE_JOB = (
    "(state = 'pending' AND run_at <= ?)"
    " OR (state IN ('claimed', 'sending') AND (lease_until IS NULL OR lease_until <= ?))"
)
OUTBOX_COLUMNS = (
    "key, campaign_id, platform, tenant, user_id, attempts, next_at, state, last_error, in_doubt"
)


def outbox_item(row: Sequence[Any]) -> OutboxItem:
    return OutboxItem(
        key=row[0],
        campaign_id=row[1],
        person=PersonKey(row[2], row[3], row[4]),
        attempts=row[5],
        next_at=dt_opt(row[6] or None),
        state=OutboxState(row[7]),
        last_error=row[8],
        in_doubt=bool(row[9]),
    )


def job_from(row: Sequence[Any]) -> Job:
    return Job(
        row[0],
        JobKind(row[1]),
        dt(row[2]),
        PersonKey(row[3], row[4], row[5]),
        row[6],
        row[7],
        in_doubt=bool(row[8]),
    )


class SqliteQueues:
    """Jobs, outbox and budgets; mixed into `SqliteStore`, which provides the plumbing."""

    _transaction: Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]]
    _fetch: Callable[..., Any]
    _changes: Callable[[aiosqlite.Connection, str, Sequence[Any]], Awaitable[int]]
    _plan: Callable[..., Awaitable[Any]]

    # scheduled jobs

    async def schedule(self, jobs: Sequence[Job]) -> int:
        rows = [job_params(j) for j in jobs]
        async with self._transaction() as db:
            before = db.total_changes
            await db.executemany(
                "INSERT INTO jobs"
                " (key, kind, run_at, platform, tenant, user_id, campaign_id, theme)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                rows,
            )
            return db.total_changes - before

    async def claim_jobs(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[Job]:
        stamp = iso(now)
        async with self._transaction() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT key, kind, run_at, platform, tenant, user_id, campaign_id, theme,"
                    " in_doubt OR state = 'sending'"
                    f" FROM jobs WHERE {_CLAIMABLE_JOB} ORDER BY run_at, key LIMIT ?",
                    (stamp, stamp, limit),
                )
            )
            # Taking over a job that was being sent marks it in doubt (see `Job.in_doubt`).
            await db.executemany(
                "UPDATE jobs SET in_doubt = CASE WHEN state = 'sending' THEN 1 ELSE in_doubt END,"
                " state = 'claimed', owner = ?, lease_until = ? WHERE key = ?",
                [(owner, iso(lease_until), row[0]) for row in rows],
            )
        return [job_from(row) for row in rows]

    async def reschedule_job(self, key: str, run_at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE jobs SET run_at = ?, state = 'pending', owner = NULL, lease_until = NULL"
                " WHERE key = ? AND state IN ('pending', 'claimed')",
                (iso(run_at), key),
            )

    # the outbox

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        async with self._transaction() as db:
            rows = await db.execute_fetchall("SELECT COALESCE(MAX(seq), 0) FROM outbox")
            start = int(next(iter(rows))[0])
            before = db.total_changes
            await db.executemany(
                "INSERT INTO outbox (key, campaign_id, platform, tenant, user_id, state, attempts,"
                " next_at, seq) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                [
                    (
                        i.key,
                        i.campaign_id,
                        i.person.platform,
                        i.person.tenant,
                        i.person.user_id,
                        iso(i.next_at) if i.next_at else "",
                        start + n,
                    )
                    for n, i in enumerate(items, start=1)
                ],
            )
            return db.total_changes - before

    async def claim_outbox(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[OutboxItem]:
        stamp = iso(now)
        async with self._transaction() as db:
            rows = list(
                await db.execute_fetchall(
                    f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {_CLAIMABLE_OUTBOX}"
                    " ORDER BY next_at, seq LIMIT ?",
                    (stamp, stamp, limit),
                )
            )
            await db.executemany(
                "UPDATE outbox SET owner = ?, lease_until = ?,"
                " in_doubt = CASE WHEN state = 'sending' THEN 1 ELSE in_doubt END,"
                " state = 'claimed' WHERE key = ?",
                [(owner, iso(lease_until), row[0]) for row in rows],
            )
        return [
            outbox_item(
                (*row[:7], OutboxState.CLAIMED.value, row[8], row[9] or row[7] == "sending")
            )
            for row in rows
        ]

    async def begin_send(self, key: str, owner: str, lease_until: datetime) -> bool:
        async with self._transaction() as db:
            changed = await self._changes(
                db,
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, in_doubt = 0,"
                " lease_until = ? WHERE key = ? AND state = 'claimed' AND owner = ?",
                (iso(lease_until), key, owner),
            )
        return changed > 0

    async def settle_outbox(
        self,
        key: str,
        owner: str,
        state: OutboxState,
        error: str | None,
        next_at: datetime | None,
    ) -> bool:
        async with self._transaction() as db:
            changed = await self._changes(
                db,
                "UPDATE outbox SET state = ?, last_error = ?, next_at = COALESCE(?, next_at),"
                " owner = NULL, lease_until = NULL"
                " WHERE key = ? AND owner = ? AND state IN ('claimed', 'sending')",
                (state.value, error, iso(next_at) if next_at else None, key, owner),
            )
        return changed > 0

    async def outbox_counts(self, campaign_id: int) -> dict[str, int]:
        rows = await self._fetch(
            "SELECT state, COUNT(*) FROM outbox WHERE campaign_id = ? GROUP BY state",
            (campaign_id,),
        )
        return {str(state): int(count) for state, count in rows}

    # shared budgets and locks

    async def update_budget(
        self, key: str, change: Callable[[SendBudget | None], SendBudget]
    ) -> SendBudget:
        async with self._transaction() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT rate, ceiling, next_at FROM send_budgets WHERE key = ?", (key,)
                )
            )
            new = change(SendBudget(*rows[0]) if rows else None)
            await db.execute(
                "INSERT INTO send_budgets (key, rate, ceiling, next_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET rate = excluded.rate,"
                " ceiling = excluded.ceiling, next_at = excluded.next_at",
                (key, new.rate, new.ceiling, new.next_at),
            )
        return new

    @asynccontextmanager
    async def person_lock(self, key: PersonKey) -> AsyncIterator[None]:
        # One process owns a SQLite store (several replicas need PostgreSQL); the engine's
        # in-process lock already keeps a person's events apart.
        yield
