"""Answering: a reply, a click, `skip` or `back`, turned into an `Outcome` for the poll or for
a theme owner's questionnaire. Pure functions of the session; the engine commits what they
return."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.messages import Message
from bot.core.turns import Effects
from bot.flows import owners
from bot.flows.loading import next_owner_question
from bot.flows.outcome import Outcome, Session
from bot.flows.poll import PollStep, on_back, on_click, on_skip, on_text, resume


def poll_outcome(step: PollStep, s: Session) -> Outcome:
    """A poll step as an outcome: its state and answers, the person's discipline when it was
    answered, the poll finished; at its end an owner question may follow."""
    person = replace(s.person, discipline=step.discipline) if step.discipline is not None else None
    finished = (s.campaign.id, s.person.key) if step.finished and s.campaign is not None else None
    effects = Effects(person=person, state=step.state, answers=step.answers, finished=finished)
    outcome = Outcome(effects, replies=list(step.replies))
    if step.finished and s.owner_next is not None:
        outcome.replies.append(owners.ask(s.owner_next, s.msgs))
    return outcome


def answer_text(s: Session, text: str, now: datetime) -> Outcome:
    """A plain reply: the pending poll question's answer, else the owner question's."""
    if (poll := s.asking) is not None:
        return poll_outcome(on_text(poll.inputs, poll.state, text), s)
    if s.owner_next is not None:
        return owner_reply(s, text, now)
    if s.poll is not None:
        return Outcome().say(s.msgs("poll.already_done"))
    return Outcome().say(s.msgs("idle.unknown_text"))


def answer_click(s: Session, question_id: str, value: str) -> Outcome:
    if s.poll is None:
        return Outcome().say(s.msgs("poll.no_poll"))
    return poll_outcome(on_click(s.poll.inputs, s.poll.state, question_id, value), s)


def owner_reply(s: Session, text: str | None, now: datetime) -> Outcome:
    """Stores an owner questionnaire answer (None: skipped) and asks the next question."""
    pending = s.owner_next
    assert pending is not None
    stored = owners.answer(pending, s.person.key, text, now)
    following = next_owner_question(s.person.key, s.pack, s.owners, [*s.owner_answers, stored])
    outcome = Outcome(Effects(owner_answers=(stored,)))
    if following is None or following.theme.key != pending.theme.key:
        outcome.say(s.msgs("owners.done", theme=pending.theme.name))
    if following is not None:
        outcome.replies.append(owners.ask(following, s.msgs))
    return outcome


def skip(s: Session, now: datetime) -> Outcome:
    if (poll := s.asking) is not None:
        return poll_outcome(on_skip(poll.inputs, poll.state), s)
    if s.owner_next is not None:
        return owner_reply(s, None, now)
    return Outcome().say(s.msgs("poll.nothing_to_skip"))


def back(s: Session) -> Outcome:
    if s.poll is None:
        return Outcome().say(s.msgs("poll.no_poll"))
    return poll_outcome(on_back(s.poll.inputs, s.poll.state), s)


def waiting(s: Session) -> Message | None:
    """What waits for this person: the pending poll question, else the next owner question."""
    if (poll := s.asking) is not None:
        return resume(poll.inputs, poll.state)
    if s.owner_next is not None:
        return owners.ask(s.owner_next, s.msgs)
    return None
