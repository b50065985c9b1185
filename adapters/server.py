"""`imvo-bot serve`: one aiohttp server for Slack (`POST /slack/events`), Teams
(`POST /api/messages`), `GET /healthz`, and the privacy notice and terms of use (`GET /privacy`,
`GET /terms`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response

from adapters import failures
from adapters.app import App, open_platform_app
from adapters.legal_pages import LegalPages
from adapters.slack import edge
from adapters.slack.bolt_app import SlackAdapter
from adapters.teams.bot import TeamsAdapter
from adapters.teams.connection import is_loopback
from bot.core.ports import Clock
from bot.core.settings import Settings, SettingsError

log = logging.getLogger("imvo.server")
# Slack's own payloads are small; a generous cap still refuses absurd bodies with 413.
MAX_BODY = 1024 * 1024
SHUTDOWN_SECONDS = 8.0  # SIGTERM to exit; under the usual 10 s grace period
HEALTH_TIMEOUT = 2.0  # seconds the database may take to answer a health check
# Allocations (net of frees) between two collections of the youngest generation; Python's
# default of 700 had the collector run every few requests (see `settle_collector`).
GC_YOUNG = 50_000


class Server:
    """The wired bot, its platform adapters and the HTTP application."""

    def __init__(self, app: App, slack: SlackAdapter | None, teams: TeamsAdapter | None) -> None:
        self.app = app
        self.slack = slack
        self.teams = teams
        self.web = web.Application(client_max_size=MAX_BODY, middlewares=[guard])
        self.web.router.add_get("/healthz", self.healthz)
        # Rendered once, here: a request only picks the language (HEAD answers too).
        self.pages = LegalPages(app.services.content, app.services.settings)
        self.web.router.add_get("/privacy", self.pages.privacy)
        self.web.router.add_get("/terms", self.pages.terms)
        if slack is not None:
            self.web.router.add_post("/slack/events", self.slack_events)
        if teams is not None:
            self.web.router.add_post("/api/messages", self.teams_messages)

    async def healthz(self, request: web.Request) -> web.Response:
        """200 while this replica can reach its database; 503 otherwise, so that a load
        balancer sends nothing to a replica that could not store an answer."""
        teams = (
            None
            if self.teams is None
            else ("on" if self.teams.authenticated else "unauthenticated")
        )
        try:
            await asyncio.wait_for(self.app.store.get_campaign(0), HEALTH_TIMEOUT)
        except Exception as exc:  # any failure to query means: not fit to take events
            log.warning("health check: the database does not answer: %s", type(exc).__name__)
            return web.json_response(
                {"ok": False, "database": "unreachable", "slack": self.slack is not None},
                status=503,
            )
        return web.json_response(
            {"ok": True, "database": "ok", "slack": self.slack is not None, "teams": teams}
        )

    async def teams_messages(self, request: web.Request) -> web.StreamResponse:
        assert self.teams is not None
        return await self.teams.process(request)

    async def slack_events(self, request: web.Request) -> web.Response:
        """The signature and the body's shape are checked at the edge (`adapters.slack.edge`);
        only what fits reaches Bolt and the listeners."""
        assert self.slack is not None
        raw = await request.read()
        secret = self.slack.signing_secret
        headers = request.headers
        if secret is not None and not edge.signed(
            secret,
            raw,
            headers.get("X-Slack-Request-Timestamp"),
            headers.get("X-Slack-Signature"),
        ):
            return web.Response(status=401, text="invalid or stale Slack signature")
        verdict = edge.inspect(raw, headers.get("Content-Type", ""))
        if not verdict.passes:
            if not verdict.quiet:
                log.warning("Slack request not handled (%s): %s", verdict.status, verdict.reason)
            return web.Response(status=verdict.status or 400, text=verdict.reason)
        answer = await self.slack.dispatch(verdict, request.query_string, headers)
        return await to_aiohttp_response(answer)


@web.middleware
async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Whatever escapes a handler becomes a clear 400 or 503 with a logged error id."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except Exception as exc:
        status, body, headers = failures.answer(exc, f"{request.method} {request.path}")
        return web.json_response(body, status=status, headers=headers)


async def build_server(settings: Settings, clock: Clock | None = None) -> Server:
    app, slack, teams = await open_platform_app(settings, clock=clock)
    return Server(app, slack, teams)


def platforms_line(settings: Settings) -> str:
    if settings.slack_on:
        return f"Slack: on (POST /slack/events, Web API at {settings.slack_api_url})"
    names = (
        ("SLACK_BOT_TOKEN", settings.slack_bot_token),
        ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
    )
    missing = [name for name, value in names if not value]
    return "Slack: off (" + " and ".join(missing) + " not set)"


def teams_line(settings: Settings, host: str) -> str:
    if settings.teams_app_id:
        return "Teams: on (POST /api/messages; every request's token is validated)"
    return (
        "Teams: UNAUTHENTICATED (no MicrosoftAppId): POST /api/messages accepts only loopback "
        "serviceUrls, for local testing with the Bot Framework Emulator"
    )


def check_unauthenticated(settings: Settings, host: str) -> None:
    """Refuses an unauthenticated Teams endpoint on a public address unless explicitly allowed."""
    if settings.teams_app_id or settings.allow_unauthenticated or is_loopback("http://" + host):
        return
    raise SettingsError(
        f"refusing to serve Teams without MicrosoftAppId on {host}: set the Bot Framework "
        "credentials, listen on 127.0.0.1, or set IMVO_ALLOW_UNAUTHENTICATED=1"
    )


async def shut_down(
    server: Server, runner: web.AppRunner, site: web.TCPSite, ticking: asyncio.Task[None]
) -> None:
    """Stops within SHUTDOWN_SECONDS of SIGTERM (container platforms kill after a grace period
    of often 10 s), handing back what this replica holds: no new requests; the invitations
    in flight given part of the time, then the scheduler stopped and every claimed job and
    invitation that was not started handed back; replies in flight given what time is left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_SECONDS

    def left(share: float = 1.0) -> float:
        return max(0.05, (deadline - loop.time()) * share)

    started = loop.time()
    await site.stop()  # no new connections; requests under way still finish
    outbox = server.app.services.outbox
    if outbox is not None:
        await outbox.stop(left(0.5))
    ticking.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(ticking, left(0.2))
    store = server.app.store
    with contextlib.suppress(Exception):
        released = await asyncio.wait_for(store.release_claims(server.app.services.replica), 1.0)
        log.info("handed back %d claimed invitations and jobs", released)
    for adapter in (server.slack, server.teams):
        if adapter is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(adapter.drain(), left(0.5))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(runner.cleanup(), left())
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server.app.close(), max(0.5, left()))
    log.info("stopped in %.1f s", loop.time() - started)


def settle_collector() -> None:
    """Tunes Python's cyclic garbage collector for a long-running server, once everything
    loaded at start (content, templates, Bolt, the SQL) is in place.

    Measured under the closed-loop benchmark, the collector took about a tenth of the
    process's CPU: the youngest generation was collected every few requests, and each full
    collection walked the ~100,000 objects loaded at start (tens of ms each). Freezing moves
    those into a generation no collection walks; a larger threshold lets what a request made
    and dropped again be freed by reference counting before a collection looks at it. Garbage
    in cycles still goes, only in larger batches.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


async def serve(settings: Settings, host: str, port: int) -> int:
    """Runs until SIGINT/SIGTERM; the scheduler ticks alongside."""
    check_unauthenticated(settings, host)
    server = await build_server(settings)
    settle_collector()
    runner = web.AppRunner(server.web, shutdown_timeout=SHUTDOWN_SECONDS / 4)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"imvo-bot serving on http://{host}:{port}  (GET /healthz, /privacy, /terms)", flush=True)
    print(platforms_line(settings), flush=True)
    print(teams_line(settings, host), flush=True)
    ticking = asyncio.create_task(server.app.bot.scheduler.run_forever(30.0))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await shut_down(server, runner, site, ticking)
    return 0
