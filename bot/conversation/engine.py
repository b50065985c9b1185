"""The conversation engine: every inbound event of every platform goes through `Bot.handle`.

For each event: ignore bots; take the person's lock; drop an event seen before; work out what
changes; commit it in one turn (the event id with it); only then reply; then do slow work
(fan-out, compiling). A restart loses nothing because the state is in the store, and two events
of one person never interleave because of the lock.
"""

from __future__ import annotations

from dataclasses import replace

from bot.campaigns.scheduler import Scheduler
from bot.content import guidance as guide
from bot.content.draft_texts import draft_texts
from bot.conversation.commands import ParsedCommand, alias_table, parse_command
from bot.conversation.handlers import CommandHandlers
from bot.conversation.home import HOME_CONTEXT
from bot.conversation.owner_handlers import OwnerHandlers
from bot.core.domain import (
    Person,
)
from bot.core.messages import Clicked, Commanded, InboundEvent, Said, Text
from bot.core.turns import EventKey, Turn
from bot.core.validation import check_text, normalise
from bot.flows import owners, privacy
from bot.flows.poll import (
    CLICK_PREFIX,
    PollStep,
    on_back,
    on_click,
    on_skip,
    on_text,
    resume,
)
from bot.flows.services import Services
from bot.flows.session import Outcome, Receipt, Reply, Session
from bot.flows.sessions import Sessions


class Bot:
    """The platform-neutral bot. Adapters turn platform payloads into events and call `handle`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions = Sessions(services)
        self.locks = self.sessions.locks
        self._aliases = alias_table(services.content.messages)
        self._commands = CommandHandlers(self)
        self.owner_handlers = OwnerHandlers(self)
        self.scheduler = Scheduler(self.sessions)

    # ------------------------------------------------------------------ entry points

    async def handle(self, event: InboundEvent, reply: Reply) -> None:
        """Gives one inbound event its effect, once: commit, then replies, then slow work."""
        receipt = await self.receive(event)
        await receipt.deliver(reply)

    async def receive(self, event: InboundEvent) -> Receipt:
        """Commits an event's effect and returns what is still to be said and done.

        Platforms that must acknowledge quickly (Slack within 3 s) call this, acknowledge, and
        deliver the receipt afterwards; an event seen before yields an empty receipt.
        """
        if event.person.is_bot:
            return Receipt()
        store = self.services.store
        key = event.person.key
        async with self.locks.hold(key):
            if await store.seen(key.platform, event.event_id):
                return Receipt()
            session = await self.session(event.person)
            outcome = await self._route(event, session)
            turn = self._turn(EventKey(key.platform, event.event_id), session, outcome)
            if not await store.commit_turn(turn):
                return Receipt()
            return Receipt(tuple(outcome.replies), outcome.after)

    async def resume(self, person: Person, reply: Reply) -> None:
        """Greets a person who opens the conversation, re-asking a pending question if any."""
        async with self.locks.hold(person.key):
            session = await self.session(person)
            await self.services.store.upsert_person(session.person)
            if session.poll is not None and session.state is not None and session.pending:
                await reply(Text(session.msgs("poll.welcome_back")))
                await reply(resume(session.poll, session.state))
            elif session.owner_next is not None:
                await reply(Text(session.msgs("poll.welcome_back")))
                await reply(owners.ask(session.owner_next, session.msgs))
            else:
                await reply(Text(session.msgs("idle.greeting", name=session.person.display_name)))

    # ------------------------------------------------------------------ session

    def language_of(self, person: Person) -> str:
        return self.sessions.language_of(person)

    async def session(self, incoming: Person) -> Session:
        return await self.sessions.load(incoming)

    # ------------------------------------------------------------------ routing

    async def _route(self, event: InboundEvent, session: Session) -> Outcome:
        msgs = session.msgs
        if isinstance(event, Clicked):
            if event.context.startswith(CLICK_PREFIX):
                if session.poll is None or session.state is None:
                    return Outcome().say(msgs("poll.no_poll"))
                qid = event.context[len(CLICK_PREFIX) :]
                return self._poll(on_click(session.poll, session.state, qid, event.value), session)
            if event.context == HOME_CONTEXT:
                return await self._home_click(event.value, session)
            if event.context.startswith(owners.INVITE_CONTEXT):
                theme = event.context[len(owners.INVITE_CONTEXT) :]
                return await self.owner_handlers.answer_invitation(theme, event.value, session)
            if event.context == privacy.CONFIRM_CONTEXT:
                return await self._commands.forget_click(event.value, session)
            if guide.is_guidance_click(event.context):
                return await self._commands.guidance_click(event.context, event.value, session)
            return Outcome().say(msgs("poll.stale_click"))
        refusal = check_text(event.text)
        if refusal is not None:
            outcome = Outcome().say(msgs(refusal.key, **refusal.values))
            if session.poll is not None and session.state is not None and session.pending:
                outcome.replies.append(resume(session.poll, session.state))
            return outcome
        text = normalise(event.text)
        command = parse_command(
            text, self._aliases, explicit=isinstance(event, Commanded), pending=session.pending
        )
        if command is not None:
            return await self._commands.run(command, session)
        assert isinstance(event, Said)
        if session.poll is not None and session.state is not None and session.pending:
            return self._poll(on_text(session.poll, session.state, text), session)
        if session.owner_next is not None:
            return self.owner_reply(session, text)
        if session.poll is not None and session.state is not None:
            return Outcome().say(msgs("poll.already_done"))
        return Outcome().say(msgs("idle.unknown_text"))

    async def _home_click(self, value: str, session: Session) -> Outcome:
        """A button of the home view: continue the poll, or run a command (roles apply)."""
        if value == "continue":
            if session.poll is not None and session.state is not None and session.pending:
                return Outcome(replies=[resume(session.poll, session.state)])
            if session.owner_next is not None:
                return Outcome(replies=[owners.ask(session.owner_next, session.msgs)])
            return Outcome().say(session.msgs("poll.nothing_to_skip"))
        if value not in ("guidance", "status", "draft", "digest"):
            return Outcome().say(session.msgs("poll.stale_click"))
        return await self._commands.run(ParsedCommand(value), session)

    def _poll(self, step: PollStep, session: Session) -> Outcome:
        outcome = Outcome(replies=list(step.replies), state=step.state, poll=step)
        if step.finished and session.owner_next is not None:
            outcome.replies.append(owners.ask(session.owner_next, session.msgs))
        return outcome

    def owner_reply(self, session: Session, text: str | None) -> Outcome:
        """Stores an owner questionnaire answer (None: skipped) and asks the next question."""
        pending = session.owner_next
        assert pending is not None
        key, msgs = session.person.key, session.msgs
        stored = owners.answer(pending, key, text, self.services.clock.now())
        language = self.language_of(session.person)
        following = owners.next_question(
            key,
            draft_texts(language).themes,
            session.owners,
            [*session.owner_answers, stored],
            self.services.content.owner_questions_for(language),
        )
        outcome = Outcome(owner_answers=(stored,))
        if following is None or following.theme.key != pending.theme.key:
            outcome.say(msgs("owners.done", theme=pending.theme.name))
        if following is not None:
            outcome.replies.append(owners.ask(following, msgs))
        return outcome

    def poll_skip(self, session: Session) -> Outcome:
        if session.poll is not None and session.state is not None and session.pending:
            return self._poll(on_skip(session.poll, session.state), session)
        if session.owner_next is not None:
            return self.owner_reply(session, None)
        return Outcome().say(session.msgs("poll.nothing_to_skip"))

    def poll_back(self, session: Session) -> Outcome:
        if session.poll is None or session.state is None:
            return Outcome().say(session.msgs("poll.no_poll"))
        return self._poll(on_back(session.poll, session.state), session)

    def _turn(self, event: EventKey, session: Session, outcome: Outcome) -> Turn:
        if outcome.erased:
            return Turn(event=event, at=self.services.clock.now())
        person = outcome.person or session.person
        step = outcome.poll
        if step is not None and step.discipline is not None:
            person = replace(person, discipline=step.discipline)
        finished = None
        if step is not None and step.finished and session.campaign is not None:
            finished = (session.campaign.id, person.key)
        return Turn(
            event=event,
            state=outcome.state,
            owner_answers=outcome.owner_answers,
            answers=step.answers if step is not None else (),
            person=person,
            finished=finished,
            at=self.services.clock.now(),
        )
