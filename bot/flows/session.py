"""Per-event values shared by the engine and the command handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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
from bot.flows.owners import OwnerQuestion
from bot.flows.poll import PollContext, PollStep

Reply = Callable[[Message], Awaitable[None]]
After = Callable[[Reply], Awaitable[None]]


@dataclass
class Session:
    """What the engine knows about the person behind one event."""

    person: Person
    msgs: Messages
    roles: frozenset[Role]
    campaign: Campaign | None = None
    state: ConversationState | None = None
    poll: PollContext | None = None  # set when the person takes part in the running campaign
    owners: dict[str, ThemeOwner] = field(default_factory=dict)
    owner_answers: list[OwnerAnswer] = field(default_factory=list)
    owner_next: OwnerQuestion | None = None  # the owner question waiting for this person

    @property
    def pending(self) -> bool:
        return self.state is not None and self.state.phase in (Phase.ASKING, Phase.WHY)


@dataclass
class Outcome:
    """What handling one event changes and says. Committed first, then replied, then `after`."""

    replies: list[Message] = field(default_factory=list)
    state: ConversationState | None = None
    poll: PollStep | None = None
    person: Person | None = None
    after: After | None = None
    owner_answers: tuple[OwnerAnswer, ...] = ()
    erased: bool = False  # the person's data was erased: store nothing about them in this turn

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
