"""Recognises commands in what people write, in English and Dutch.

In a direct message a plain reply answers the pending question, so a message only counts as a
command when it is unmistakable: it starts with `/imvo` (or `/`), or, while a question is
pending, it is a single command word such as `help`, `skip` or `back`. With no question
pending, a message that starts with a command word is that command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.content.loader import Messages

COMMANDS = (
    "help",
    "start",
    "status",
    "draft",
    "language",
    "stop",
    "skip",
    "back",
    "guidance",
    "mydata",
    "forget",
    "owners",
    "claim",
    "owner",
    "digest",
)

# Commands that take their words as arguments; others ignore extra words only when explicit.
_TAKES_ARGS = {"start", "language", "guidance", "forget", "claim", "owner"}


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # one of COMMANDS, or "unknown"
    args: tuple[str, ...] = ()
    word: str = ""  # the word the person used


def alias_table(messages: Mapping[str, Messages]) -> dict[str, str]:
    """Every command word of every language, mapped to its command name."""
    table: dict[str, str] = {}
    for msgs in messages.values():
        for name in COMMANDS:
            for word in msgs.words(f"commands.{name}"):
                table[word] = name
    return table


def parse_command(
    text: str, aliases: Mapping[str, str], *, explicit: bool = False, pending: bool = False
) -> ParsedCommand | None:
    """The command in `text`, or None when the text is an ordinary reply."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered == "/imvo" or lowered.startswith("/imvo "):
        stripped = stripped[len("/imvo") :].strip()
        explicit = True
    elif stripped.startswith("/") and len(stripped) > 1:
        stripped = stripped[1:]
        explicit = True
    if explicit and not stripped:
        return ParsedCommand("help")
    words = stripped.split()
    if not words:
        return None
    word = words[0].lower()
    name = aliases.get(word)
    args = tuple(words[1:])
    if name is None:
        return ParsedCommand("unknown", args, words[0]) if explicit else None
    if explicit:
        return ParsedCommand(name, args, word)
    if pending:
        if not args:
            return ParsedCommand(name, (), word)
        if name == "language" and len(args) == 1 and args[0].lower() in ("nl", "en"):
            return ParsedCommand(name, args, word)
        return None
    if args and name not in _TAKES_ARGS:
        return None  # "status of the project is…" is a sentence, not a command
    return ParsedCommand(name, args, word)
