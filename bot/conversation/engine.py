"""The conversation engine: every inbound event of every platform goes through `Bot.receive`.

For each event: ignore bots; take the person's lock; load their session; route the event to the
poll, an owner question or a command, which returns an `Outcome` carrying every effect; commit
those effects in **one** store transaction together with the event id (bot.core.turns); only
then reply; then do slow work (fan-out, compiling). A failed commit leaves nothing behind and a
redelivered event changes nothing, because the event id and the effects commit together. A
restart loses nothing because the state is in the store, and two events of one person never
interleave because of the lock.
"""

from __future__ import annotations

from dataclasses import replace

from bot.campaigns.scheduler import Scheduler
from bot.conversation import approval_handlers, handlers, home, owner_handlers
from bot.conversation.clicks import ClickRegistry
from bot.conversation.commands import Deps, Registry, Words
from bot.core.clicks import ForgetClick
from bot.core.domain import Person
from bot.core.messages import (
    Clicked,
    Commanded,
    InboundEvent,
    Message,
    Said,
    StartRequested,
    Text,
)
from bot.core.ports import PlatformRefused
from bot.core.turns import Applied, Effects, EventKey, Turn
from bot.core.validation import check_text, normalise
from bot.flows import privacy, steps
from bot.flows.loading import Sessions
from bot.flows.outcome import After, Outcome, Receipt, Reply, Session, Work
from bot.flows.poll import invitation, resume
from bot.flows.services import Services


def registries() -> tuple[Registry, ClickRegistry]:
    """Every command and every kind of click, from what the handler modules declare. The order
    of the modules is the order in which `help` lists the commands."""
    commands = Registry((*approval_handlers.COMMANDS, *handlers.COMMANDS, *owner_handlers.COMMANDS))
    clicks = ClickRegistry(
        (*handlers.CLICKS, *owner_handlers.CLICKS, *approval_handlers.CLICKS, *home.CLICKS)
    )
    return commands, clicks


class Bot:
    """The platform-neutral bot. Adapters turn platform payloads into events and call `receive`
    (or `handle`, which also delivers)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions = Sessions(services)
        self.locks = self.sessions.locks
        messages = services.content.messages.values()
        self.commands, self.clicks = registries()
        self.deps = Deps(services, self.sessions, Words.of(messages), self.commands)
        self._aliases = self.commands.aliases(messages)
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
        key = event.person.key
        event_key = EventKey(key.platform, event.event_id)
        async with self.locks.hold(key):
            session = await self.sessions.load(event.person, event_key)
            if session.seen:
                return Receipt()
            try:
                outcome = await self._route(event, session)
            except PlatformRefused as refused:
                outcome = Outcome().say(refusal(session, refused))
            turn = self._turn(event_key, event.address, session, outcome)
            applied = await self.services.conversations.commit_turn(turn)
            if applied is None:
                return Receipt()
            return Receipt(tuple(outcome.replies), _bound(outcome.after, applied))

    async def resume(self, person: Person, reply: Reply) -> None:
        """Greets a person who opens the conversation: with the invitation if they have not
        begun the poll, else welcome back and what waits for them, else hello."""
        async with self.locks.hold(person.key):
            session = await self.sessions.load(person)
            if session.person != session.known:
                now = self.services.clock.now()
                await self.services.conversations.commit_turn(
                    Turn(None, Effects(person=session.person), at=now)
                )
            question = steps.waiting(session)
            invited = await self._invitation(session)
            if invited is not None:  # not begun yet: the invitation, as if it had just arrived
                await reply(invited)
            elif question is not None:
                if session.asking is not None or session.owner_answers:
                    await reply(Text(session.msgs("poll.welcome_back")))
                await reply(question)
            else:
                name = session.person.display_name
                await reply(Text(session.msgs("idle.greeting", name=name)))

    async def remember(self, person: Person, address: str | None) -> bool:
        """Keeps who a person is and where the platform can reach them now (an install, a chat
        the bot opened), as one turn under their lock like any event; nothing is rewritten that
        is the same. True when no address was known for them before (worth a welcome)."""
        async with self.locks.hold(person.key):
            session = await self.sessions.load(person)
            changed = session.person if session.person != session.known else None
            moved = address if address is not None and address != session.address else None
            if changed is not None or moved is not None:
                where = (person.key, moved) if moved is not None else None
                now = self.services.clock.now()
                turn = Turn(None, Effects(person=changed, address=where), at=now)
                await self.services.conversations.commit_turn(turn)
            return session.address is None

    # ------------------------------------------------------------------ routing

    async def _route(self, event: InboundEvent, s: Session) -> Outcome:
        if s.forget_asked is not None and (waiting := self._forget_waiting(event, s)) is not None:
            return waiting
        if isinstance(event, Clicked):
            return await self.clicks.run(self.deps, event, s)
        if isinstance(event, StartRequested):
            return await handlers.start_requested(self.deps, event, s)
        refusal = check_text(event.text)
        if refusal is not None:
            outcome = Outcome().say(s.msgs(refusal.key, **refusal.values))
            if (poll := s.asking) is not None:
                outcome.replies.append(resume(poll.inputs, poll.state))
            return outcome
        text = normalise(event.text)
        command = self.commands.parse(
            text,
            self._aliases,
            explicit=isinstance(event, Commanded),
            pending=s.asking is not None,
        )
        if command is not None:
            return await self.commands.run(self.deps, command, s)
        assert isinstance(event, Said)
        outcome = steps.answer_text(s, text, self.services.clock.now())
        poll = s.asking
        if poll is not None and not poll.started:
            # A first message that answers nothing (a greeting, say): the invitation, rather
            # than its first question alone.
            asked_again = outcome.replies[-1:] == [resume(poll.inputs, poll.state)]
            if asked_again and (invited := await self._invitation(s)) is not None:
                outcome.replies[-1] = invited
        return outcome

    async def _invitation(self, s: Session) -> Message | None:
        """The poll's invitation and first question, for someone who has not begun it."""
        poll, campaign = s.asking, s.campaign
        if poll is None or poll.started or campaign is None:
            return None
        lead = await self.services.people.get_person(campaign.started_by)
        lead = lead or Person(campaign.started_by)
        return invitation(
            poll.inputs,
            name=s.person.display_name or s.person.key.user_id,
            lead=lead.display_name or lead.key.user_id,
            deadline=campaign.deadline,
        )

    def _forget_waiting(self, event: InboundEvent, s: Session) -> Outcome | None:
        """While forget-me's question waits: a typed yes erases and a no keeps everything (even
        with a poll or owner question pending); anything else but forget-me itself, or its
        buttons, is told what to type and changes nothing. None: handle the event as usual."""
        assert s.forget_asked is not None
        still = privacy.still_open(s.forget_asked, self.services.clock.now())
        answered = isinstance(event, Clicked) and ForgetClick.parse(event.action) is not None
        if still is None or answered:  # long forgotten, or its buttons: handled as usual
            return None
        text = normalise(event.text) if isinstance(event, Said | Commanded) else ""
        decision = self.sessions.forget_replies.read(text)
        if decision is not None:
            return handlers.forget_answer(s, decision if still else None)
        if not still:
            return None
        again = self.commands.parse(
            text, self._aliases, explicit=isinstance(event, Commanded), pending=True
        )
        if again is not None and again.name == "forget" and not again.args:
            return None  # asked once more: a fresh question
        return Outcome().say(s.msgs("privacy.confirm_waiting"))

    def _turn(self, event: EventKey, address: str | None, s: Session, outcome: Outcome) -> Turn:
        """The outcome's effects as one turn, committed with the event id, and what the event
        itself changes: the person's profile as the platform gave it, where to reach them."""
        now = self.services.clock.now()
        effects = outcome.effects
        if effects.erase is not None:
            return Turn(event, effects, at=now)
        # The profile as the platform gave it, or as the handler changed it; stored when new.
        person = effects.person or s.person
        effects = replace(effects, person=person if person != s.known else None)
        if address is not None and address != s.address:
            effects = replace(effects, address=(s.person.key, address))
        return Turn(event, effects, at=now)


def _bound(work: Work | None, applied: Applied) -> After | None:
    """Slow work with what the commit produced, as the receipt's `after`."""
    if work is None:
        return None

    async def after(reply: Reply) -> None:
        await work(reply, applied)

    return after


ADVICE = {
    "missing_scope": "platform.advice_scope",
    "invalid_auth": "platform.advice_auth",
    "not_authed": "platform.advice_auth",
    "token_revoked": "platform.advice_auth",
    "account_inactive": "platform.advice_auth",
    "ratelimited": "platform.advice_busy",
}


def refusal(s: Session, refused: PlatformRefused) -> str:
    """What a person is told when a platform refused a call their command needed."""
    msgs = s.msgs
    advice = msgs(ADVICE.get(refused.error, "platform.advice_other"), needed=refused.needed or "?")
    return msgs(
        "platform.refused",
        platform=msgs(f"platform.name_{refused.platform}"),
        action=msgs(f"platform.action_{refused.action}"),
        error=refused.error,
        advice=advice,
    )
