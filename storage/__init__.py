"""Concrete stores behind `bot.ports.Store`, and the draft folder behind `bot.ports.DraftSink`.

`open_store(url)` is what the composition root calls: it picks the store for a database URL,
opens it and brings its schema up to date.
"""

from __future__ import annotations

from urllib.parse import unquote

from bot.ports import Store
from storage.sqlite import SqliteStore
from storage.sqlite_schema import SchemaVersionError

__all__ = ["StoreConfigError", "open_store", "sqlite_path"]

_ACCEPTED = "sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:///:memory:"


class StoreConfigError(ValueError):
    """A database URL this version cannot use. The message is one line, fit to show a user."""


def sqlite_path(url: str) -> str:
    """The file path (or `:memory:`) of a `sqlite:///...` URL; StoreConfigError otherwise."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep:
        raise StoreConfigError(f"not a database URL: {url!r}; use {_ACCEPTED}")
    if scheme.startswith("postgres"):
        raise StoreConfigError(
            "PostgreSQL support is not available in this version; use sqlite:///path"
        )
    if scheme != "sqlite":
        # Only the scheme is echoed: the rest of a URL may hold a password.
        raise StoreConfigError(f"unsupported database URL scheme {scheme!r}; use {_ACCEPTED}")
    if not rest.startswith("/") or rest == "/":
        raise StoreConfigError(f"a SQLite URL needs a path after 'sqlite:///'; use {_ACCEPTED}")
    return unquote(rest[1:])


async def open_store(url: str) -> Store:
    """Opens the store at `url` (creating the file and its folders) and migrates its schema.

    Raises StoreConfigError for a URL it cannot use or a database written by a newer bot.
    """
    store = await SqliteStore.open(sqlite_path(url))
    try:
        await store.migrate()
    except SchemaVersionError as exc:
        await store.close()
        raise StoreConfigError(str(exc)) from exc
    except BaseException:
        await store.close()
        raise
    return store
