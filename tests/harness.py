"""A test harness: the real engine and SQLite store, a recording transport, a movable clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.app import App, open_app
from adapters.console.transport import ConsoleTransport, console_key
from bot.core.domain import Person, Role
from bot.core.messages import Clicked, Commanded, InboundEvent, Message, Said
from bot.core.settings import Settings


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class Harness:
    app: App
    transport: ConsoleTransport
    clock: FakeClock
    db: Path
    settings: Settings
    replies: list[Message] = field(default_factory=list)

    async def _run(self, event: InboundEvent) -> list[Message]:
        got: list[Message] = []

        async def reply(message: Message) -> None:
            got.append(message)

        await self.app.bot.handle(event, reply)
        self.replies += got
        return got

    async def say(self, person: Person, text: str, event_id: str | None = None) -> list[Message]:
        return await self._run(Said(event_id or uuid.uuid4().hex, person, text))

    async def command(self, person: Person, text: str) -> list[Message]:
        return await self._run(Commanded(uuid.uuid4().hex, person, text))

    async def click(
        self, person: Person, qid: str, value: str, event_id: str | None = None
    ) -> list[Message]:
        return await self._run(Clicked(event_id or uuid.uuid4().hex, person, f"q:{qid}", value))

    def inbox(self, person: Person) -> list[Message]:
        return self.transport.inbox.get(person.key, [])

    async def reopen(self) -> None:
        """Closes the app and opens a new one on the same database: a restart."""
        await self.app.close()
        self.transport = ConsoleTransport()
        self.app = await open_app(self.settings, transport=self.transport, clock=self.clock)


def person(name: str, language: str | None = "en") -> Person:
    return Person(console_key(name), display_name=name.title(), language=language)


async def make_harness(tmp_path: Path, *, language: str = "en", anonymity_min: int = 5) -> Harness:
    db = tmp_path / "imvo.db"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        language=language,
        draft_dir=tmp_path / "drafts",
        anonymity_min=anonymity_min,
    )
    clock = FakeClock()
    transport = ConsoleTransport()
    app = await open_app(settings, transport=transport, clock=clock)
    return Harness(app, transport, clock, db, settings)


async def make_lead(h: Harness, name: str = "lead", language: str = "en") -> Person:
    lead = person(name, language)
    await h.app.store.upsert_person(lead)
    await h.app.store.set_role(lead.key, Role.CSR_LEAD, True)
    return lead


def texts(messages: list[Message]) -> str:
    return "\n".join(m.plain() for m in messages)


def shared(messages: list[Message]) -> Message:
    """The last file share among `messages` (the `draft` reply; a button may follow it)."""
    from bot.core.messages import FileShare

    return next(m for m in reversed(messages) if isinstance(m, FileShare))
