"""Helpers the platform benchmarks share: a local server, waiting for health, percentiles."""

from __future__ import annotations

import asyncio
import statistics

import aiohttp
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


def p50_p99(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[98]
