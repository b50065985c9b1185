"""Every command's effects are committed once: a failed commit leaves nothing behind, the same
event delivered again changes nothing, and a retry after a failure still gives the effect.

The cases are keyed by the command registry, so a new command without a case fails here. Each
case runs through the real engine on SQLite and on PostgreSQL, and the whole database is read
before and after: a handler that wrote to the store itself would show up as a difference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adapters.app import open_app
from adapters.console.transport import ConsoleTransport
from bot.conversation.engine import registries
from bot.core.clicks import ForgetClick
from bot.core.domain import Role
from bot.core.messages import (
    Choices,
    Clicked,
    Commanded,
    InboundEvent,
    Message,
    Said,
    StartRequested,
)
from bot.core.settings import Settings
from storage import turns
from tests.harness import FakeClock, Harness, person
from tests.stores import BACKENDS

LEAD, MANAGER, ANNA, BRAM = person("lead"), person("manager"), person("anna"), person("bram")


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            tables = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            return {
                t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}")), key=repr) for t in tables
            }
    con = await asyncpg.connect(url)
    try:
        tables = [
            r[0]
            for r in await con.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() ORDER BY 1"
            )
        ]
        return {
            t: sorted((tuple(r) for r in await con.fetch(f"SELECT * FROM {t}")), key=repr)
            for t in tables
        }
    finally:
        await con.close()


@pytest.fixture(params=sorted(BACKENDS))
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """Lead, manager, Anna and Bram known; a campaign for Anna and Bram running; Anna on her
    second question."""
    async with BACKENDS[request.param](tmp_path) as url:
        settings = Settings(database_url=url, draft_dir=tmp_path / "drafts", language="en")
        clock, transport = FakeClock(), ConsoleTransport()
        app = await open_app(settings, transport=transport, clock=clock)
        h = Harness(app, transport, clock, tmp_path / "unused.db", settings)
        for who in (LEAD, MANAGER, ANNA, BRAM):
            await app.store.upsert_person(who)
        await app.store.set_role(LEAD.key, Role.CSR_LEAD, True)
        await app.store.set_role(MANAGER.key, Role.MANAGER, True)
        try:
            yield h
        finally:
            await app.close()


async def running(h: Harness) -> None:
    await h.say(LEAD, "start anna bram")
    await h.click(ANNA, "discipline", "purchasing")


def said(who: Any, text: str) -> Callable[[Harness], Awaitable[InboundEvent]]:
    async def make(h: Harness) -> InboundEvent:
        return Said("case-event", who, text)

    return make


def commanded(who: Any, text: str) -> Callable[[Harness], Awaitable[InboundEvent]]:
    async def make(h: Harness) -> InboundEvent:
        return Commanded("case-event", who, text)

    return make


def clicked_last(
    who: Any, index: int, *, in_inbox: bool = True
) -> Callable[[Harness], Awaitable[InboundEvent]]:
    """A click on a choice of the last message with choices `who` was sent (or, with
    `in_inbox=False`, was given as a reply)."""

    async def make(h: Harness) -> InboundEvent:
        messages = h.inbox(who) if in_inbox else h.replies
        last = next(m for m in reversed(messages) if isinstance(m, Choices))
        return Clicked("case-event", who, last.action, last.choices[index].value)

    return make


@dataclass(frozen=True)
class Case:
    setup: Callable[[Harness], Awaitable[None]]
    event: Callable[[Harness], Awaitable[InboundEvent]]
    changes: bool = True  # whether the event changes the database at all (beyond its id)


async def nothing(h: Harness) -> None:
    return None


async def forget_asked(h: Harness) -> None:
    await running(h)
    await h.say(ANNA, "forget-me")


async def drafted(h: Harness) -> None:
    await running(h)
    await h.say(LEAD, "draft")


async def approval_asked(h: Harness) -> None:
    await drafted(h)
    await h.say(LEAD, "approve request")


async def invited(h: Harness) -> None:
    await running(h)
    await h.say(LEAD, "owner living-wage bram")


COMMAND_CASES: dict[str, Case] = {
    "help": Case(changes=False, setup=running, event=said(ANNA, "/imvo help")),
    "guidance": Case(changes=False, setup=running, event=commanded(ANNA, "guidance living-wage")),
    "language": Case(running, said(ANNA, "language nl")),
    "skip": Case(running, said(ANNA, "skip")),
    "back": Case(running, said(ANNA, "back")),
    "mydata": Case(changes=False, setup=running, event=commanded(ANNA, "mydata")),
    # The question is noted in the conversation state, so that a typed yes can answer it.
    "forget": Case(running, commanded(ANNA, "forget-me")),
    "owners": Case(changes=False, setup=running, event=commanded(ANNA, "owners")),
    "claim": Case(running, commanded(BRAM, "claim living-wage")),
    "start": Case(nothing, said(LEAD, "start anna bram deadline 2026-12-18")),
    "status": Case(changes=False, setup=running, event=said(LEAD, "status")),
    # The compiled files are kept in the database (draft_files) after the turn.
    "draft": Case(changes=True, setup=running, event=said(LEAD, "draft")),
    "stop": Case(running, said(LEAD, "stop")),
    "digest": Case(running, said(MANAGER, "digest")),
    "owner": Case(running, said(LEAD, "owner living-wage bram")),
    "approve": Case(drafted, said(LEAD, "approve request")),
}


def start_form() -> Callable[[Harness], Awaitable[InboundEvent]]:
    async def make(h: Harness) -> InboundEvent:
        return StartRequested("case-event", LEAD, ("anna", "bram"), deadline=date(2026, 12, 18))

    return make


OTHER_CASES: dict[str, Case] = {
    "start form": Case(nothing, start_form()),
    "poll answer": Case(running, said(ANNA, "We make durable clothes, fairly.")),
    "poll click": Case(running, clicked_last(BRAM, 0)),
    "forget-me confirmed": Case(forget_asked, clicked_last(ANNA, 0, in_inbox=False)),
    "forget-me confirmed by typing": Case(forget_asked, said(ANNA, "Ja, graag!")),
    "forget-me declined by typing": Case(forget_asked, said(ANNA, "no thanks")),
    "ownership accepted": Case(invited, clicked_last(BRAM, 0)),
    "ownership declined": Case(invited, clicked_last(BRAM, 1)),
    "approved by click": Case(approval_asked, clicked_last(MANAGER, 0)),
    "changes asked by typing": Case(approval_asked, said(MANAGER, "approve changes more on wages")),
}
CASES = {**COMMAND_CASES, **OTHER_CASES}


def test_every_command_has_a_case() -> None:
    commands, _ = registries()
    assert set(COMMAND_CASES) == set(commands.names)


def failing_after_every_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Makes every turn fail after all its statements ran, inside its transaction."""
    real = turns.apply_turn

    def failing(turn: Any) -> Generator[Any, Any, Any]:
        yield from real(turn)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(turns, "apply_turn", failing)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_failed_commit_leaves_nothing_and_a_retry_applies_once(
    name: str, world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, case = world, CASES[name]
    url = h.settings.database_url
    await case.setup(h)
    event = await case.event(h)

    before = await dump(url)
    with monkeypatch.context() as patch:
        failing_after_every_statement(patch)
        with pytest.raises(RuntimeError, match="disk is full"):
            await h.app.bot.receive(event)
    assert await dump(url) == before, f"{name}: a failed commit left rows behind"

    first = await h.app.bot.receive(event)  # the platform retries: now it commits
    await first.deliver(_ignore)
    applied = await dump(url)
    assert applied["events_seen"] != before["events_seen"]
    others = {t: rows for t, rows in applied.items() if t != "events_seen"}
    unchanged = others == {t: rows for t, rows in before.items() if t != "events_seen"}
    assert unchanged is not case.changes, f"{name}: the retry's effect is not as expected"

    again = await h.app.bot.receive(event)  # delivered once more
    assert again.replies == () and again.after is None
    assert await dump(url) == applied, f"{name}: a redelivered event changed something"


async def _ignore(message: Message) -> None:
    return None


async def test_forget_me_erases_in_the_turn_and_reports_what_it_removed(world: Harness) -> None:
    h = world
    await forget_asked(h)
    question = h.replies[-1]
    assert isinstance(question, Choices) and question.action == ForgetClick().encode()
    replies = await h._run(Clicked("yes-1", ANNA, question.action, question.choices[0].value))
    assert "erased" in replies[-1].plain().lower()
    data = await h.app.store.person_data(ANNA.key)
    assert data.person is None and data.answers == () and data.participations == ()
