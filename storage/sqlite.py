"""The SQLite store: `bot.core.ports.Store` on one aiosqlite connection.

Every statement, reads included, runs under one asyncio.Lock. Writes must be serialized on a
single connection anyway; reads take the lock too because on a shared connection they would
otherwise see the uncommitted half of a `commit_turn` that is waiting on its next statement.
SQLite answers the bot's queries in microseconds, so the lock costs nothing noticeable.

The connection runs in autocommit mode (`isolation_level=None`); each write opens its own
`BEGIN IMMEDIATE` transaction and commits before the method returns.

Plans (storage.sql: the engine's reads and every turn's commit) run on the event loop's own
thread, not on aiosqlite's: they take tens of microseconds, while handing one to aiosqlite's
thread and back costs a wake-up of each thread and, while the loop is busy, a wait for the
GIL; on the hot path of an answer that hand-off cost more than the SQL. A commit still ends
before the method returns, so an answer is stored before it is acknowledged. The work queues'
transactions and the reports keep aiosqlite's thread (see `_plan` for how the two never
overlap on the one connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage import sqlite_schema
from storage.planned import PlannedStore
from storage.rows import (
    iso,
)
from storage.sql import Plan, run_sqlite, run_sqlite_here
from storage.sqlite_queue import SqliteQueues

BUSY_TIMEOUT_MS = 5000
READERS = 2  # connections for reports
T = TypeVar("T")


class SqliteStore(PlannedStore, SqliteQueues):
    """`bot.core.ports.Store` on SQLite (WAL mode, one connection, serialized access)."""

    def __init__(self, connection: aiosqlite.Connection, path: str = ":memory:") -> None:
        """Wraps an open autocommit connection; prefer `SqliteStore.open`."""
        self._db = connection
        self._lock = asyncio.Lock()
        # True while a call on aiosqlite's thread may still be running or queued although its
        # caller has gone (cancelled, or failed mid-way): the next plan then queues behind it
        # on that thread instead of running beside it on the loop's.
        self._behind = False
        self._path = path
        # Reports (a draft, a digest, status) read on connections of their own: in WAL mode they
        # read beside the writer, so a big report never holds up a colleague's answer, and two
        # of them let a report's grouping and its text reads run on both cores.
        self._readers: list[aiosqlite.Connection] = []
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._reader_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Opens (creating it and its folder if needed) the database at `path` or `:memory:`.

        Does not migrate; call `migrate()` (or use `storage.open_store`, which does).
        """
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: plans run on the loop's thread (see the module's docstring),
        # the rest on aiosqlite's; the store's lock keeps them apart.
        db = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        try:
            await db.execute_fetchall("PRAGMA journal_mode = WAL")
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        async with self._reader_lock:
            for reader in self._readers:
                await reader.close()
            self._readers.clear()
        async with self._lock:
            await self._db.close()

    # plumbing

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One `BEGIN IMMEDIATE` transaction, committed on success and rolled back otherwise.

        aiosqlite runs statements in order on its own thread, so even after a cancellation the
        ROLLBACK is queued behind whatever statement was still running.
        """
        async with self._lock:
            db = self._db
            try:
                # BEGIN inside the try: if we are cancelled while it runs, it still runs on
                # aiosqlite's thread, and only the ROLLBACK below closes it again.
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await db.execute("COMMIT")
            except BaseException:
                self._behind = True
                with contextlib.suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    async def _plan(self, plan: Plan[T], *, write: bool = True) -> T:
        """Runs a plan (storage.sql) in one transaction, on the loop's thread (see the module's
        docstring): nothing in it awaits, so no other statement can come in between.

        Only when a call on aiosqlite's thread may still be running or queued (its caller was
        cancelled) does the plan go to that thread instead, behind it: the thread runs its
        queue in order, so once the plan is back everything before it has finished.
        """
        async with self._lock:
            if not self._behind:
                return run_sqlite_here(self._db._conn, plan, write)
            result = await run_sqlite(self._db, plan, write=write)
            self._behind = False
            return result

    async def _query(self, plan: Plan[T]) -> T:
        return await self._plan(plan, write=False)

    async def _apply_bulk(self, plan: Plan[T]) -> T:
        """A write of megabytes (a draft's files) on aiosqlite's thread, so that the event loop
        keeps answering while SQLite copies them."""
        async with self._lock:
            try:
                return await run_sqlite(self._db, plan, write=True)
            except BaseException:
                self._behind = True  # it may still run there: the next plan queues behind it
                raise

    async def _apply(self, plan: Plan[T]) -> T:
        return await self._plan(plan, write=True)

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            try:
                return list(await self._db.execute_fetchall(sql, params))
            except BaseException:
                self._behind = True
                raise

    @staticmethod
    async def _changes(db: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> int:
        cursor = await db.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def migrate(self) -> None:
        """Applies every migration step newer than the stored schema version, atomically."""
        steps = sqlite_schema.MIGRATIONS
        async with self._transaction() as db:
            await db.execute(sqlite_schema.SCHEMA_VERSION_TABLE)
            rows = await db.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = int(next(iter(rows))[0])
            if current > len(steps):
                raise sqlite_schema.SchemaVersionError(
                    f"the database has schema version {current}, newer than this bot's"
                    f" {len(steps)}; upgrade imvo-bot"
                )
            now = iso(datetime.now(UTC))
            for version in range(current + 1, len(steps) + 1):
                for statement in steps[version - 1]:
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, now),
                )

    async def _report(self, plan: Plan[T]) -> T:
        """Runs a report's read plan on the reports' own connection (the main one for an
        in-memory database, which a second connection would not see)."""
        if self._path == ":memory:":
            return await self._plan(plan, write=False)
        async with self._reader_lock:
            if self._idle.empty() and len(self._readers) < READERS:
                reader = await aiosqlite.connect(self._path, isolation_level=None)
                await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await reader.execute("PRAGMA query_only = ON")
                self._readers.append(reader)
                self._idle.put_nowait(reader)
        reader = await self._idle.get()
        try:
            return await run_sqlite(reader, plan, write=False)
        finally:
            self._idle.put_nowait(reader)
