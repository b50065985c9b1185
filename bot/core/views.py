"""What the engine reads for one event, shaped so a store can answer in one query.

`Roster` is what every event of every person needs (roles, theme owners, running campaigns): it
changes rarely, so the engine keeps it in memory and reloads it only when the store's `version`
moved (the store bumps it on every change to those tables, whichever replica made it).
`PersonView` is one person's part: their profile, poll state, place in the running campaign,
answers and owner answers, whether the event was seen, and the roster's version, read together.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.domain import (
    Answer,
    Campaign,
    ConversationState,
    OwnerAnswer,
    Participation,
    Person,
    PersonKey,
    Role,
    ThemeOwner,
)


@dataclass(frozen=True)
class Roster:
    """Roles, theme owners and running campaigns, as of `version`."""

    version: int
    roles: tuple[tuple[PersonKey, Role], ...] = ()
    owners: tuple[ThemeOwner, ...] = ()
    running: tuple[Campaign, ...] = ()  # running campaigns (one per workspace), newest first

    def running_campaign(self, platform: str, tenant: str) -> Campaign | None:
        return next((c for c in self.running if (c.platform, c.tenant) == (platform, tenant)), None)

    def roles_of(self, key: PersonKey) -> frozenset[Role]:
        return frozenset(role for who, role in self.roles if who == key)


@dataclass(frozen=True)
class PersonView:
    """One person's rows for one event, read in one query."""

    version: int  # the roster version the store has now
    seen: bool  # whether the event was applied before
    person: Person | None = None
    state: ConversationState | None = None
    participation: Participation | None = None  # in the campaign asked about
    answers: tuple[Answer, ...] = ()  # in that campaign
    owner_answers: tuple[OwnerAnswer, ...] = ()
    address: str | None = None  # where the platform can reach them, as stored
