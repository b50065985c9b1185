"""The chat commands of everyone and of CSR leads and managers, and the clicks on the poll's,
the guidance's and forget-me's buttons (declared in `COMMANDS` and `CLICKS` at the end).

Each handler reads what it needs and returns an Outcome: everything it changes rides on the
outcome and is committed by the engine in one turn. Slow work (sending the poll to an audience,
compiling a draft, a digest) runs in `Outcome.after`, after the turn is stored and acknowledged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta

from bot.campaigns.fanout import send_invitations
from bot.campaigns.planning import managers_of, new_campaign
from bot.content import guidance as guide
from bot.content.themes import find_theme
from bot.conversation.clicks import Click
from bot.conversation.commands import (
    LEADS,
    LEADS_AND_MANAGERS,
    Command,
    Deps,
    ParsedCommand,
)
from bot.conversation.suggestions import candidates_by_theme
from bot.core.clicks import (
    AnswerClick,
    ApprovalRequestClick,
    ForgetClick,
    ThemeListClick,
    ThemePartClick,
    TopicClick,
)
from bot.core.domain import LANGUAGES, Campaign, ConversationState, Person, PersonKey, Role
from bot.core.messages import Choice, Choices, FileShare, StartRequested, Text
from bot.core.turns import Applied, Effects
from bot.flows import privacy, steps
from bot.flows.outcome import Outcome, Reply, Session
from bot.flows.poll import offer_taken, resume
from bot.reporting.approval_state import REQUEST_VALUE, approval_state
from bot.reporting.compile import compile_draft
from bot.reporting.digest_delivery import compose_digest, remember
from bot.reporting.draft.template import TemplateError
from bot.reporting.status import status_card

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


def parse_date(word: str) -> date | None:
    """`2026-12-15` or `15-12-2026`; None when the word is no date."""
    if m := _ISO_DATE.match(word):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DUTCH_DATE.match(word):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


# -------------------------------------------------------------------------------- everyone


async def help_(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    return Outcome(replies=[ctx.commands.help_card(s)])


async def guidance(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    """`guidance`, `guidance <theme> [examples|references]` or `guidance <topic>`."""
    themes = s.pack.themes
    if not command.args:
        return Outcome(replies=[guide.theme_list(themes, s.owners, s.msgs)])
    word = command.args[0]
    topic = _named(word, ctx.words.topics)
    if topic is not None:
        return Outcome(replies=[guide.topic_card(topic, s.pack.briefings, s.msgs)])
    theme = find_theme(word, themes)
    if theme is None:
        return Outcome().say(guide.unknown_theme(word, themes, s.msgs))
    if len(command.args) > 1:
        part = _named(command.args[1], ctx.words.parts)
        if part is None:
            return Outcome().say(s.msgs("guidance.unknown_part", key=theme.word))
        return Outcome(replies=[guide.theme_part(theme, part, s.msgs)])
    owner = guide.owner_text(theme, s.owners, s.msgs)
    return Outcome(replies=[guide.theme_snippet(theme, owner, s.msgs)])


async def theme_list_click(ctx: Deps, click: ThemeListClick, value: str, s: Session) -> Outcome:
    """A theme chosen in the theme list: its snippet."""
    return await guidance(ctx, ParsedCommand("guidance", (value,)), s)


async def theme_part_click(ctx: Deps, click: ThemePartClick, value: str, s: Session) -> Outcome:
    """A snippet's Examples or References."""
    return await guidance(ctx, ParsedCommand("guidance", (click.theme, value)), s)


async def topic_click(ctx: Deps, click: TopicClick, value: str, s: Session) -> Outcome:
    """An offered topic (the legislation overview after its question)."""
    outcome = await guidance(ctx, ParsedCommand("guidance", (value,)), s)
    poll = s.asking
    # The offer made just before the pending question was taken: ask that question again.
    taken = offer_taken(poll.inputs, poll.state) if poll is not None else None
    if taken is not None:
        outcome.replies.extend(taken.replies)
        outcome.effects += Effects(state=taken.state)
    return outcome


async def poll_click(ctx: Deps, click: AnswerClick, value: str, s: Session) -> Outcome:
    """An option of a poll question."""
    return steps.answer_click(s, click.question, value)


def _named(word: str, names: Mapping[str, frozenset[str]]) -> str | None:
    lowered = word.lower()
    return next((name for name, words in names.items() if lowered in words), None)


async def language(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    choice = command.args[0].lower() if command.args else ""
    if choice not in LANGUAGES:
        return Outcome().say(s.msgs("language.usage"))
    pack = ctx.services.content.for_language(choice)
    outcome = Outcome(Effects(person=replace(s.person, language=choice)))
    outcome.say(pack.messages("language.set"))
    if (poll := s.asking) is not None:
        # Re-ask the pending question in the new language.
        inputs = replace(poll.inputs, questions=pack.questions, msgs=pack.messages)
        outcome.replies.append(resume(inputs, poll.state))
    return outcome


async def skip(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    return steps.skip(s, ctx.services.clock.now())


async def back(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    return steps.back(s)


async def mydata(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    data = await ctx.services.privacy.person_data(s.person.key)
    exported = privacy.export_json(data, ctx.services.clock.now())
    kept = privacy.retention(s.msgs, ctx.services.settings.retention_days)
    outcome = Outcome().say(privacy.summary(data, s.msgs) + "\n\n" + kept)
    outcome.say(s.msgs("privacy.export_intro") + "\n" + exported)
    return outcome


async def forget(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    if command.args:
        return Outcome().say(s.msgs("privacy.only_yourself"))
    data = await ctx.services.privacy.person_data(s.person.key)
    now = ctx.services.clock.now()
    # Marked in the conversation state, so that a typed yes or no answers it, even while a
    # poll or owner question is pending.
    asked = privacy.marked(_conversation(s), now)
    return Outcome(Effects(state=asked), replies=[privacy.confirmation(data, s.msgs, now)])


def _conversation(s: Session) -> ConversationState:
    """The state forget-me's mark is kept with: the poll's, else the stored one, else a new one."""
    if s.poll is not None:
        return s.poll.state
    return s.state or ConversationState(s.person.key)


async def forget_click(ctx: Deps, click: ForgetClick, value: str, s: Session) -> Outcome:
    """A click on forget-me's buttons (the yes carries when it was asked, so it expires)."""
    return forget_answer(s, privacy.confirmed(value, ctx.services.clock.now()))


def forget_answer(s: Session, decision: bool | None) -> Outcome:
    """The answer to forget-me's question: True erases in the turn (reported from what it
    removed); False keeps everything, None says it expired; both ask the pending question
    again."""
    if decision is None or not decision:
        outcome = Outcome().say(s.msgs("privacy.expired" if decision is None else "privacy.kept"))
        if (question := steps.waiting(s)) is not None:
            outcome.replies.append(question)
        if s.forget_asked is not None:
            outcome.effects += Effects(state=_conversation(s))  # the question waits no more
        return outcome
    msgs = s.msgs

    async def report(reply: Reply, applied: Applied) -> None:
        if applied.erasure is not None:
            await reply(Text(privacy.erased_text(applied.erasure, msgs)))

    return Outcome(Effects(erase=s.person.key), after=report)


# ------------------------------------------------------------------- leads and managers


async def start(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    """`start <people…|all> [deadline YYYY-MM-DD]`."""
    msgs = s.msgs
    example = _example_deadline(ctx)
    if not command.args:
        return Outcome().say(msgs("start.usage", example=example))
    deadline: date | None = None
    words: list[str] = []
    for word in command.args:
        if word.lower() in ctx.words.deadline:
            continue
        when = parse_date(word)
        if when is None and re.fullmatch(r"[\d-]+", word) and "-" in word:
            return Outcome().say(msgs("start.bad_date", word=word, example=example))
        if when is not None:
            deadline = when
        else:
            words.append(word)
    everyone = any(w.lower() in ctx.words.everyone for w in words)
    named = [w for w in words if w.lower() not in ctx.words.everyone]
    return await _start_for(ctx, s, named, everyone, deadline)


def _example_deadline(ctx: Deps) -> str:
    """A deadline to show in an example: two weeks from today, so the example never expires."""
    return (ctx.services.clock.now().date() + timedelta(days=14)).isoformat()


async def start_requested(ctx: Deps, event: StartRequested, s: Session) -> Outcome:
    """The start form: the same rules as `start`, from data rather than text."""
    if refused := ctx.commands.refusal(ctx.commands["start"], s):
        return refused
    if not event.audience and not event.everyone:
        return Outcome().say(s.msgs("start.usage", example=_example_deadline(ctx)))
    return await _start_for(ctx, s, list(event.audience), event.everyone, event.deadline)


async def _start_for(
    ctx: Deps, s: Session, named: list[str], everyone: bool, deadline: date | None
) -> Outcome:
    """A campaign for the people `named` (and everyone, if asked) until `deadline`."""
    msgs, services = s.msgs, ctx.services
    if s.campaign is not None:
        return Outcome().say(msgs("start.already_running", id=s.campaign.id))
    now = services.clock.now()
    if deadline is not None and deadline < now.date():
        return Outcome().say(msgs("start.deadline_past", date=deadline.isoformat()))
    key = s.person.key
    found = await services.directory.resolve_audience(key.platform, key.tenant, named, everyone)
    people = _unique(p for p in found.people if not p.is_bot)
    unknown = ", ".join(found.unknown)
    if not people:
        return Outcome().say(msgs("start.nobody", unknown=unknown or "-"))
    managers = [
        await services.people.get_person(k) or Person(k)
        for k in managers_of(await services.people.roles(), key.platform)
    ]
    plan = new_campaign(
        lead=s.person,
        people=people,
        managers=managers,
        started_at=now,
        language=s.pack.language,
        deadline=deadline,
        default_zone=services.settings.timezone,
    )
    until = deadline.isoformat() if deadline else msgs("start.no_deadline")

    async def fan_out(reply: Reply, applied: Applied) -> None:
        assert applied.campaign is not None
        campaign = applied.campaign
        await reply(Text(msgs("start.started", id=campaign.id, count=len(people), deadline=until)))
        if unknown:
            await reply(Text(msgs("start.unknown", unknown=unknown)))
        await send_invitations(services, campaign, len(people), msgs, reply)

    return Outcome(Effects(campaign=plan), after=fan_out)


async def _campaign_for_report(ctx: Deps, s: Session) -> Campaign | None:
    if s.campaign is not None:
        return s.campaign
    latest = await ctx.services.campaigns.latest_campaign()
    key = s.person.key
    if latest is not None and (latest.platform, latest.tenant) == (key.platform, key.tenant):
        return latest
    return None


async def status(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    campaign = await _campaign_for_report(ctx, s)
    if campaign is None:
        return Outcome().say(s.msgs("status.none"))
    card = status_card(
        campaign=campaign,
        figures=await ctx.services.reports.figures(campaign.id),
        owners=list(s.owners.values()),
        questions=s.pack.questions,
        msgs=s.msgs,
        today=ctx.services.clock.now().date(),
        themes=s.pack.themes,
        # Who answered, by name, only for leads (they chase and ask people); managers see counts.
        suggestions=await candidates_by_theme(ctx, s) if s.may(Role.CSR_LEAD) else None,
        waiting=(await ctx.services.sends.outbox_counts(campaign.id)).get("pending", 0),
        approval=approval_state(await ctx.services.drafts.approvals(campaign.id)),
    )
    return Outcome(replies=[card])


async def draft(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    campaign = await _campaign_for_report(ctx, s)
    if campaign is None:
        return Outcome().say(s.msgs("draft.none"))
    services, msgs = ctx.services, s.msgs

    async def compile_and_share(reply: Reply, applied: Applied) -> None:
        try:
            result = await compile_draft(
                services, campaign, campaign.language, compiled_by=s.person.display_name
            )
        except TemplateError as exc:  # the file changed since the bot started
            await reply(Text(msgs("draft.template_broken", reason=str(exc))))
            return
        missing = "\n".join(f"- {item}" for item in result.draft.open_items)
        text = msgs("draft.ready", id=campaign.id, respondents=result.respondents)
        text += f" {result.draft.title_page.version}. {result.draft.title_page.changes}"
        if missing:
            text += "\n" + msgs("draft.missing", items=missing)
        await reply(FileShare(text, result.files, result.locations, result.stored))
        ask = Choice(REQUEST_VALUE, msgs("approval.button_request"))
        await reply(Choices(msgs("approval.offer"), (ask,), ApprovalRequestClick().encode()))

    outcome = Outcome().say(msgs("draft.compiling", id=campaign.id))
    outcome.after = compile_and_share
    return outcome


async def stop(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    if s.campaign is None:
        return Outcome().say(s.msgs("stop.none"))
    return Outcome(Effects(closed=s.campaign.id)).say(s.msgs("stop.done", id=s.campaign.id))


async def digest(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    """Acknowledged at once; the digest is worked out after, and its snapshot kept once shown."""
    campaign = await _campaign_for_report(ctx, s)
    if campaign is None:
        return Outcome().say(s.msgs("status.none"))
    services, language, recipient = ctx.services, s.pack.language, str(s.person.key)

    async def compose_and_show(reply: Reply, applied: Applied) -> None:
        built = await compose_digest(services, campaign, language, recipient)
        await reply(built.card)
        await remember(services, campaign, recipient, built)

    return Outcome(after=compose_and_show)


def _unique(people: Iterable[Person]) -> list[Person]:
    seen: set[PersonKey] = set()
    result: list[Person] = []
    for person in people:
        if person.key not in seen:
            seen.add(person.key)
            result.append(person)
    return result


COMMANDS = (
    Command("help", help_),
    Command("guidance", guidance, takes_args=True),
    Command("language", language, takes_args=True),
    Command("skip", skip),
    Command("back", back),
    Command("mydata", mydata),
    Command("forget", forget, takes_args=True),
    Command("start", start, LEADS, takes_args=True),
    Command("status", status, LEADS_AND_MANAGERS),
    Command("draft", draft, LEADS),
    Command("stop", stop, LEADS),
    Command("digest", digest, LEADS_AND_MANAGERS),
)
"""The commands of this module, in the order `help` lists them."""

CLICKS = (
    Click(AnswerClick, poll_click),
    Click(ThemeListClick, theme_list_click),
    Click(ThemePartClick, theme_part_click),
    Click(TopicClick, topic_click),
    Click(ForgetClick, forget_click),
)
