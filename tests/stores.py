"""The store backends every storage test runs against.

Each entry is an async context manager that yields the URL of a fresh, empty store for one
test and cleans up after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path


@asynccontextmanager
async def sqlite_backend(tmp_path: Path) -> AsyncIterator[str]:
    yield f"sqlite:///{tmp_path / 'db' / 'contract.db'}"


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[str]]] = {
    "sqlite": sqlite_backend,
}
