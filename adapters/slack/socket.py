"""`imvo-bot slack-socket`: the same Slack app over Socket Mode, for a bot behind a firewall.

No public URL is needed: the bot opens a WebSocket to Slack (`apps.connections.open` with the
app-level token `SLACK_APP_TOKEN`) and receives events, clicks and `/imvo` through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from adapters.app import open_platform_app
from bot.core.settings import Settings, SettingsError


def check_socket_settings(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_APP_TOKEN", settings.slack_app_token),
        )
        if not value
    ]
    if missing:
        raise SettingsError(f"Socket Mode needs {' and '.join(missing)} (an xapp- app-level token)")
    if not settings.slack_app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")


async def run_socket_mode(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Connects and serves until SIGINT/SIGTERM (or `stop`); the scheduler ticks alongside."""
    check_socket_settings(settings)
    app, slack, _ = await open_platform_app(settings, socket_mode=True)
    assert slack is not None
    handler = AsyncSocketModeHandler(slack.app, settings.slack_app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    print("imvo-bot connected to Slack over Socket Mode", flush=True)
    ticking = asyncio.create_task(app.bot.scheduler.run_forever(30.0))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        ticking.cancel()
        await handler.close_async()  # type: ignore[no-untyped-call]
        await slack.drain()
        await app.close()
    return 0
