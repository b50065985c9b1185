"""The values one event is handled with: the typed `Session` of the person behind it, the
`Outcome` a handler returns, and the `Receipt` of what is still to be said and done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.content.library import Pack
from bot.content.loader import Messages
from bot.core.domain import (
    Campaign,
    ConversationState,
    OwnerAnswer,
    Person,
    Phase,
    Role,
    ThemeOwner,
)
from bot.core.messages import Message, Text
from bot.core.turns import Applied, Effects
from bot.flows.owners import OwnerQuestion
from bot.flows.poll import PollInputs

Reply = Callable[[Message], Awaitable[None]]
After = Callable[[Reply], Awaitable[None]]
# Slow work after the commit: it may use what the commit produced (a campaign's id, an erasure).
Work = Callable[[Reply, Applied], Awaitable[None]]


@dataclass(frozen=True)
class ActivePoll:
    """The running campaign's poll as one person has it: what it reads and where they are."""

    inputs: PollInputs
    state: ConversationState

    @property
    def pending(self) -> bool:
        """Whether a question of it waits for an answer (or its "why")."""
        return self.state.phase in (Phase.ASKING, Phase.WHY)

    @property
    def started(self) -> bool:
        """Whether the person has begun: answered or skipped a question, or moved on."""
        state = self.state
        return bool(self.inputs.answers) or state.step > 0 or state.phase is not Phase.ASKING


@dataclass(frozen=True)
class Session:
    """What the engine knows about the person behind one event."""

    person: Person
    pack: Pack  # the person's language
    roles: frozenset[Role]
    campaign: Campaign | None = None  # the running campaign of the person's workspace
    poll: ActivePoll | None = None  # set when the person takes part in that campaign
    owners: Mapping[str, ThemeOwner] = field(default_factory=dict)  # per theme key
    owner_answers: tuple[OwnerAnswer, ...] = ()
    owner_next: OwnerQuestion | None = None  # the owner question waiting for this person
    known: Person | None = None  # the person as stored before this event (None: a stranger)
    seen: bool = False  # the event being handled was applied before
    address: str | None = None  # where the platform can reach them, as stored
    # The conversation state as stored (without forget-me's question), also when no poll runs.
    state: ConversationState | None = None
    # When forget-me asked its question, while the answer is still awaited (see privacy.py).
    forget_asked: datetime | None = None

    @property
    def msgs(self) -> Messages:
        return self.pack.messages

    @property
    def asking(self) -> ActivePoll | None:
        """The poll, when one of its questions waits for this person's answer."""
        return self.poll if self.poll is not None and self.poll.pending else None

    def may(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


@dataclass
class Outcome:
    """Everything handling one event changes and says. The engine commits `effects` in one
    transaction with the event id, then sends `replies`, then runs `after` (slow work)."""

    effects: Effects = field(default_factory=Effects)
    replies: list[Message] = field(default_factory=list)
    after: Work | None = None

    def say(self, text: str) -> Outcome:
        self.replies.append(Text(text))
        return self


@dataclass(frozen=True)
class Receipt:
    """What an event committed still has to say (replies) and do (slow work, e.g. fan-out)."""

    replies: tuple[Message, ...] = ()
    after: After | None = None

    async def deliver(self, reply: Reply) -> None:
        for message in self.replies:
            await reply(message)
        if self.after is not None:
            await self.after(reply)
