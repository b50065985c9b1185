"""The `imvo-bot` command line (also `python -m bot`).

User errors (a wrong argument, a bad setting, broken content) print one clear line and exit
with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence

from adapters.cli_parser import EXIT_USAGE, build_parser
from adapters.content_cli import run_content
from adapters.db_cli import run_db
from bot.content.loader import ContentError, Messages
from bot.core.domain import Campaign, Erasure, Person, Role
from bot.core.ports import Store
from bot.core.settings import Settings, SettingsError
from bot.reporting.draft.template import TemplateError
from storage import StoreConfigError


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args))
    except (UserError, SettingsError, ContentError, StoreConfigError, TemplateError) as exc:
        print(f"imvo-bot {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing left to say to it.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 1


async def _dispatch(args: argparse.Namespace) -> int:
    from adapters.app import settings_from_environment

    if args.command == "content":
        return run_content(args, settings_from_environment())
    if args.command == "manifest":
        return _manifest(args)
    if args.command == "db":
        return await run_db(args)
    settings = settings_from_environment()
    if args.command == "demo":
        from adapters.console.demo import run_demo

        return await run_demo(settings, args.out, args.lang, print)
    if args.command == "chat":
        from adapters.console.chat import run_chat

        user = args.user or getpass.getuser() or "me"
        return await run_chat(settings, user=user, role=args.role, language=args.lang)
    if args.command == "serve":
        from adapters.server import serve

        return await serve(settings, args.host, args.port)
    if args.command == "slack-socket":
        from adapters.slack.socket import run_socket_mode

        return await run_socket_mode(settings)
    if args.command == "compile":
        return await _compile(settings, args)
    if args.command == "roles":
        return await _roles(settings, args)
    if args.command == "digest":
        return await _digest(settings, args)
    if args.command == "user":
        return await _user_data(settings, args)
    raise UserError(f"unknown command {args.command}")


async def _compile(settings: Settings, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from adapters.app import open_app
    from adapters.console.transport import ConsoleTransport
    from bot.reporting.compile import compile_draft

    if args.out is not None:
        settings = replace(settings, draft_dir=args.out)
    if args.template is not None:
        if not args.template.is_file():
            raise UserError(f"--template {str(args.template)!r} is not a file")
        settings = replace(settings, draft_template=args.template)
    app = await open_app(settings, transport=ConsoleTransport())
    try:
        store = app.store
        ask = app.services.content.messages_for(args.lang or settings.language)
        campaign = await _campaign(store, settings, args.campaign, ask)
        language = args.lang or campaign.language
        result = await compile_draft(app.services, campaign, language, args.format)
    finally:
        await app.close()
    msgs = app.services.content.messages_for(language)  # the draft's language throughout
    print(msgs("console.compiled", id=campaign.id, respondents=result.respondents))
    for location in result.locations:
        print(f"  {location}")
    if result.draft.open_items:
        print(msgs("draft.missing", items="\n".join(f"  - {i}" for i in result.draft.open_items)))
    return 0


async def _roles(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.app import open_app
    from adapters.console.transport import ConsoleTransport

    app = await open_app(settings, transport=ConsoleTransport())
    msgs = app.services.content.messages_for(settings.language)
    try:
        if args.action == "list":
            granted = await app.store.roles()
            for key in settings.admins:
                print(f"{key}\t{Role.CSR_LEAD.value}\t(IMVO_ADMINS)")
            for who, role in granted:
                print(f"{who}\t{role.value}")
            if not granted and not settings.admins:
                print(msgs("console.roles_none"))
            return 0
        changed = await app.store.set_role(args.user, Role(args.role), args.action == "grant")
    finally:
        await app.close()
    done = "console.role_granted" if args.action == "grant" else "console.role_revoked"
    said = msgs(done, role=args.role, user=str(args.user))
    print(said if changed else f"{said} {msgs('console.no_change')}")
    return 0


async def _user_data(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.app import open_app
    from adapters.console.transport import ConsoleTransport
    from bot.flows.privacy import export_json

    app = await open_app(settings, transport=ConsoleTransport())
    msgs = app.services.content.messages_for(settings.language)
    try:
        # USER names no tenant (Slack team, Teams tenant): take every stored key it matches.
        found = await app.store.find_keys(args.user.platform, args.user.user_id)
        keys = found or [args.user]
        if args.action == "export":
            for key in keys:
                print(export_json(await app.store.person_data(key), app.services.clock.now()))
            return 0
        key = keys[0]
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError(msgs("console.erase_needs_yes", user=str(key)))
            answer = input(msgs("console.erase_confirm", user=str(key)))
            if answer.strip().lower() not in ("y", "yes", "j", "ja"):
                print(msgs("console.not_erased"))
                return 0
        erasures = [await app.store.erase_person(k) for k in keys]
        erasure = Erasure(
            *(sum(getattr(e, f) for e in erasures) for f in Erasure.__dataclass_fields__)
        )
    finally:
        await app.close()
    if not erasure.total:
        print(msgs("console.nothing_stored", user=str(key)))
        return 0
    print(
        msgs(
            "console.erased",
            user=str(key),
            answers=erasure.answers,
            roles=erasure.roles,
            ownerships=erasure.ownerships,
            participations=erasure.participations,
            records=erasure.records,
        )
    )
    return 0


async def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.app import open_app
    from adapters.console.transport import ConsoleTransport
    from bot.reporting.digest_delivery import compose_digest, deliver_digest, remember

    app = await open_app(settings, transport=ConsoleTransport())
    msgs = app.services.content.messages_for(settings.language)
    try:
        store = app.store
        campaign = await _campaign(store, settings, args.campaign, msgs)
        if args.print:
            language = args.lang or campaign.language
            digest = await compose_digest(app.services, campaign, language, "print", pictures=False)
            await remember(app.services, campaign, "print", digest)
            print(digest.markdown)
            return 0
        managers = sorted(
            {
                k
                for k, role in await store.roles()
                if role is Role.MANAGER and k.platform == campaign.platform
            }
        )
        if not managers:
            raise UserError(msgs("console.no_managers"))
        for key in managers:
            person = await store.get_person(key)
            delivery = await deliver_digest(app.services, campaign, person or Person(key))
            if delivery.ok:
                print(msgs("console.digest_sent", user=str(key)))
            else:
                print(msgs("console.digest_failed", user=str(key), error=str(delivery.error)))
    finally:
        await app.close()
    return 0


async def _campaign(
    store: Store, settings: Settings, campaign_id: int | None, msgs: Messages
) -> Campaign:
    """The campaign a command names, or the latest one; a clear error when there is none."""
    campaign = (
        await store.get_campaign(campaign_id) if campaign_id else await store.latest_campaign()
    )
    if campaign is None:
        database = settings.database_url
        if campaign_id:
            raise UserError(msgs("console.no_such_campaign", database=database, id=campaign_id))
        raise UserError(msgs("console.no_campaign", database=database))
    return campaign


def _manifest(args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from adapters.slack.manifest import slack_manifest

    if args.platform == "teams":
        return _teams_package(args)
    if args.url is not None:
        parsed = urlparse(args.url)
        if parsed.scheme != "https" or not parsed.netloc:
            raise UserError(
                f"--url must be the public https:// address of the server, not {args.url!r}"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "slack-manifest.yaml"
    path.write_text(slack_manifest(args.url), encoding="utf-8")
    mode = f"HTTP at {args.url.rstrip('/')}/slack/events" if args.url else "Socket Mode"
    print(f"Slack app manifest ({mode}) written to {path.resolve()}")
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from adapters.app import settings_from_environment
    from adapters.teams.manifest import teams_package

    if args.url is None or urlparse(args.url).scheme != "https" or not urlparse(args.url).netloc:
        raise UserError(
            "the Teams package needs --url with the public https:// address of the server"
        )
    app_id = settings_from_environment().teams_app_id
    if not app_id:
        raise UserError(
            "set MicrosoftAppId (the Azure Bot's app id) first: the package names the bot by it"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "imvo-teams-app.zip"
    path.write_bytes(teams_package(args.url, app_id))
    print(
        f"Teams app package written to {path.resolve()}"
        " (upload it in Teams: Apps → Manage your apps)"
    )
    return 0
