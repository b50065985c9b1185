"""Console transport and directory: people are names, direct messages are lines of text."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.core.domain import AudienceResolution, Delivery, Person, PersonKey
from bot.core.messages import Card, Choices, Message
from bot.core.ports import Store

PLATFORM = "console"
TENANT = "local"


def console_key(name: str) -> PersonKey:
    return PersonKey(PLATFORM, TENANT, name.strip().lstrip("@").lower())


def console_name(name: str) -> str:
    """How a console person is called: `--user sanne` is "Sanne"; a name typed with capitals
    ("McAllister", "anne-Marie") keeps them, as a chat platform's name would."""
    name = name.strip().lstrip("@")
    return name.title() if name.islower() else name


def render(message: Message) -> str:
    """A neutral message as terminal text: its plain-text fallback, then a line for each of a
    card's pictures, so the person at the terminal knows a chart went with it (and what it
    shows, in words)."""
    text = message.plain()
    if isinstance(message, Card) and message.pictures:
        lines = [f"[📊 {' '.join((p.alt or p.name).split())}]" for p in message.pictures]
        text = "\n".join([text, *lines])
    return text


class ConsoleTransport:
    """Delivers messages to console people.

    Every message is kept in the recipient's inbox (the demo and tests read it). Messages for
    the person at the terminal (`me`) are handed to `show`; for anyone else `note` is called
    once, so the terminal can say that someone got a direct message.
    """

    def __init__(
        self,
        me: PersonKey | None = None,
        show: Callable[[Message], None] | None = None,
        note: Callable[[PersonKey], None] | None = None,
    ) -> None:
        self.inbox: dict[PersonKey, list[Message]] = defaultdict(list)
        self._me = me
        self._show = show
        self._note = note
        self._noted: set[PersonKey] = set()

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        self.inbox[to].append(message)
        if to == self._me and self._show is not None:
            self._show(message)
        elif to != self._me and self._note is not None and to not in self._noted:
            self._noted.add(to)
            self._note(to)
        await asyncio.sleep(0)
        return Delivery(ok=True)

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        return None  # a terminal keeps no history to look in

    def last(self, to: PersonKey) -> Message | None:
        messages = self.inbox.get(to)
        return messages[-1] if messages else None


class ConsoleDirectory:
    """Resolves `start` audiences: names become console people; `all` is everyone known."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def resolve_audience(
        self, platform: str, tenant: str, words: Sequence[str], everyone: bool
    ) -> AudienceResolution:
        people: list[Person] = []
        unknown: list[str] = []
        if everyone:
            people += [p for p in await self._store.people(PLATFORM, tenant) if not p.is_bot]
        for word in words:
            name = word.strip().lstrip("@").strip(",")
            if not name or name.startswith(("#", "<")) or not _is_name(name):
                unknown.append(word)
                continue
            key = console_key(name)
            known = await self._store.get_person(key)
            people.append(known or Person(key=key, display_name=console_name(name)))
        return AudienceResolution(tuple(people), tuple(unknown))


def _is_name(word: str) -> bool:
    return len(word) <= 64 and all(ch.isalnum() or ch in "._-" for ch in word)


def as_click(text: str, shown: Message | None) -> tuple[str, str] | None:
    """A bare number typed right after a message with choices picks that choice, as a click would.

    Returns (action, value) for the click, or None when the text is an ordinary reply.
    """
    if not isinstance(shown, Choices):
        return None
    word = text.strip()
    if not word.isdigit() or not 1 <= int(word) <= len(shown.choices):
        return None
    return shown.action, shown.choices[int(word) - 1].value
