"""The command registry: each command is declared once, with its name, the roles it needs and
its handler, as a `Command` in its handler module's `COMMANDS`; the engine builds the registry
from those, so nothing registers itself on import. Its words in English and Dutch come from
`content/<lang>/messages.toml` (`commands.<name>`), its help line from `help.does.<name>` (and
`help.usage.<name>` for its arguments); help, role refusals and aliases are all made from the
registry.

Recognising commands: in a direct message a plain reply answers the pending question, so a
message only counts as a command when it is unmistakable: it starts with `/imvo` (or `/`), or,
while a question is pending, it is a single command word such as `help`, `skip` or `back`. With
no question pending, a message that starts with a command word is that command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from bot.content import guidance as guide
from bot.content.loader import Messages
from bot.core.domain import Role
from bot.core.messages import Card, CardSection
from bot.flows.loading import Sessions
from bot.flows.outcome import Outcome, Session
from bot.flows.services import Services


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # a registered command, or "unknown"
    args: tuple[str, ...] = ()
    word: str = ""  # the word the person used


@dataclass(frozen=True)
class Words:
    """Words that commands recognise in their arguments, in every language."""

    everyone: frozenset[str]
    deadline: frozenset[str]
    parts: Mapping[str, frozenset[str]]  # guidance part → its words
    topics: Mapping[str, frozenset[str]]  # guidance topic → its words

    @classmethod
    def of(cls, messages: Iterable[Messages]) -> Words:
        all_msgs = tuple(messages)

        def words(key: str) -> frozenset[str]:
            return frozenset(w for m in all_msgs for w in m.words(key))

        return cls(
            everyone=words("words.everyone"),
            deadline=words("words.deadline"),
            parts={p: words(f"guidance.part_{p}") for p in guide.PARTS},
            topics={t: words(f"guidance.topic_{t}") for t in guide.TOPICS},
        )


@dataclass(frozen=True)
class Deps:
    """What command and click handlers work with: the ports, the shared session loader, the
    words, and the command registry (help lists it; the home view's buttons run commands)."""

    services: Services
    sessions: Sessions
    words: Words
    commands: Registry


Handler = Callable[[Deps, ParsedCommand, Session], Awaitable[Outcome]]


@dataclass(frozen=True)
class Command:
    """One declared command."""

    name: str
    handler: Handler
    roles: frozenset[Role] = frozenset()  # who may run it; empty: everyone
    takes_args: bool = False  # whether words after it are its arguments (not a sentence)


class Registry:
    """Every command, each declared once; `help` lists them in the order given."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._commands: dict[str, Command] = {}
        for command in commands:
            if command.name in self._commands:
                raise ValueError(f"command {command.name!r} is declared twice")
            self._commands[command.name] = command

    def __getitem__(self, name: str) -> Command:
        return self._commands[name]

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._commands)

    def aliases(self, messages: Iterable[Messages]) -> dict[str, str]:
        """Every command word of every language, mapped to its command name."""
        table: dict[str, str] = {}
        for msgs in messages:
            for name in self._commands:
                for word in msgs.words(f"commands.{name}"):
                    table[word] = name
        return table

    def parse(
        self,
        text: str,
        aliases: Mapping[str, str],
        *,
        explicit: bool = False,
        pending: bool = False,
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
        if args and not self._commands[name].takes_args:
            return None  # "status of the project is…" is a sentence, not a command
        return ParsedCommand(name, args, word)

    def refusal(self, command: Command, s: Session) -> Outcome | None:
        """The answer to someone whose roles do not allow `command`, or None when they do."""
        return role_refusal(command.roles, command.name, s)

    async def run(self, ctx: Deps, parsed: ParsedCommand, s: Session) -> Outcome:
        command = self._commands.get(parsed.name)
        if command is None:
            return Outcome().say(s.msgs("commands.unknown", word=parsed.word))
        if refused := self.refusal(command, s):
            return refused
        return await command.handler(ctx, parsed, s)

    def help_card(self, s: Session) -> Card:
        """Help for this person: everyone's commands, then those of their role."""
        msgs = s.msgs

        def lines(commands: Iterable[Command]) -> str:
            out = []
            for c in commands:
                word = msgs.words(f"commands.{c.name}")[0]
                usage = msgs(f"help.usage.{c.name}") if msgs.has(f"help.usage.{c.name}") else ""
                call = f"{word} {usage}".strip()
                out.append(f"{call}: {msgs(f'help.does.{c.name}')}")
            return "\n".join(out)

        everyone = [c for c in self._commands.values() if not c.roles]
        sections = [CardSection(title=msgs("help.everyone_title"), body=lines(everyone))]
        if s.may(Role.CSR_LEAD):
            mine = [c for c in self._commands.values() if Role.CSR_LEAD in c.roles]
            sections.append(CardSection(title=msgs("help.lead_title"), body=lines(mine)))
        elif s.may(Role.MANAGER):
            mine = [c for c in self._commands.values() if Role.MANAGER in c.roles]
            sections.append(CardSection(title=msgs("help.manager_title"), body=lines(mine)))
        sections.append(CardSection(body=msgs("help.poll")))
        return Card(title=msgs("help.title"), sections=tuple(sections))


def role_refusal(roles: frozenset[Role], name: str, s: Session) -> Outcome | None:
    """The answer to someone without any of `roles` who tried `name` (a command, or what a
    button stands for), or None when they may."""
    if not roles or s.may(*roles):
        return None
    key = "roles.need_lead" if roles == {Role.CSR_LEAD} else "roles.need_lead_or_manager"
    return Outcome().say(s.msgs(key, command=name, user=str(s.person.key)))


LEADS = frozenset({Role.CSR_LEAD})
LEADS_AND_MANAGERS = frozenset({Role.CSR_LEAD, Role.MANAGER})
