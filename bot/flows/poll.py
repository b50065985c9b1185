"""The poll as a person experiences it: one question at a time, skip, back, resume, summary.

These are pure functions from (state, input) to (new state, answers to store, replies). The
engine loads what they need, commits what they return in one turn, and only then replies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.content.loader import Messages
from bot.core.clicks import AnswerClick
from bot.core.domain import Answer, ConversationState, PersonKey, Phase, Question, QuestionKind
from bot.core.messages import Card, CardSection, Choice, Choices, Message, Text
from bot.flows.replies import YesNo


@dataclass(frozen=True)
class PollStep:
    """What one input did to a person's poll. `replies` are sent only after the commit."""

    state: ConversationState
    answers: tuple[Answer, ...] = ()
    replies: tuple[Message, ...] = ()
    finished: bool = False
    discipline: str | None = None  # set when the discipline question was answered


@dataclass(frozen=True)
class PollInputs:
    """Everything the poll functions read: the person's questions, answers and words."""

    person: PersonKey
    campaign_id: int
    questions: Sequence[Question]
    answers: Mapping[str, Answer]
    msgs: Messages
    now: datetime
    # A one-time follow-up after a question (e.g. counter-arguments after "resistance"); when it
    # is an offer (a `Choices`, e.g. the legislation overview), `offered` gives what it offers
    # and `offer_replies` reads a typed yes or no to it.
    followup: Callable[[str, Answer], Message | None] | None = None
    offered: Callable[[str], Message | None] | None = None
    offer_replies: YesNo | None = None


def progress(ctx: PollInputs, step: int) -> str:
    return ctx.msgs("poll.progress", n=step + 1, total=len(ctx.questions))


def _current_answer_text(ctx: PollInputs, question: Question) -> str | None:
    answer = ctx.answers.get(question.id)
    if answer is None or not answer.has_content:
        return None
    return describe_answer(question, answer, ctx.msgs)


def describe_answer(question: Question, answer: Answer, msgs: Messages) -> str:
    """A person's own answer in words, for the summary and for `back`."""
    if answer.skipped or not answer.has_content:
        return msgs("poll.skipped_mark")
    parts = []
    if answer.choices:
        labels = [o.label if (o := question.option(k)) else k for k in answer.choices]
        parts.append(", ".join(labels))
    if answer.text:
        parts.append(answer.text if not answer.choices else f"({answer.text})")
    return " ".join(parts)


def ask(ctx: PollInputs, step: int) -> Text | Choices:
    """Asks question `step`, with progress and, when revisited, the answer so far."""
    question = ctx.questions[step]
    text = f"{progress(ctx, step)} {question.prompt}"
    earlier = _current_answer_text(ctx, question)
    if earlier is not None:
        text += "\n" + ctx.msgs("poll.current_answer", answer=earlier)
    if question.kind is QuestionKind.CHOICE:
        hint_key = "poll.hint_choice_many" if question.max_choices > 1 else "poll.hint_choice_one"
        return Choices(
            text=text,
            choices=tuple(Choice(o.key, o.label) for o in question.options),
            action=AnswerClick(question.id).encode(),
            hint=ctx.msgs(hint_key + "_typed", max=question.max_choices),
            click_hint=ctx.msgs(hint_key, max=question.max_choices),
        )
    return Text(text + "\n" + ctx.msgs("poll.hint_text"))


def invitation(ctx: PollInputs, name: str, lead: str, deadline: date | None) -> Text | Choices:
    """The invitation to the poll (who asks, why, how long it takes) and its first question, as
    one message, so that a retry can never repeat half of it."""
    msgs = ctx.msgs
    until = msgs("invite.deadline", date=deadline.isoformat()) if deadline else ""
    intro = msgs(
        "invite.intro", name=name, lead=lead, count=len(ctx.questions), deadline=until
    ).strip()
    first = ask(ctx, 0)
    return replace(first, text=f"{intro}\n\n{first.text}")


def ask_why(ctx: PollInputs, step: int) -> Message:
    question = ctx.questions[step]
    return Text(f"{progress(ctx, step)} {question.why_prompt}")


_SPLIT = re.compile(r"[,;/]+|\s+(?:and|en|&)\s+")


def parse_choices(question: Question, text: str) -> tuple[str, ...] | None:
    """Reads option numbers, keys or labels from typed text; None if one is no option."""
    raw = text.strip().lower()
    by_label = {o.label.lower(): o.key for o in question.options}
    by_key = {o.key.lower(): o.key for o in question.options}
    if raw in by_label:
        return (by_label[raw],)
    pieces = [p.strip() for p in _SPLIT.split(raw) if p and p.strip()]
    if len(pieces) == 1 and re.fullmatch(r"\d+(\s+\d+)+", pieces[0]):
        pieces = pieces[0].split()
    chosen: list[str] = []
    for piece in pieces:
        if piece.isdigit() and 1 <= int(piece) <= len(question.options):
            key = question.options[int(piece) - 1].key
        elif piece in by_key:
            key = by_key[piece]
        elif piece in by_label:
            key = by_label[piece]
        else:
            return None
        if key not in chosen:
            chosen.append(key)
    return tuple(chosen) or None


def _advance(
    ctx: PollInputs,
    state: ConversationState,
    answers: tuple[Answer, ...],
    lead: tuple[Message, ...] = (),
) -> PollStep:
    """Moves to the next question (after a one-time follow-up, if any), or finishes."""
    known = {**ctx.answers, **{a.question_id: a for a in answers}}
    state = replace(state, offer=None)
    leaving = ctx.questions[state.step].id
    answer = known.get(leaving)
    offer = False
    if ctx.followup is not None and answer is not None and leaving not in state.offered:
        extra = ctx.followup(leaving, answer)
        if extra is not None:
            lead = (*lead, extra)
            state = replace(state, offered=state.offered | {leaving})
            offer = isinstance(extra, Choices)
    nxt = state.step + 1
    if nxt >= len(ctx.questions):
        done = replace(state, step=len(ctx.questions) - 1, phase=Phase.DONE, updated_at=ctx.now)
        return PollStep(done, answers, (*lead, summary(ctx.questions, known, ctx.msgs)), True)
    asked = replace(state, step=nxt, phase=Phase.ASKING, updated_at=ctx.now)
    if offer:  # the next reply may answer the offer rather than the question
        asked = replace(asked, offer=leaving)
    return PollStep(asked, answers, (*lead, ask(replace(ctx, answers=known), nxt)))


def _answer(ctx: PollInputs, question: Question, **fields: object) -> Answer:
    return Answer(
        campaign_id=ctx.campaign_id,
        person=ctx.person,
        question_id=question.id,
        answered_at=ctx.now,
        **fields,  # type: ignore[arg-type]
    )


def choose(ctx: PollInputs, state: ConversationState, keys: tuple[str, ...]) -> PollStep:
    """Stores the chosen options of the current choice question and asks its "why", if any.

    The one place that decides whether a choice is allowed, however it came in (typed numbers,
    a click, a submitted list): too many options, or an exclusive option ("I expect no
    resistance") combined with another, is refused; nothing is stored and the question stays."""
    question = ctx.questions[state.step]
    state = replace(state, offer=None)
    if len(keys) > question.max_choices:
        return PollStep(state, replies=(Text(ctx.msgs("poll.too_many", max=question.max_choices)),))
    clash = question.exclusive_clash(keys)
    if clash is not None:  # "no resistance" beside a resistance: refused, nothing stored
        refused = Text(ctx.msgs("poll.exclusive", option=clash.label))
        return PollStep(state, replies=(refused, ask(ctx, state.step)))
    earlier = ctx.answers.get(question.id)
    why = earlier.text if earlier is not None and not earlier.skipped else None
    answer = _answer(ctx, question, choices=keys, text=why)
    discipline = keys[0] if question.id == "discipline" else None
    labels = ", ".join(o.label for k in keys if (o := question.option(k)))
    noted = Text(ctx.msgs("poll.noted", answer=labels))
    if question.asks_why:
        asking = replace(state, phase=Phase.WHY, updated_at=ctx.now)
        return PollStep(asking, (answer,), (noted, ask_why(ctx, state.step)), discipline=discipline)
    step = _advance(ctx, state, (answer,), (noted,))
    return replace(step, discipline=discipline)


def on_text(ctx: PollInputs, state: ConversationState, text: str) -> PollStep:
    """A plain reply answers the question asked last; right after an offer, a clear yes or no
    answers the offer, and anything else is stored with a word that it was."""
    offer = state.offer
    if offer is not None and state.phase is Phase.ASKING:
        return _after_offer(ctx, replace(state, offer=None), offer, text)
    return _answer_text(ctx, state, text)


def _after_offer(ctx: PollInputs, state: ConversationState, offer: str, text: str) -> PollStep:
    decided = ctx.offer_replies.read(text) if ctx.offer_replies is not None else None
    shown = ctx.offered(offer) if decided and ctx.offered is not None else None
    if shown is not None:
        return PollStep(state, replies=(shown, ask(ctx, state.step)))
    if decided is False:
        return PollStep(
            state, replies=(Text(ctx.msgs("poll.offer_declined")), ask(ctx, state.step))
        )
    step = _answer_text(ctx, state, text)
    if not step.answers:
        return step
    saved = Text(ctx.msgs("poll.saved_after_offer", n=state.step + 1))
    return replace(step, replies=(saved, *step.replies))


def offer_taken(ctx: PollInputs, state: ConversationState) -> PollStep | None:
    """The offer made before the pending question was taken (its button clicked): the question
    is asked again after what was offered; None when no offer was open."""
    if state.offer is None or state.phase is not Phase.ASKING:
        return None
    return PollStep(replace(state, offer=None), replies=(ask(ctx, state.step),))


def _answer_text(ctx: PollInputs, state: ConversationState, text: str) -> PollStep:
    question = ctx.questions[state.step]
    if state.phase is Phase.WHY:
        earlier = ctx.answers.get(question.id)
        choices = earlier.choices if earlier is not None else ()
        return _advance(ctx, state, (_answer(ctx, question, choices=choices, text=text),))
    if question.kind is QuestionKind.CHOICE:
        keys = parse_choices(question, text)
        if keys is None:
            return PollStep(
                state, replies=(Text(ctx.msgs("poll.not_an_option")), ask(ctx, state.step))
            )
        return choose(ctx, state, keys)
    return _advance(ctx, state, (_answer(ctx, question, text=text),))


def on_click(ctx: PollInputs, state: ConversationState, question_id: str, value: str) -> PollStep:
    """A click answers the current question; a click on an old message changes nothing."""
    question = ctx.questions[state.step]
    if state.phase is not Phase.ASKING or question.id != question_id:
        return PollStep(state, replies=(Text(ctx.msgs("poll.stale_click")),))
    if question.option(value) is None:
        return PollStep(state, replies=(Text(ctx.msgs("poll.not_an_option")), ask(ctx, state.step)))
    return choose(ctx, state, (value,))


def on_skip(ctx: PollInputs, state: ConversationState) -> PollStep:
    """Skips the current question (an earlier answer stays) or its optional "why"."""
    question = ctx.questions[state.step]
    if state.phase is Phase.WHY or question.id in ctx.answers:
        return _advance(ctx, state, ())
    return _advance(ctx, state, (_answer(ctx, question, skipped=True),))


def on_back(ctx: PollInputs, state: ConversationState) -> PollStep:
    """Revisits the previous question (from the end: the last one)."""
    state = replace(state, offer=None)
    if state.phase is Phase.DONE:
        target = len(ctx.questions) - 1
    elif state.phase is Phase.WHY:
        target = state.step
    elif state.step == 0:
        return PollStep(state, replies=(Text(ctx.msgs("poll.at_first")), ask(ctx, 0)))
    else:
        target = state.step - 1
    moved = replace(state, step=target, phase=Phase.ASKING, updated_at=ctx.now)
    return PollStep(moved, replies=(ask(ctx, target),))


def resume(ctx: PollInputs, state: ConversationState) -> Message:
    """Re-asks whatever is pending, e.g. when a person comes back after a break or a restart."""
    if state.phase is Phase.WHY:
        return ask_why(ctx, state.step)
    return ask(ctx, state.step)


def summary(questions: Sequence[Question], answers: Mapping[str, Answer], msgs: Messages) -> Card:
    """The person's own answers and a thank-you, at the end of the poll."""
    sections = []
    for question in questions:
        answer = answers.get(question.id)
        value = describe_answer(question, answer, msgs) if answer else msgs("poll.skipped_mark")
        sections.append(CardSection(title=question.title, body=value))
    title = msgs("poll.summary_title")
    thanks = msgs("poll.thanks")
    body = "\n".join(f"- {s.title}: {s.body}" for s in sections)
    return Card(
        title=title,
        sections=(*sections, CardSection(body=thanks)),
        fallback=f"{title}\n{body}\n\n{thanks}",
    )
