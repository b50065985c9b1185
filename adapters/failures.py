"""What a request that failed inside the bot is answered with: never a traceback, never a 5xx
for what a client sent.

- The database (or another service the bot needs) did not answer: 503 with `Retry-After`, so
  that Slack and Teams deliver the event again later; nothing was stored, the turn is atomic.
- Anything else: 400 with an error id. The same id is in the log line with the traceback, so an
  operator can find it from what a client reports.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from typing import Any

import asyncpg

log = logging.getLogger("imvo.server")

RETRY_AFTER = "30"  # seconds

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionError, refused or reset sockets
    TimeoutError,
    asyncio.TimeoutError,
    sqlite3.OperationalError,  # locked, disk I/O, closed database
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


_AIOSQLITE_GONE = frozenset({"no active connection", "Connection closed"})


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says a service the bot needs is away (so a retry later may succeed)."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    # aiosqlite raises exactly these ValueErrors once its connection is gone.
    return type(exc) is ValueError and str(exc) in _AIOSQLITE_GONE


def answer(exc: BaseException, where: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The status, JSON body and headers for a request that raised `exc`; logs it once."""
    error_id = secrets.token_hex(4)
    if unavailable(exc):
        log.error(
            "[%s] %s: a service the bot needs did not answer (%s: %s); asked to retry",
            error_id,
            where,
            type(exc).__name__,
            exc,
        )
        body = {"ok": False, "error": "temporarily unavailable, try again", "error_id": error_id}
        return 503, body, {"Retry-After": RETRY_AFTER}
    log.error("[%s] %s failed", error_id, where, exc_info=exc)
    return 400, {"ok": False, "error": "could not handle this request", "error_id": error_id}, {}
