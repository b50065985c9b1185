"""Helpers the benchmarks share: a local server, waiting for health, percentiles, and a tally of
the SQL statements a SQLite store runs."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import aiosqlite
from aiohttp import web


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """Runs `app` on 127.0.0.1 on a free port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def wait_healthy(port: int, attempts: int = 100) -> None:
    """Waits until `imvo-bot serve` answers GET /healthz."""
    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"imvo-bot serve did not answer on port {port}")


async def wait_listening(port: int, attempts: int = 100) -> None:
    """Waits until something accepts connections on 127.0.0.1:`port`."""
    for _ in range(attempts):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listens on port {port}")


def stop_server(server: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, saying so (a container platform would)."""
    server.terminate()
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"imvo-bot serve had not stopped {grace:.0f} s after SIGTERM; killed")
        server.kill()
        server.wait()


def p50_p99(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[98]


async def measure_fan_out(
    wanted: set[str], delivered: Callable[[], Iterable[str]], started: float, limit: float
) -> tuple[Counter[str], float]:
    """Waits until every wanted conversation got the poll (or a generous deadline); returns how
    often each one got it and the seconds it took."""
    deadline = started + len(wanted) / limit * 3 + 60
    while time.monotonic() < deadline:
        if wanted <= set(delivered()):
            break
        await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    return Counter(c for c in delivered() if c in wanted), elapsed


def report_fan_out(
    what: str, wanted: set[str], counts: Counter[str], elapsed: float, limit: float, refused: int
) -> tuple[int, int]:
    """Prints the fan-out figures against the limit; returns (duplicates, lost)."""
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = len(wanted - set(counts))
    achieved = len(counts) / elapsed
    print(f"{what} to {len(wanted):,} people, limit {limit:.0f} messages/s")
    print(
        f"  delivered {len(counts):,} in {elapsed:.1f} s = {achieved:.1f}/s"
        f" = {100 * achieved / limit:.0f} % of the limit   (target >= 90 %)"
    )
    print(f"  duplicates {duplicates}, lost {lost}, 429 answers {refused}")
    return duplicates, lost


BRACKETS = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})


class Tally:
    """Counts the statements SQLite runs (its trace) and the trips to aiosqlite's thread."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.trips = 0
        self.on = False

    def trace(self, sql: str) -> None:
        if self.on and not sql.startswith("--"):  # "-- TRIGGER …" lines are not statements
            self.statements.append(" ".join(sql.split())[:80])

    @property
    def counted(self) -> list[str]:
        """The statements that are work, not transaction brackets (a group commit puts each
        plan in a SAVEPOINT … RELEASE of its own)."""
        return [s for s in self.statements if s.split()[0] not in BRACKETS]

    def reset(self) -> None:
        self.statements.clear()
        self.trips = 0


async def watch(store: object) -> Tally:
    """A tally of everything a SQLite store sends to its database while `on`."""
    tally = Tally()
    db: aiosqlite.Connection = store._db  # type: ignore[attr-defined]
    await db.set_trace_callback(tally.trace)
    real = db._execute

    async def counting(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if tally.on:
            tally.trips += 1
        return await real(fn, *args, **kwargs)

    db._execute = counting  # type: ignore[method-assign]
    return tally
