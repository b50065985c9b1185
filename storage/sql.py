"""SQL written once for both stores: a *plan* is a generator that yields statements and gets
their results back, and each store has a small driver that runs it.

    def close(campaign_id: int, at: str) -> Plan[bool]:
        changed = yield Count("UPDATE campaigns SET state = 'closed' … WHERE id = ?", (…))
        return changed > 0

Statements use SQLite's `?` placeholders; the PostgreSQL driver numbers them (`$1`, `$2`, …).
The SQLite driver runs a whole plan in one trip to aiosqlite's thread inside one `BEGIN
IMMEDIATE` transaction (a turn costs one round trip, not one per statement); the PostgreSQL
driver runs it in one transaction on a pooled connection. A plan that raises `Abort` is rolled
back and its value returned: how a turn whose event was seen before applies nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


@dataclass(frozen=True)
class Rows:
    """A query; its result is the list of rows."""

    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Count:
    """A statement; its result is how many rows it changed."""

    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Many:
    """One statement run once per parameter row; its result is None."""

    sql: str
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Lock:
    """Serialises plans that share `key` (a 64-bit number) until the transaction ends. SQLite's
    BEGIN IMMEDIATE serialises every writer already, so there it does nothing."""

    key: int


Statement = Rows | Count | Many | Lock
Plan = Generator[Statement, Any, T]


class Abort(Exception):
    """Raised by a plan to roll its transaction back; the driver returns `value`."""

    def __init__(self, value: Any = None) -> None:
        super().__init__("plan aborted")
        self.value = value


# ---------------------------------------------------------------------------------- SQLite


def run_sqlite_here(db: sqlite3.Connection, plan: Plan[T], write: bool) -> T:
    """Runs the whole plan on this thread, in one transaction when it writes (aiosqlite's
    thread through `run_sqlite`, or the loop's: see storage.sqlite)."""
    if write:
        db.execute("BEGIN IMMEDIATE")
    try:
        result: Any = None
        while True:
            statement = plan.send(result)
            if isinstance(statement, Rows):
                result = db.execute(statement.sql, statement.params).fetchall()
            elif isinstance(statement, Count):
                result = db.execute(statement.sql, statement.params).rowcount
            elif isinstance(statement, Many):
                db.executemany(statement.sql, statement.rows)
                result = None
            else:
                result = None
    except StopIteration as done:
        if write:
            db.execute("COMMIT")
        return done.value  # type: ignore[no-any-return]
    except Abort as abort:
        if write:
            db.execute("ROLLBACK")
        return abort.value  # type: ignore[no-any-return]
    except BaseException:
        if write and db.in_transaction:
            db.execute("ROLLBACK")
        raise


async def run_sqlite(db: aiosqlite.Connection, plan: Plan[T], *, write: bool = True) -> T:
    """Runs `plan` in one trip to the connection's thread (aiosqlite's own queue, the one its
    public methods use), so no other statement can come in between."""
    conn = db._conn  # the sqlite3 connection, only ever touched on aiosqlite's thread
    return await db._execute(run_sqlite_here, conn, plan, write)  # type: ignore[no-untyped-call,no-any-return]


# ------------------------------------------------------------------------------ PostgreSQL


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """SQLite's `?` placeholders as PostgreSQL's `$1, $2, ...` (a `?` in a '...' literal stays)."""
    out: list[str] = []
    quoted = False
    count = 0
    for char in sql:
        if char == "'":
            quoted = not quoted
        elif char == "?" and not quoted:
            count += 1
            out.append(f"${count}")
            continue
        out.append(char)
    return "".join(out)


def changed(status: str) -> int:
    """How many rows a command touched, from its status (`INSERT 0 3`, `UPDATE 1`, `DELETE 0`)."""
    return int(status.rsplit(" ", 1)[-1])


async def run_postgres(pool: Any, plan: Plan[T], *, write: bool = True) -> T:
    """Runs `plan` on a connection of an asyncpg pool: in one transaction when it writes (an
    `Abort` rolls it back), else statement by statement (a one-statement read is one round
    trip, not three)."""
    if not write:
        async with pool.acquire() as con:
            return await _drive_postgres(con, plan)
    try:
        async with pool.acquire() as con, con.transaction():
            return await _drive_postgres(con, plan)
    except Abort as abort:
        return abort.value  # type: ignore[no-any-return]


async def _drive_postgres(con: Any, plan: Plan[T]) -> T:
    result: Any = None
    while True:
        try:
            statement = plan.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        if isinstance(statement, Rows):
            result = await con.fetch(numbered(statement.sql), *statement.params)
        elif isinstance(statement, Count):
            result = changed(await con.execute(numbered(statement.sql), *statement.params))
        elif isinstance(statement, Many):
            if statement.rows:
                await con.executemany(numbered(statement.sql), statement.rows)
            result = None
        else:
            await con.execute("SELECT pg_advisory_xact_lock($1)", statement.key)
            result = None
