"""The hot path: one answered question costs at most 4 statements in at most 2 round trips to
the database (the person's rows with the roster's version in one query, then the turn), and a
roster kept in memory never serves a stale role, ownership or campaign, even when another
process on the same database changed it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.app import App, open_app
from adapters.console.transport import ConsoleTransport
from bench.statements import watch
from bot.core.domain import Role
from bot.core.messages import Message, Said
from bot.core.settings import Settings
from storage import writes
from tests.harness import FakeClock, person, texts
from tests.stores import BACKENDS

LEAD, ANNA = person("lead"), person("anna")


async def say(app: App, who: Any, text: str, n: int) -> list[Message]:
    got: list[Message] = []

    async def reply(message: Message) -> None:
        got.append(message)

    await app.bot.handle(Said(f"ev-{who.key.user_id}-{n}", who, text), reply)
    return got


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'imvo.db'}", language="en")
    opened = await open_app(settings, transport=ConsoleTransport(), clock=FakeClock())
    await opened.store.upsert_person(LEAD)
    await opened.store.set_role(LEAD.key, Role.CSR_LEAD, True)
    try:
        yield opened
    finally:
        await opened.close()


async def test_an_answered_question_costs_four_statements_in_two_round_trips(app: App) -> None:
    await say(app, LEAD, "start anna", 1)
    await say(app, ANNA, "1", 1)  # the discipline question
    tally = await watch(app)
    answers = ["We make durable clothes.", "2,3", "Buyers ask for it.", "skip", "back", "1"]
    for n, text in enumerate(answers, start=2):
        tally.on = True
        replies = await say(app, ANNA, text, n)
        tally.on = False
        assert replies, text
        assert len(tally.counted) <= 4, tally.statements
        assert tally.trips <= 2, (tally.trips, tally.statements)
        tally.statements.clear()
        tally.trips = 0


@pytest.fixture(params=sorted(BACKENDS))
async def two_replicas(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[App, App]]:
    async with BACKENDS[request.param](tmp_path) as url:
        settings = Settings(database_url=url, language="en")
        a = await open_app(settings, transport=ConsoleTransport(), clock=FakeClock())
        b = await open_app(settings, transport=ConsoleTransport(), clock=FakeClock())
        try:
            yield a, b
        finally:
            await a.close()
            await b.close()


async def test_a_change_on_another_replica_is_seen_at_the_next_event(
    two_replicas: tuple[App, App],
) -> None:
    a, b = two_replicas
    await a.store.upsert_person(LEAD)
    assert "Only a CSR lead" in texts(await say(a, LEAD, "draft", 1))  # A keeps the roster now

    await b.store.set_role(LEAD.key, Role.CSR_LEAD, True)  # granted through the other replica
    assert "has started for" in texts(await say(a, LEAD, "start anna", 2))

    assert "[2/9]" in texts(await say(b, ANNA, "skip", 1))  # B learns of A's campaign at once
    await b.store.set_role(LEAD.key, Role.CSR_LEAD, False)
    assert "Only a CSR lead" in texts(await say(a, LEAD, "stop", 3))

    await say(b, ANNA, "/imvo claim living-wage", 2)
    owners = texts(await say(a, LEAD, "owners", 4))
    assert "Anna" in owners


async def test_an_address_is_stored_with_the_turn_and_only_when_it_changed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[tuple[object, str]] = []
    real = writes.save_address

    def counting(key: Any, address: str) -> Any:
        saved.append((key, address))
        return real(key, address)

    monkeypatch.setattr(writes, "save_address", counting)

    async def reply(message: Message) -> None:
        return None

    for n, address in enumerate(["chat-1", "chat-1", "chat-1", "chat-2"]):
        await app.bot.handle(Said(f"addr-{n}", ANNA, "help", address), reply)
    assert [a for _, a in saved] == ["chat-1", "chat-2"]
    assert await app.store.address(ANNA.key) == "chat-2"

    await app.store.erase_person(ANNA.key)  # the address goes with the person…
    await app.bot.handle(Said("addr-after", ANNA, "help", "chat-2"), reply)
    assert await app.store.address(ANNA.key) == "chat-2"  # …and comes back with their next word
