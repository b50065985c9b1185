"""What the engine, the command handlers, the scheduler and the home view share: the
per-person locks and loading the session of the person behind an event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial

from bot.content import guidance as guide
from bot.content.briefings import briefings
from bot.content.draft_texts import draft_texts
from bot.core.domain import ConversationState, Person, PersonKey, Phase, Role
from bot.core.ports import Store
from bot.flows import owners
from bot.flows.poll import PollContext
from bot.flows.services import Services
from bot.flows.session import Session


class PersonLocks:
    """One lock per person: an asyncio lock within this process (dropped when nobody holds or
    waits for it), then the store's lock across every replica on the same database."""

    def __init__(self, store: Store) -> None:
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


class Sessions:
    """Loads the session of the person behind an event; holds the per-person locks."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.locks = PersonLocks(services.store)

    def language_of(self, person: Person) -> str:
        return person.language or self.services.settings.language

    async def roles_of(self, key: PersonKey) -> frozenset[Role]:
        granted = {role for who, role in await self.services.store.roles() if str(who) == str(key)}
        if str(key) in self.services.settings.admins:
            granted.add(Role.CSR_LEAD)
        return frozenset({Role.EMPLOYEE, *granted})

    async def load(self, incoming: Person) -> Session:
        store = self.services.store
        stored = await store.get_person(incoming.key)
        person = incoming
        if stored is not None:
            # What a person chose themselves (language, discipline) beats a platform's guess.
            person = replace(
                incoming,
                display_name=incoming.display_name or stored.display_name,
                language=stored.language or incoming.language,
                time_zone=incoming.time_zone or stored.time_zone,
                discipline=stored.discipline or incoming.discipline,
            )
        language = self.language_of(person)
        msgs = self.services.content.messages_for(language)
        session = Session(person=person, msgs=msgs, roles=await self.roles_of(person.key))
        session.owners = {o.theme: o for o in await store.theme_owners()}
        if any(o.person == person.key for o in session.owners.values()):
            session.owner_answers = await store.owner_answers(person.key)
            session.owner_next = owners.next_question(
                person.key,
                draft_texts(language).themes,
                session.owners,
                session.owner_answers,
                self.services.content.owner_questions_for(language),
            )
        campaign = await store.running_campaign(person.key.platform, person.key.tenant)
        session.campaign = campaign
        if campaign is None or await store.participation(campaign.id, person.key) is None:
            return session
        state = await store.load_state(person.key)
        if state is None or state.campaign_id != campaign.id:
            # The invitation asked the first question: a reply answers it.
            state = ConversationState(person.key, campaign.id, 0, Phase.ASKING)
        session.state = state
        answers = await store.answers_of(campaign.id, person.key)
        session.poll = PollContext(
            person=person.key,
            campaign_id=campaign.id,
            questions=self.services.content.questions_for(self.language_of(person)),
            answers={a.question_id: a for a in answers},
            msgs=msgs,
            now=self.services.clock.now(),
            followup=partial(guide.poll_followup, briefings(self.language_of(person)), msgs),
        )
        return session
