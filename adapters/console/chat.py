"""`imvo-bot chat`: the bot in a terminal, interactive or driven line by line through a pipe."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from adapters.app import open_app
from adapters.console.transport import (
    ConsoleTransport,
    as_click,
    console_key,
    console_name,
    render,
)
from bot.core.domain import Person, PersonKey, Role
from bot.core.messages import Clicked, Message, Said
from bot.core.settings import Settings

_QUIT = {"quit", "exit", ":q"}


async def run_chat(
    settings: Settings,
    *,
    user: str,
    role: str | None,
    language: str | None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Reads lines, hands each to the bot as a direct message, prints the bot's replies."""
    interactive = stdin.isatty()
    me = console_key(user)

    def write(text: str) -> None:
        stdout.write(("bot> " if interactive else "") + text + "\n")
        stdout.flush()

    shown: list[Message] = []  # the last message shown to me: a number may pick its choice

    def show(message: Message) -> None:
        shown[:] = [message]
        write(render(message))

    def note(other: PersonKey) -> None:
        msgs = app.services.content.messages_for(language or settings.language)
        write(msgs("console.delivered", user=other.user_id))

    transport = ConsoleTransport(me=me, show=show, note=note)
    app = await open_app(settings, transport=transport)
    try:
        person = Person(key=me, display_name=console_name(user), language=language)
        if language:
            await app.store.upsert_person(person)
        if role and role != Role.EMPLOYEE.value:
            await app.store.set_role(me, Role(role), True)

        async def reply(message: Message) -> None:
            show(message)

        await app.bot.resume(person, reply)
        # Reminders and digests that came due while nobody was chatting go out now, then
        # every half minute while the chat is open.
        await app.bot.scheduler.run_due()
        ticking = asyncio.create_task(app.bot.scheduler.run_forever(30.0))
        while True:
            if interactive:
                stdout.write("you> ")
                stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            text = line.rstrip("\n")
            if interactive and text.strip().lower() in _QUIT:
                break
            event_id = uuid.uuid4().hex
            click = as_click(text, shown[0] if shown else None)
            if click is not None:
                await app.bot.handle(Clicked(event_id, person, *click), reply)
            else:
                await app.bot.handle(Said(event_id, person, text), reply)
        ticking.cancel()
    finally:
        await app.close()
    return 0
