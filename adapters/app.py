"""The composition root: settings → store → transports → bot. Nothing else wires them."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bot.campaigns.outbox import Outbox
from bot.content.library import Content, content_source, load_content
from bot.conversation.engine import Bot
from bot.core.clock import SystemClock
from bot.core.ports import Clock, Directory, DraftSink, PlatformRouter, Store, Transport
from bot.core.settings import Settings, load_settings, parse_dotenv
from bot.flows.services import Services
from bot.reporting.draft.template import chosen_template, template_bytes
from storage import open_store
from storage.files import DirectoryDraftSink

if TYPE_CHECKING:
    from adapters.slack.bolt_app import SlackAdapter
    from adapters.teams.bot import TeamsAdapter


def settings_from_environment(cwd: Path | None = None) -> Settings:
    """Settings from the environment, with a `.env` file in the working directory as fallback."""
    dotenv_path = (cwd or Path.cwd()) / ".env"
    dotenv = parse_dotenv(dotenv_path.read_text(encoding="utf-8")) if dotenv_path.is_file() else {}
    return load_settings(os.environ, dotenv)


@dataclass
class App:
    """A wired bot and the resources to release when done."""

    bot: Bot
    services: Services
    store: Store  # the whole store: the core sees it only through its roles (Services)
    # Resources besides the store to release on close (e.g. HTTP sessions of platform clients).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in self.closers:
            await close()
        await self.store.close()


async def open_app(
    settings: Settings,
    *,
    transport: Transport,
    directory: Directory | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    sink: DraftSink | None = None,
    content: Content | None = None,
    send_rate: float | None = None,
) -> App:
    """Opens the store named by the settings (unless given) and wires the bot around it.

    The content and the Word template are checked first: a bad edit stops the start with its
    file and key, and an unusable template with why, before anything is opened."""
    content = content or load_content(content_source(settings.content_dir))
    template = chosen_template(settings.draft_template, settings.content_dir)
    if template is not None:
        template_bytes(template)  # raises TemplateError
    store = store or await open_store(settings.database_url, pool_size=settings.db_pool_size)
    if directory is None:
        from adapters.console.transport import ConsoleDirectory

        directory = ConsoleDirectory(store)
    services = Services.over(
        store,
        transport=transport,
        directory=directory,
        clock=clock or SystemClock(),
        sink=sink or DirectoryDraftSink(settings.draft_dir),
        settings=settings,
        content=content,
    )
    services = replace(services, outbox=Outbox(services, send_rate, PLATFORM_SEND_RATES))
    return App(bot=Bot(services), services=services, store=store)


# Invitations per second into Slack: each is one DM, and Slack allows about one message per
# second per channel plus a workspace budget of several hundred a minute. The outbox halves its
# pace on HTTP 429 and honours Retry-After.
SLACK_SEND_RATE = 4.0
# Teams allows 50 requests per second per app and tenant (an older revision of its docs: 30), and
# one invitation to each person never meets its per-conversation limit: start higher there.
PLATFORM_SEND_RATES = {"teams": 10.0}


async def open_platform_app(
    settings: Settings, socket_mode: bool = False, clock: Clock | None = None
) -> tuple[App, SlackAdapter | None, TeamsAdapter | None]:
    """The wiring of `serve`: one store, a transport and directory per platform, the bot, and
    the Slack adapter when Slack is configured. (`clock`: the system's unless a benchmark
    simulates time.)"""
    from adapters.console.transport import ConsoleDirectory, ConsoleTransport
    from adapters.slack.bolt_app import SlackAdapter
    from adapters.slack.people import SlackPeople, remember_workspace
    from adapters.slack.transport import SlackTransport, close_client, make_client
    from adapters.teams.bot import TeamsAdapter
    from adapters.teams.connection import TeamsConnection
    from adapters.teams.people import TeamsPeople
    from adapters.teams.transport import TeamsTransport
    from adapters.teams.uploader import DraftUploader

    content = load_content(content_source(settings.content_dir))  # a bad edit stops us here
    store = await open_store(settings.database_url, pool_size=settings.db_pool_size)
    transports: dict[str, Transport] = {"console": ConsoleTransport()}
    directories: dict[str, Directory] = {"console": ConsoleDirectory(store)}
    slack_parts = None
    # Invitations start at a few per second and the pace learns each platform's limit from its
    # 429s (Slack: ~1/s per channel and a workspace budget; Teams: a per-app budget).
    rate = SLACK_SEND_RATE
    slack_on = settings.slack_on or (
        socket_mode and bool(settings.slack_bot_token and settings.slack_app_token)
    )
    if slack_on:
        client = make_client(settings.slack_bot_token, settings.slack_api_url)
        sender = make_client(settings.slack_bot_token, settings.slack_api_url, wait_on_429=False)
        slack_transport = SlackTransport(sender)
        people = SlackPeople(client, settings.slack_include_guests, known=store.get_person)
        transports["slack"] = slack_transport
        directories["slack"] = people
        slack_parts = (client, people, slack_transport)
    teams_connection = None
    if not socket_mode:
        teams_connection = TeamsConnection(settings)
        transports["teams"] = TeamsTransport(teams_connection, store, content, settings.language)
        directories["teams"] = TeamsPeople(store)
    router = PlatformRouter(transports, directories)
    app = await open_app(settings, transport=router, directory=router, store=store,
                         content=content, send_rate=rate, clock=clock)  # fmt: skip
    slack = None
    if slack_parts is not None:
        client, people, slack_transport = slack_parts
        # Over Socket Mode no HTTP request reaches us, so there is no signature to check.
        secret = None if socket_mode else settings.slack_signing_secret
        slack = SlackAdapter(app.bot, client, secret, people, slack_transport)
        slack.later(remember_workspace(client, app.store, app.services.clock))
        app.closers += [
            partial(close_client, client),
            partial(close_client, slack_transport.client),
        ]
    teams = None
    if teams_connection is not None:
        uploader = DraftUploader(teams_connection, app.store)
        teams_transport = transports["teams"]
        assert isinstance(teams_transport, TeamsTransport)
        teams = TeamsAdapter(app.bot, teams_connection, teams_transport, uploader)
    return app, slack, teams
