"""The store backends every storage test runs against.

Each entry is an async context manager that yields the URL of a fresh, empty store for one
test and cleans up after it.

PostgreSQL runs when a server answers at `IMVO_TEST_POSTGRES_URL` (default
`postgresql://postgres@127.0.0.1:5432/test`); otherwise its tests are skipped, unless
`IMVO_REQUIRE_POSTGRES=1` (CI) makes a missing server a failure. Each test gets its own schema
in that database, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

from bot.core.ports import Store
from storage import open_store
from storage.postgres_rows import redacted

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 5.0


def postgres_server_url() -> str:
    """The database the PostgreSQL tests make their schemas in."""
    return os.environ.get("IMVO_TEST_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_URL


def with_search_path(url: str, schema: str) -> str:
    """`url` with connections that find their tables in `schema`.

    The `options` query parameter is sent to the server at connect time (`-c name=value`, as
    libpq does), so the URL works for asyncpg, psql and a subprocess's IMVO_DATABASE_URL alike.
    """
    parts = urlsplit(url)
    query = [
        *parse_qsl(parts.query, keep_blank_values=True),
        ("options", f"-csearch_path={schema}"),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _admin_connection(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = urlsplit(url).netloc.rpartition("@")[2] or redacted(url)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        message = f"PostgreSQL is not reachable on {where}: {reason}"
    # Outside the except block, so the report is this one line rather than a chained traceback.
    if os.environ.get("IMVO_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (IMVO_REQUIRE_POSTGRES=1 requires it)", pytrace=False)
    pytest.skip(message)


@asynccontextmanager
async def postgres_schema_url() -> AsyncIterator[str]:
    """The URL of a fresh, empty schema of its own in the test database, dropped afterwards.

    Skips the calling test when no server answers (fails it when IMVO_REQUIRE_POSTGRES=1).
    """
    server = postgres_server_url()
    schema = f"imvo_t_{uuid.uuid4().hex}"
    admin = await _admin_connection(server)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(server, schema)
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


@asynccontextmanager
async def sqlite_backend(tmp_path: Path) -> AsyncIterator[str]:
    yield f"sqlite:///{tmp_path / 'db' / 'contract.db'}"


@asynccontextmanager
async def postgres_backend(tmp_path: Path) -> AsyncIterator[str]:
    async with postgres_schema_url() as url:
        yield url


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[Store]:
    """The store at `url`, opened (and migrated) for the block and closed after it."""
    store = await open_store(url)
    try:
        yield store
    finally:
        await store.close()


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[str]]] = {
    "sqlite": sqlite_backend,
    "postgres": postgres_backend,
}


def sqlite_rows(url_or_path: str | Path) -> dict[str, list[str]]:
    """Every row of every table of a SQLite database (a `sqlite:///` URL or a path), sorted:
    two snapshots are equal exactly when nothing was changed."""
    path = Path(str(url_or_path).removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables}
