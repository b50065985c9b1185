"""Neutral messages in and out of the core.

Outbound: text, choices (buttons or a select), a card with sections, and shared files. Every
outbound message has a plain-text fallback (`plain()`), which the console and notifications use.
Adapters render these into Block Kit, Adaptive Cards or terminal text; the core never builds
platform markup.

Inbound: a person said text, clicked a choice, or issued a command. Each carries an event id;
an event id seen before has no effect a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.core.domain import DraftFile, Person

# ---------------------------------------------------------------- outbound


@dataclass(frozen=True)
class Choice:
    """One clickable option. `value` comes back in a `Clicked` event."""

    value: str
    label: str


@dataclass(frozen=True)
class Text:
    text: str

    def plain(self) -> str:
        return self.text


@dataclass(frozen=True)
class Choices:
    """A prompt with options. `action` names what a click on it answers (e.g. a question)."""

    text: str
    choices: tuple[Choice, ...]
    action: str
    style: Literal["buttons", "select"] = "buttons"
    hint: str = ""  # how to answer by typing, shown in the plain-text fallback (the console)
    # How to answer where the choices are buttons (Slack, Teams); empty: `hint` serves both.
    click_hint: str = ""

    def plain(self) -> str:
        lines = [self.text]
        lines += [f"  {i}. {c.label}" for i, c in enumerate(self.choices, start=1)]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


@dataclass(frozen=True)
class CardSection:
    title: str = ""
    body: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    def plain(self) -> str:
        lines = []
        if self.title:
            lines.append(self.title)
        if self.body:
            lines.append(self.body)
        lines += [f"  {name}: {value}" for name, value in self.fields]
        return "\n".join(lines)


@dataclass(frozen=True)
class Picture:
    """A chart that goes with a card: a small PNG, its file name, and the same figures in words
    (`alt`) for screen readers and for clients that show no images."""

    name: str
    data: bytes = field(repr=False)
    alt: str = ""


@dataclass(frozen=True)
class Card:
    """A structured message. `fallback` is what a client without cards shows. `pictures` are
    shown after the card (Slack: uploaded into the same conversation; Teams: inline images);
    the card's own text never depends on them."""

    title: str
    sections: tuple[CardSection, ...] = ()
    actions: tuple[Choice, ...] = ()
    action: str = ""
    fallback: str = ""
    pictures: tuple[Picture, ...] = ()

    def plain(self) -> str:
        if self.fallback:
            return self.fallback
        parts = [self.title] + [s.plain() for s in self.sections]
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class FileShare:
    """Files for the recipient (the policy draft), with a message and where they were kept."""

    text: str
    files: tuple[DraftFile, ...]
    locations: tuple[str, ...] = ()
    stored: tuple[int, ...] = ()  # each file's id in the store (`Store.draft_file`)

    def plain(self) -> str:
        return "\n".join([self.text, *[f"  {loc}" for loc in self.locations]])


Message = Text | Choices | Card | FileShare


# ---------------------------------------------------------------- inbound


@dataclass(frozen=True)
class Said:
    """A person wrote text to the bot in a direct conversation."""

    event_id: str
    person: Person
    text: str
    address: str | None = None  # see InboundEvent


@dataclass(frozen=True)
class Clicked:
    """A person clicked an option of a `Choices` or `Card` message."""

    event_id: str
    person: Person
    action: str
    value: str
    address: str | None = None  # see InboundEvent


@dataclass(frozen=True)
class Commanded:
    """A person issued a command explicitly (Slack `/imvo …`, a leading `/imvo` elsewhere)."""

    event_id: str
    person: Person
    text: str
    address: str | None = None  # see InboundEvent


@dataclass(frozen=True)
class StartRequested:
    """A lead asked for a campaign through a form: whom and until when, as data (no text to
    parse). `audience` holds the platform's own references to people and groups, as its
    directory resolves them (Slack: `<@U123>`, `<#C123>`)."""

    event_id: str
    person: Person
    audience: tuple[str, ...] = ()
    everyone: bool = False
    deadline: date | None = None
    address: str | None = None


InboundEvent = Said | Clicked | Commanded | StartRequested
"""Every event a platform can bring. Each carries `address`: where the platform can reach the
person later (a Teams conversation reference) when the event came from their personal chat; the
engine stores it with the turn, and only when it changed."""
