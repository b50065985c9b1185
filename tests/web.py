"""Serving an aiohttp application for a test: the bot's own server or a fake platform."""

from __future__ import annotations

from aiohttp import web


async def listen(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serves `app` on a free port of 127.0.0.1 (no access log): its runner, to clean up after
    the test, and its base URL, ending in `/`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"
