"""The id of every kind of button the bot sends, each declared once as a typed value.

A button's id (`Choices.action`, `Card.action`) comes back in a click (`Clicked.action`). Each
kind of button is a frozen dataclass below with a prefix and typed fields, as aiogram's
`CallbackData(prefix=...)`: `encode()` makes the id and `parse()` reads it back, here and nowhere
else. What a click of each kind does, and who may click it, is declared in the conversation
floor (bot.conversation.clicks); the flows that build buttons only need this floor.

The format is the prefix alone for a kind without fields (`forget`), else the prefix, a colon
and the fields joined by colons (`approval:12:3`). Only the last field may hold a colon.

Ids are stored nowhere but in messages people have already received, and a click on a button
sent before an upgrade must still work: so a kind's prefix and the order and meaning of its
fields never change (these are the ids the bot has always sent). A new format is a new kind with
a new prefix.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

SEPARATOR = ":"
# An id's length in UTF-8 bytes (never fewer than Slack's UTF-16 units): Slack allows 255 for an
# action id, with "|<choice index>" appended by the adapter; Teams allows 2000.
MAX_ACTION = 200
FIELD_TYPES = (str, int)


def head(action: str) -> str:
    """The part of an id that names its kind: up to and with the first colon, else all of it."""
    before, colon, _ = action.partition(SEPARATOR)
    return before + colon


@dataclass(frozen=True)
class ClickData:
    """The base of every button id: subclasses are frozen dataclasses declared with
    `class Kind(ClickData, prefix="..."):` and fields of type `str` or `int`."""

    prefix: ClassVar[str] = ""

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise TypeError(f"{cls.__name__}: a prefix is a non-empty word without {SEPARATOR!r}")
        cls.prefix = prefix

    @classmethod
    def head(cls) -> str:
        """What every id of this kind starts with; for a kind without fields, the whole id."""
        return cls.prefix + SEPARATOR if _fields(cls) else cls.prefix

    def encode(self) -> str:
        """This button's id. Raises ValueError for an id that could not be read back."""
        declared = _fields(type(self))
        values = [getattr(self, name) for name, _ in declared]
        for (name, kind), value in zip(declared, values, strict=True):
            if type(value) is not kind:
                raise ValueError(f"{type(self).__name__}.{name} is not {kind.__name__}: {value!r}")
            if isinstance(value, int) and value < 0:  # read back as digits only
                raise ValueError(f"{type(self).__name__}.{name} is negative: {value}")
        texts = [str(v) for v in values]
        if any(SEPARATOR in text for text in texts[:-1]):
            raise ValueError(f"only the last field of a button id may hold {SEPARATOR!r}: {self}")
        action = SEPARATOR.join([self.prefix, *texts])
        if _size(action) > MAX_ACTION:
            raise ValueError(f"button id longer than {MAX_ACTION} bytes: {action:.80}…")
        return action

    @classmethod
    def parse(cls, action: str) -> Self | None:
        """The value `action` encodes, or None when it is no id of this kind. Never raises: a
        click's id comes from the client, and anyone can forge it."""
        declared = _fields(cls)
        if _size(action) > MAX_ACTION:
            return None
        if not declared:
            return cls() if action == cls.prefix else None
        if not action.startswith(cls.head()):
            return None
        texts = action[len(cls.head()) :].split(SEPARATOR, len(declared) - 1)
        if len(texts) != len(declared):
            return None
        values: dict[str, str | int] = {}
        for (name, kind), text in zip(declared, texts, strict=True):
            value = _read(kind, text)
            if value is None:
                return None
            values[name] = value
        return cls(**values)


def _read(kind: type, text: str) -> str | int | None:
    if kind is str:
        return text
    # Only the form encode() writes: no sign, spaces or underscores that int() would accept.
    if not (text.isascii() and text.isdigit()) or str(int(text)) != text:
        return None
    return int(text)


_FIELDS: dict[type[ClickData], tuple[tuple[str, type], ...]] = {}


def _fields(cls: type[ClickData]) -> tuple[tuple[str, type], ...]:
    """Each field's name and type (str or int), in order; read once per kind."""
    declared = _FIELDS.get(cls)
    if declared is None:
        hints = typing.get_type_hints(cls)
        declared = tuple((f.name, hints[f.name]) for f in fields(cls))
        for name, kind in declared:
            if kind not in FIELD_TYPES:
                raise TypeError(f"{cls.__name__}.{name}: a button id holds only str and int")
        _FIELDS[cls] = declared
    return declared


def _size(action: str) -> int:
    return len(action.encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------ every kind of button


@dataclass(frozen=True)
class AnswerClick(ClickData, prefix="q"):
    """An option of a poll question; the click's value is the option's key."""

    question: str  # the question's id


@dataclass(frozen=True)
class InvitationClick(ClickData, prefix="own"):
    """Accept or Decline of an invitation to own a theme; values `accept`, `decline`."""

    theme: str  # the theme's key


@dataclass(frozen=True)
class ApprovalClick(ClickData, prefix="approval"):
    """Approve or Request changes, in an approver's message; values `approve`, `changes`."""

    campaign: int
    version: int  # the version of the draft the approver was sent


@dataclass(frozen=True)
class ApprovalRequestClick(ClickData, prefix="approval-request"):
    """The button after `draft` that asks top management to approve the version just made."""


@dataclass(frozen=True)
class ForgetClick(ClickData, prefix="forget"):
    """Yes or no to forget-me's question; the yes carries when it was asked (`yes:<time>`)."""


@dataclass(frozen=True)
class ThemeListClick(ClickData, prefix="guide"):
    """A theme of the guidance list; the value is the theme's key."""


@dataclass(frozen=True)
class ThemePartClick(ClickData, prefix="guide"):
    """Examples or References of a theme's snippet; values `examples`, `references`."""

    theme: str  # the theme's key


@dataclass(frozen=True)
class TopicClick(ClickData, prefix="guide-topic"):
    """An offered guidance topic (the legislation overview after its question); the value is
    the topic."""


@dataclass(frozen=True)
class HomeClick(ClickData, prefix="cmd"):
    """A button of the home view; the value is `continue` or a command's name."""
