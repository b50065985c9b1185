"""What the engine, the command handlers, the scheduler and the home view share: the
per-person locks, the person's language pack, and loading the session of the person behind an
event. Nothing here calls up into the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial

from bot.content import guidance as guide
from bot.content.library import Pack
from bot.content.loader import Messages
from bot.core.domain import (
    ConversationState,
    OwnerAnswer,
    Person,
    PersonKey,
    Phase,
    Role,
    ThemeOwner,
)
from bot.core.ports import ConversationStore
from bot.core.turns import EventKey
from bot.core.views import PersonView, Roster
from bot.flows import owners, privacy
from bot.flows.outcome import ActivePoll, Session
from bot.flows.poll import PollInputs
from bot.flows.replies import YesNo
from bot.flows.services import Services


class PersonLocks:
    """One lock per person: an asyncio lock within this process (dropped when nobody holds or
    waits for it), then the store's lock across every replica on the same database."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.locks: dict[PersonKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: PersonKey) -> AsyncIterator[None]:
        lock, users = self.locks.get(key, (asyncio.Lock(), 0))
        self.locks[key] = (lock, users + 1)
        try:
            async with lock, self.store.person_lock(key):
                yield
        finally:
            lock, users = self.locks[key]
            if users <= 1:
                del self.locks[key]
            else:
                self.locks[key] = (lock, users - 1)


def merged(incoming: Person, stored: Person | None) -> Person:
    """The person as the platform describes them now, over what was stored: what a person chose
    themselves (language, discipline) beats a platform's guess."""
    if stored is None:
        return incoming
    return replace(
        incoming,
        display_name=incoming.display_name or stored.display_name,
        language=stored.language or incoming.language,
        time_zone=incoming.time_zone or stored.time_zone,
        discipline=stored.discipline or incoming.discipline,
    )


def next_owner_question(
    key: PersonKey,
    pack: Pack,
    owners_by_theme: Mapping[str, ThemeOwner],
    answers: Sequence[OwnerAnswer],
) -> owners.OwnerQuestion | None:
    """The owner question waiting for `key`, in the pack's language, if any."""
    return owners.next_question(key, pack.themes, owners_by_theme, answers, pack.owner_questions)


class Sessions:
    """Loads the session of the person behind an event; holds the per-person locks and the
    roster (roles, theme owners, running campaigns) in memory.

    One event costs one read: the person's rows come with the roster's version, and only when
    that version moved (a role, an ownership or a campaign changed, on any replica) is the
    roster read again.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.locks = PersonLocks(services.conversations)
        self._roster: Roster | None = None
        messages = tuple(services.content.messages.values())
        plain = YesNo.of(messages)
        # A typed reply to forget-me's question, and to an offer made just before a question.
        self.forget_replies = privacy.confirm_replies(plain, messages)
        self.offer_replies = plain.also(
            messages,
            acts="guidance.offer_words",
            yes=["1", *(m("guidance.show_overview") for m in messages)],
        )

    def pack(self, person: Person | None) -> Pack:
        """The language pack of a person (the bot's default language for a stranger)."""
        language = person.language if person is not None else None
        return self.services.content.for_language(language or self.services.settings.language)

    async def messages_for(self, key: PersonKey) -> Messages:
        """The sentences in the language of someone who is not the one writing (a notice)."""
        return self.pack(await self.services.people.get_person(key)).messages

    def roles(self, roster: Roster, key: PersonKey) -> frozenset[Role]:
        granted = set(roster.roles_of(key))
        if str(key) in self.services.settings.admins:
            granted.add(Role.CSR_LEAD)
        return frozenset({Role.EMPLOYEE, *granted})

    async def _read(self, key: PersonKey, event: EventKey | None) -> tuple[Roster, PersonView]:
        """The person's rows and a roster no older than them: one query when nothing changed."""
        roster = self._roster
        campaign_id, owner = _asked(roster, key)
        view = await self.services.conversations.person_view(key, campaign_id, event, owner)
        if roster is None or view.version != roster.version:
            roster = self._roster = await self.services.conversations.roster()
            if _asked(roster, key) != (campaign_id, owner):
                campaign_id, owner = _asked(roster, key)
                view = await self.services.conversations.person_view(key, campaign_id, event, owner)
        return roster, view

    async def load(self, incoming: Person, event: EventKey | None = None) -> Session:
        key = incoming.key
        roster, view = await self._read(key, event)
        person = merged(incoming, view.person)
        pack = self.pack(person)
        by_theme = {o.theme: o for o in roster.owners}
        owner_next = None
        if view.owner_answers or any(o.person == key for o in roster.owners):
            owner_next = next_owner_question(key, pack, by_theme, view.owner_answers)
        campaign = roster.running_campaign(key.platform, key.tenant)
        stored = privacy.unmarked(view.state)
        session = Session(
            person=person,
            pack=pack,
            roles=self.roles(roster, key),
            campaign=campaign,
            owners=by_theme,
            owner_answers=view.owner_answers,
            owner_next=owner_next,
            known=view.person,
            seen=view.seen,
            address=view.address,
            state=stored,
            forget_asked=privacy.asked_at(view.state),
        )
        if campaign is None or view.participation is None:
            return session
        state = stored
        if state is None or state.campaign_id != campaign.id:
            # The invitation asked the first question: a reply answers it.
            state = ConversationState(key, campaign.id, 0, Phase.ASKING)
        inputs = PollInputs(
            person=key,
            campaign_id=campaign.id,
            questions=pack.questions,
            answers={a.question_id: a for a in view.answers},
            msgs=pack.messages,
            now=self.services.clock.now(),
            followup=partial(guide.poll_followup, pack.briefings, pack.messages),
            offered=partial(guide.poll_offered, pack.briefings, pack.messages),
            offer_replies=self.offer_replies,
        )
        return replace(session, poll=ActivePoll(inputs, state))


def _asked(roster: Roster | None, key: PersonKey) -> tuple[int | None, bool]:
    """What to read of a person given the roster: the running campaign of their workspace,
    and whether they own a theme."""
    if roster is None:
        return None, False
    campaign = roster.running_campaign(key.platform, key.tenant)
    owner = any(o.person == key for o in roster.owners)
    return (campaign.id if campaign is not None else None), owner
