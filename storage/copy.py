"""`imvo-bot db copy`: a whole installation from one store into another, verified by counts.

Both stores keep the same tables, column names and value representation (see
`storage.postgres_schema`), so the copy moves rows as they are, table by table, without knowing
what they mean: a table that a later migration adds is copied with no change here.

The source is read in one snapshot (a read transaction), so a bot still writing to it cannot
hand the copy half a turn; the target is written in one transaction, so a refused or failed copy
leaves it as it was. `schema_version` and `cache_version` are not copied: `open_store` brings
both sides to this bot's latest schema first (the source too), and sides at different versions
are refused; each side's triggers keep its own roster version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import asyncpg

from bot.core.ports import Store
from storage import open_store, sqlite_path
from storage.copy_tables import BATCH_ROWS, RowError, Tables, tables_of
from storage.postgres_rows import redacted, scrubbed

__all__ = ["BATCH_ROWS", "CopyError", "CopyFailed", "copy_store", "shown_url"]

# What a database may raise while rows move; anything else is a bug and keeps its traceback.
_DATABASE_ERRORS = (
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    RowError,
)


class CopyError(Exception):
    """A copy refused before anything changed (same database, non-empty target, other schema).
    The message is one line, fit to show a user, and never holds a password."""


class CopyFailed(CopyError):
    """A copy that went wrong on the way (a database error, or counts that differ afterwards);
    its transaction was rolled back, so the target is as it was."""


def shown_url(url: str) -> str:
    """A database URL fit for a message: a PostgreSQL URL without its password."""
    url = url.strip()
    # `redacted` would re-spell a sqlite:/// URL, and a SQLite URL holds no password anyway.
    return url if url.lower().startswith("sqlite:") else redacted(url)


async def copy_store(
    source_url: str,
    target_url: str,
    *,
    force: bool,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copies every table of the store at `source_url` into the one at `target_url`.

    Both are opened with `open_store`, which creates a missing target and migrates both sides
    to the latest schema. A target holding any row is refused unless `force`, which replaces its
    contents. `progress(table, rows)` is called as each table is done. Returns the rows copied
    per table, in copy order. Raises CopyError when refused and CopyFailed when the copy went
    wrong (the target is then unchanged); StoreConfigError for a URL that cannot be opened.
    """
    source_shown, target_shown = shown_url(source_url), shown_url(target_url)
    if source_url.strip() == target_url.strip():
        raise CopyError(f"--from and --to are the same database ({source_shown})")
    for url, side in ((source_url, "source"), (target_url, "target")):
        _check_sqlite_file(url, side, must_exist=side == "source")

    def failed(exc: BaseException, where: str) -> CopyFailed:
        return CopyFailed(
            f"the copy failed{where} and was rolled back, {target_shown} is unchanged:"
            f" {_reason(exc, source_url, target_url)}"
        )

    source = await _open(source_url, "source")
    try:
        target = await _open(target_url, "target")
        try:
            async with tables_of(source) as src, tables_of(target) as dst:
                if await src.identity() == await dst.identity():
                    raise CopyError(f"--from and --to are the same database ({source_shown})")
                plan = await _plan(src, dst, source_shown, target_shown)
                return await _copy(src, dst, plan, force, target_shown, progress, failed)
        except _DATABASE_ERRORS as exc:
            raise failed(exc, "") from exc
        finally:
            await target.close()
    finally:
        await source.close()


async def _open(url: str, side: str) -> Store:
    try:
        return await open_store(url, pool_size=1)
    except _DATABASE_ERRORS as exc:
        # open_store reports a server it cannot reach; this is a database that answers but
        # cannot be used (e.g. a search_path naming a schema that does not exist).
        raise CopyError(f"cannot open the {side} {shown_url(url)}: {_reason(exc, url)}") from exc


def _reason(exc: BaseException, *urls: str) -> str:
    """An exception's message on one line, without any password of `urls`."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    for url in urls:
        reason = scrubbed(reason, url)
    return reason


def _check_sqlite_file(url: str, side: str, *, must_exist: bool) -> None:
    if url.strip().partition("://")[0].lower() != "sqlite":
        return
    path = sqlite_path(url)
    if path == ":memory:":
        raise CopyError(f"the {side} {shown_url(url)} is an in-memory database; name a file")
    if must_exist and not Path(path).is_file():
        # open_store would create it, and an empty copy would look like success.
        raise CopyError(f"the source {shown_url(url)} does not exist")


async def _plan(
    src: Tables, dst: Tables, source_shown: str, target_shown: str
) -> dict[str, tuple[str, ...]]:
    """The tables to copy with their columns, referenced tables before the tables that refer
    to them; CopyError when the two sides do not have the same schema."""
    versions = (await src.version(), await dst.version())
    if versions[0] != versions[1]:
        raise CopyError(
            f"the source {source_shown} has schema version {versions[0]} and the target"
            f" {target_shown} has {versions[1]}; both must be at the same version"
        )
    ours, theirs = await src.columns(), await dst.columns()
    if set(ours) != set(theirs):
        raise CopyError(
            "the source and the target have different tables" + _difference(set(ours), set(theirs))
        )
    for table, columns in ours.items():
        if set(columns) != set(theirs[table]):
            raise CopyError(
                f"table {table} has different columns in the source and the target"
                + _difference(set(columns), set(theirs[table]))
            )
    references = await src.references() | await dst.references()
    return {table: ours[table] for table in _dependency_order(set(ours), references)}


def _difference(ours: set[str], theirs: set[str]) -> str:
    parts = []
    if ours - theirs:
        parts.append(f"only in the source: {', '.join(sorted(ours - theirs))}")
    if theirs - ours:
        parts.append(f"only in the target: {', '.join(sorted(theirs - ours))}")
    return f" ({'; '.join(parts)})"


def _dependency_order(tables: set[str], references: set[tuple[str, str]]) -> list[str]:
    """Tables ordered so that every table comes after the tables it references (by name where
    there is a choice, so the order is stable)."""
    needs = {t: {r for (f, r) in references if f == t and r != t and r in tables} for t in tables}
    order: list[str] = []
    while needs:
        ready = sorted(t for t, n in needs.items() if not n) or sorted(needs)[:1]
        # A reference cycle (none today) would leave nothing ready: take one anyway; if its
        # rows do break a foreign key, the target refuses them and the copy rolls back.
        for table in ready:
            order.append(table)
            del needs[table]
        for n in needs.values():
            n.difference_update(ready)
    return order


async def _copy(
    src: Tables,
    dst: Tables,
    plan: Mapping[str, tuple[str, ...]],
    force: bool,
    target_shown: str,
    progress: Callable[[str, int], None] | None,
    failed: Callable[[BaseException, str], CopyFailed],
) -> dict[str, int]:
    async with src.reading():
        expected = {table: await src.count(table) for table in plan}
        async with dst.writing():
            await _make_room(dst, list(plan), force, target_shown)
            copied: dict[str, int] = {}
            for table, columns in plan.items():
                copied[table] = 0
                try:
                    async for rows in src.rows(table, columns):
                        await dst.insert(table, columns, rows)
                        copied[table] += len(rows)
                except _DATABASE_ERRORS as exc:
                    # Raised inside the transaction: it rolls back.
                    raise failed(exc, f" at table {table}") from exc
                if progress is not None:
                    progress(table, copied[table])
            await dst.renumber(list(plan))
            for table in plan:
                found = await dst.count(table)
                if not expected[table] == copied[table] == found:
                    raise CopyFailed(
                        f"verification failed, so the copy was rolled back and {target_shown}"
                        f" is unchanged: {table} has {expected[table]:,} rows in the source,"
                        f" {copied[table]:,} were read and {found:,} are in the target"
                    )
    return copied


async def _make_room(dst: Tables, tables: Sequence[str], force: bool, target_shown: str) -> None:
    counts = {table: await dst.count(table) for table in tables}
    filled = [table for table in tables if counts[table]]
    if filled and not force:
        first = filled[0]
        raise CopyError(
            f"the target {target_shown} is not empty ({first} holds {counts[first]:,}"
            f" {'row' if counts[first] == 1 else 'rows'}); add --force to replace its contents"
        )
    for table in reversed(tables):
        if counts[table]:
            await dst.clear(table)
