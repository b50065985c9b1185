"""Concrete stores behind `bot.core.ports.Store`, and the draft folder behind
`bot.core.ports.DraftSink`.

`open_store(url)` is what the composition root calls: it picks the store for a database URL,
opens it and brings its schema up to date.
"""

from __future__ import annotations

from urllib.parse import unquote

import asyncpg

from bot.core.ports import Store
from storage.postgres import PostgresStore
from storage.postgres_rows import redacted, scrubbed
from storage.sqlite import SqliteStore
from storage.sqlite_schema import SchemaVersionError

__all__ = ["StoreConfigError", "open_store", "sqlite_path"]

_ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory:"
    " or postgresql://user:password@host:5432/database"
)
_POSTGRES_SCHEMES = ("postgresql", "postgres")


class StoreConfigError(ValueError):
    """A database URL this version cannot use. The message is one line, fit to show a user."""


def _scheme(url: str) -> str:
    scheme, sep, _ = url.strip().partition("://")
    if not sep:
        raise StoreConfigError(f"not a database URL: {url!r}; use {_ACCEPTED}")
    return scheme.lower()


def sqlite_path(url: str) -> str:
    """The file path (or `:memory:`) of a `sqlite:///...` URL; StoreConfigError otherwise."""
    scheme = _scheme(url)
    rest = url.strip().partition("://")[2]
    if scheme != "sqlite":
        # Only the scheme is echoed: the rest of a URL may hold a password.
        raise StoreConfigError(f"not a SQLite URL (scheme {scheme!r}); use {_ACCEPTED}")
    if not rest.startswith("/") or rest == "/":
        raise StoreConfigError(f"a SQLite URL needs a path after 'sqlite:///'; use {_ACCEPTED}")
    return unquote(rest[1:])


async def open_store(url: str, *, pool_size: int = 10) -> Store:
    """Opens the store at `url` and migrates its schema.

    `sqlite:///path` opens (creating the file and its folders) a SQLite database;
    `postgresql://...` (or `postgres://...`) connects a pool of up to `pool_size` connections.
    Raises StoreConfigError for a URL it cannot use, a PostgreSQL server that does not answer,
    or a database written by a newer bot.
    """
    scheme = _scheme(url)
    store: Store
    if scheme in _POSTGRES_SCHEMES:
        store = await _open_postgres(url.strip(), pool_size)
    elif scheme == "sqlite":
        store = await SqliteStore.open(sqlite_path(url))
    else:
        # Only the scheme is echoed: the rest of a URL may hold a password.
        raise StoreConfigError(f"unsupported database URL scheme {scheme!r}; use {_ACCEPTED}")
    try:
        await store.migrate()
    except SchemaVersionError as exc:
        await store.close()
        raise StoreConfigError(str(exc)) from exc
    except asyncpg.PostgresError as exc:
        # A server that refuses the schema: no rights to create tables, a search_path naming
        # no schema. That is for whoever set up the database, so it gets the one-line message.
        await store.close()
        raise StoreConfigError(
            f"cannot bring the PostgreSQL database at {redacted(url)} up to date:"
            f" {_reason(exc, url)}"
        ) from exc
    except BaseException:
        await store.close()
        raise
    return store


async def _open_postgres(url: str, pool_size: int) -> Store:
    try:
        return await PostgresStore.open(url, pool_size)
    except (
        OSError,
        TimeoutError,
        ValueError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        raise StoreConfigError(
            f"cannot open the PostgreSQL database at {redacted(url)}: {_reason(exc, url)}"
        ) from exc


def _reason(exc: BaseException, url: str) -> str:
    """A driver's error in one line, and never the password: the URL we show is stripped of
    it, and this masks it should the driver's message quote it."""
    return scrubbed(" ".join(str(exc).split()) or type(exc).__name__, url)
