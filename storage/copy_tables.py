"""Raw table access for `storage.copy`: one small adapter per backend.

The copy is the only user of the stores it opens, so it may work on their connection directly
(the SQLite store's aiosqlite connection, a connection from the PostgreSQL store's pool). Table
and column names come from the database itself and are always quoted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import aiosqlite

from bot.core.ports import Store
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore

BATCH_ROWS = 1000
"""Rows read and written per round trip: large enough to be quick, small enough for memory."""

VERSIONS = "schema_version"
# Bookkeeping of each database, not data: the schema version, and the roster version that its
# own triggers move (a copy bumps the target's as it writes roles, owners and campaigns).
NOT_COPIED = frozenset({VERSIONS, "cache_version"})
"""The one table never copied: each side's migrations keep it."""

Row = tuple[Any, ...]


class RowError(ValueError):
    """A row the target cannot store: a value of the wrong type for its column."""


class Tables(Protocol):
    """Table-level access to one database, as the copy needs it."""

    async def identity(self) -> tuple[Any, ...]:
        """Equal for two connections to the same database (and schema)."""
        ...

    async def version(self) -> int: ...

    async def columns(self) -> dict[str, tuple[str, ...]]:
        """Every table but the bookkeeping ones (`NOT_COPIED`), with its columns."""
        ...

    async def references(self) -> set[tuple[str, str]]:
        """(table, table it references by a foreign key) pairs."""
        ...

    def reading(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A read-only snapshot for the statements inside it."""
        ...

    def writing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A transaction, committed on success and rolled back otherwise."""
        ...

    async def count(self, table: str) -> int: ...

    def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]: ...

    async def clear(self, table: str) -> None: ...

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None: ...

    async def renumber(self, tables: Sequence[str]) -> None:
        """Makes generated ids continue after the highest id copied into `tables`."""
        ...


@contextlib.asynccontextmanager
async def tables_of(store: Store) -> AsyncIterator[Tables]:
    """Raw access to the tables of an open store, for as long as the context lasts."""
    if isinstance(store, SqliteStore):
        yield _SqliteTables(store._db)
    elif isinstance(store, PostgresStore):
        async with store._pool.acquire() as con:
            yield _PostgresTables(con)
    else:
        raise TypeError(f"cannot copy a store of type {type(store).__name__}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _SqliteTables:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._db.execute_fetchall(sql, params)]

    async def identity(self) -> tuple[Any, ...]:
        main = [r for r in await self._all("PRAGMA database_list") if r[1] == "main"]
        return ("sqlite", os.path.realpath(main[0][2]) if main and main[0][2] else id(self))

    async def version(self) -> int:
        return int((await self._all(f"SELECT COALESCE(MAX(version), 0) FROM {VERSIONS}"))[0][0])

    async def _tables(self) -> list[str]:
        rows = await self._all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND substr(name, 1, 7) != 'sqlite_' ORDER BY name"
        )
        return [name for (name,) in rows if name not in NOT_COPIED]

    async def columns(self) -> dict[str, tuple[str, ...]]:
        return {
            table: tuple(r[1] for r in await self._all(f"PRAGMA table_info({_quoted(table)})"))
            for table in await self._tables()
        }

    async def references(self) -> set[tuple[str, str]]:
        return {
            (table, r[2])
            for table in await self._tables()
            for r in await self._all(f"PRAGMA foreign_key_list({_quoted(table)})")
        }

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        # In WAL mode a deferred transaction reads one snapshot from its first SELECT on,
        # without keeping the bot from writing.
        await self._db.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("ROLLBACK")

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            await self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("ROLLBACK")
            raise

    async def count(self, table: str) -> int:
        return int((await self._all(f"SELECT COUNT(*) FROM {_quoted(table)}"))[0][0])

    async def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]:
        names = ", ".join(_quoted(c) for c in columns)
        cursor = await self._db.execute(f"SELECT {names} FROM {_quoted(table)}")
        try:
            while batch := await cursor.fetchmany(BATCH_ROWS):
                yield [tuple(r) for r in batch]
        finally:
            await cursor.close()

    async def clear(self, table: str) -> None:
        await self._db.execute(f"DELETE FROM {_quoted(table)}")

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        names = ", ".join(_quoted(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self._db.executemany(f"INSERT INTO {_quoted(table)} ({names}) VALUES ({marks})", rows)

    async def renumber(self, tables: Sequence[str]) -> None:
        # An AUTOINCREMENT table's next id follows `sqlite_sequence`, which SQLite raises to
        # the highest id inserted but never lowers: after --force it may still hold the
        # replaced installation's highest id.
        if not await self._all("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
            return
        for (name,) in await self._all("SELECT name FROM sqlite_sequence"):
            if name in tables:
                await self._db.execute(
                    "UPDATE sqlite_sequence SET seq ="
                    f" (SELECT COALESCE(MAX(rowid), 0) FROM {_quoted(name)}) WHERE name = ?",
                    (name,),
                )


class _PostgresTables:
    def __init__(self, con: Any) -> None:
        self._con = con

    async def identity(self) -> tuple[Any, ...]:
        # The start time tells servers apart however they are addressed (localhost, ::1, ...).
        row = await self._con.fetchrow(
            "SELECT pg_postmaster_start_time(), inet_server_port(), current_database(),"
            " current_schema()"
        )
        return ("postgresql", *row)

    async def version(self) -> int:
        return int(await self._con.fetchval(f"SELECT COALESCE(MAX(version), 0) FROM {VERSIONS}"))

    async def columns(self) -> dict[str, tuple[str, ...]]:
        rows = await self._con.fetch(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
            " ORDER BY c.table_name, c.ordinal_position"
        )
        found: dict[str, tuple[str, ...]] = {}
        for table, column in rows:
            if table not in NOT_COPIED:
                found[table] = (*found.get(table, ()), column)
        return found

    async def references(self) -> set[tuple[str, str]]:
        rows = await self._con.fetch(
            "SELECT src.relname, dst.relname FROM pg_constraint c"
            " JOIN pg_class src ON src.oid = c.conrelid"
            " JOIN pg_class dst ON dst.oid = c.confrelid"
            " WHERE c.contype = 'f' AND src.relnamespace = current_schema()::regnamespace"
        )
        return {(table, referenced) for table, referenced in rows}

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        async with self._con.transaction(isolation="repeatable_read", readonly=True):
            yield

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async with self._con.transaction():
            yield

    async def count(self, table: str) -> int:
        return int(await self._con.fetchval(f"SELECT COUNT(*) FROM {_quoted(table)}"))

    async def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[Row]]:
        names = ", ".join(_quoted(c) for c in columns)
        # A server-side cursor (inside `reading`'s transaction): one batch in memory at a time.
        cursor = await self._con.cursor(f"SELECT {names} FROM {_quoted(table)}")
        while batch := await cursor.fetch(BATCH_ROWS):
            yield [tuple(r) for r in batch]

    async def clear(self, table: str) -> None:
        await self._con.execute(f"DELETE FROM {_quoted(table)}")

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        # COPY rather than INSERT: the binary protocol, many times faster for a whole batch.
        # The table name is not schema-qualified, so the connection's search_path decides.
        try:
            await self._con.copy_records_to_table(table, records=rows, columns=list(columns))
        except (TypeError, ValueError, OverflowError) as exc:
            # asyncpg encodes COPY data itself and raises these bare (for a text that SQLite
            # kept in an INTEGER column, say); the connection stays usable.
            raise RowError(f"a row does not fit the target's columns: {exc}") from exc

    async def renumber(self, tables: Sequence[str]) -> None:
        # Copied rows carry their ids, which leaves an identity's sequence where it was: the
        # next campaign would collide with a copied one. `is_called = false` makes the next
        # id MAX + 1, and 1 for an empty table.
        rows = await self._con.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
            " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
        )
        for table, column in rows:
            if table in tables:
                await self._con.execute(
                    f"SELECT setval(pg_get_serial_sequence($1, $2),"
                    f" COALESCE(MAX({_quoted(column)}), 0) + 1, false) FROM {_quoted(table)}",
                    _quoted(table),
                    column,
                )
