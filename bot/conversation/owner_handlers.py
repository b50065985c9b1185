"""The chat commands around theme owners: `owners`, `claim <theme>`, `owner <theme> <person>`,
and the answer to an invitation. Ownerships and the jobs they plan ride on the outcome and are
committed in the turn; notices to other people go out after the commit.
"""

from __future__ import annotations

from dataclasses import replace

from bot.campaigns.planning import claim_stands, owner_nudge
from bot.content.guidance import unknown_theme
from bot.content.loader import Messages
from bot.content.themes import ThemeText, find_theme, theme_word
from bot.conversation.clicks import Click
from bot.conversation.commands import LEADS, Command, Deps, ParsedCommand
from bot.conversation.suggestions import candidates_by_theme
from bot.core.clicks import InvitationClick
from bot.core.domain import OwnerState, Person, PersonKey, Role, ThemeOwner
from bot.core.messages import Message, Text
from bot.core.turns import Applied, Effects
from bot.core.worktime import zone
from bot.flows import owners as own
from bot.flows.loading import next_owner_question
from bot.flows.outcome import Outcome, Reply, Session, Work


def _theme(s: Session, word: str | None, usage: str) -> ThemeText | Outcome:
    themes = s.pack.themes
    if not word:
        return Outcome().say(s.msgs(usage))
    theme = find_theme(word, themes)
    return theme if theme is not None else Outcome().say(unknown_theme(word, themes, s.msgs))


async def owners(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    suggestions = await candidates_by_theme(ctx, s)
    return Outcome(replies=[own.owners_card(s.pack.themes, s.owners, s.msgs, suggestions)])


async def claim(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    theme = _theme(s, command.args[0] if command.args else None, "owners.claim_usage")
    if isinstance(theme, Outcome):
        return theme
    current = s.owners.get(theme.key)
    if current is not None and current.person == s.person.key:
        if current.state is OwnerState.ACCEPTED:
            return Outcome().say(s.msgs("owners.yours", theme=theme.name))
    elif current is not None:
        name = current.display_name or current.person.user_id
        return Outcome().say(s.msgs("owners.taken", theme=theme.name, name=name))
    now = ctx.services.clock.now()
    claimed = ThemeOwner(theme.key, s.person.key, OwnerState.PROPOSED, now, s.person.display_name)
    days = own.CLAIM_STANDS_AFTER.days
    outcome = Outcome(
        Effects(
            owners=(claimed,),
            jobs=(claim_stands(claimed, zone(s.person.time_zone, ctx.services.settings.timezone)),),
        )
    ).say(s.msgs("owners.claimed", theme=theme.name, days=days))
    name = s.person.display_name or s.person.key.user_id
    me = s.person.key

    async def tell_leads(reply: Reply, applied: Applied) -> None:
        for lead in await _leads(ctx, me):
            msgs = await ctx.sessions.messages_for(lead)
            text = msgs(
                "owners.claimed_lead",
                name=name,
                theme=_theme_name(ctx, theme, msgs),
                key=theme_word(theme.key, msgs.language),
                user=me.user_id,
            )
            await _send(ctx, lead, Text(text))

    outcome.after = tell_leads
    return outcome


async def assign(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    if len(command.args) < 2:
        return Outcome().say(s.msgs("owners.owner_usage"))
    theme = _theme(s, command.args[0], "owners.owner_usage")
    if isinstance(theme, Outcome):
        return theme
    word = command.args[1]
    services = ctx.services
    found = await services.directory.resolve_audience(
        s.person.key.platform, s.person.key.tenant, [word], False
    )
    people = [p for p in found.people if not p.is_bot]
    if len(people) != 1:
        return Outcome().say(s.msgs("owners.unknown_person", word=word))
    person = await services.people.get_person(people[0].key) or people[0]
    name = person.display_name or person.key.user_id
    now = services.clock.now()
    tz = zone(person.time_zone, services.settings.timezone)
    current = s.owners.get(theme.key)
    if current is not None and current.person == person.key and current.invited_by is None:
        # Confirming a claim: the colleague asked for it, so no invitation is needed.
        accepted = replace(current, state=OwnerState.ACCEPTED, since=now)
        outcome = Outcome(Effects(owners=(accepted,), jobs=(owner_nudge(accepted, tz),)))
        outcome.say(s.msgs("owners.confirmed", name=name, theme=theme.name))
        outcome.after = _welcome(ctx, person, theme, s.person)
        return outcome
    invited = ThemeOwner(theme.key, person.key, OwnerState.PROPOSED, now, name, s.person.key)
    outcome = Outcome(Effects(owners=(invited,)))
    outcome.say(s.msgs("owners.invited_sent", name=name, theme=theme.name))
    lead_name = s.person.display_name or s.person.key.user_id

    async def invite(reply: Reply, applied: Applied) -> None:
        pack = ctx.sessions.pack(await services.people.get_person(person.key))
        theirs = find_theme(theme.key, pack.themes) or theme
        await _send(ctx, person.key, own.invitation(theirs, lead_name, pack.messages))

    outcome.after = invite
    return outcome


async def answer_invitation(ctx: Deps, click: InvitationClick, value: str, s: Session) -> Outcome:
    """A click on Accept or Decline of an invitation to own a theme."""
    theme_key = click.theme
    current = s.owners.get(theme_key)
    theme = find_theme(theme_key, s.pack.themes)
    open_invitation = (
        current is not None
        and current.person == s.person.key
        and current.state is OwnerState.PROPOSED
        and current.invited_by is not None
    )
    if theme is None or current is None or not open_invitation:
        return Outcome().say(s.msgs("owners.stale"))
    if value not in ("accept", "decline"):
        return Outcome().say(s.msgs("owners.stale"))
    lead = current.invited_by
    assert lead is not None
    name = s.person.display_name or s.person.key.user_id
    if value == "decline":
        outcome = Outcome(Effects(owners_removed=(theme_key,)))
        outcome.say(s.msgs("owners.declined_you", theme=theme.name))
        outcome.after = _tell(ctx, lead, "owners.declined_lead", name, theme)
        return outcome
    accepted = replace(current, state=OwnerState.ACCEPTED, since=ctx.services.clock.now())
    tz = zone(s.person.time_zone, ctx.services.settings.timezone)
    outcome = Outcome(Effects(owners=(accepted,), jobs=(owner_nudge(accepted, tz),)))
    outcome.say(s.msgs("owners.accepted_you", theme=theme.name))
    following = next_owner_question(
        s.person.key, s.pack, {**s.owners, theme_key: accepted}, s.owner_answers
    )
    if following is not None and s.asking is None:
        outcome.replies.append(own.ask(following, s.msgs))
    elif following is not None:
        outcome.say(s.msgs("owners.later", theme=theme.name))
    outcome.after = _tell(ctx, lead, "owners.accepted_lead", name, theme)
    return outcome


# ---------------------------------------------------------------------- notices to others


def _tell(ctx: Deps, to: PersonKey, key: str, name: str, theme: ThemeText) -> Work:
    async def tell(reply: Reply, applied: Applied) -> None:
        msgs = await ctx.sessions.messages_for(to)
        await _send(ctx, to, Text(msgs(key, name=name, theme=_theme_name(ctx, theme, msgs))))

    return tell


def _welcome(ctx: Deps, person: Person, theme: ThemeText, lead: Person) -> Work:
    """Tells a new owner, and asks the first owner question unless their poll is waiting."""

    async def welcome(reply: Reply, applied: Applied) -> None:
        session = await ctx.sessions.load(person)
        msgs = session.msgs
        lead_name = lead.display_name or lead.key.user_id
        name = _theme_name(ctx, theme, msgs)
        await _send(ctx, person.key, Text(msgs("owners.you_confirmed", lead=lead_name, theme=name)))
        if session.owner_next is None:
            return
        if session.asking is not None:
            await _send(ctx, person.key, Text(msgs("owners.later", theme=name)))
        else:
            await _send(ctx, person.key, own.ask(session.owner_next, msgs))

    return welcome


async def _leads(ctx: Deps, near: PersonKey) -> list[PersonKey]:
    admins = ctx.services.settings.admins
    leads = {k for k, role in await ctx.services.people.roles() if role is Role.CSR_LEAD}
    known = await ctx.services.people.people(near.platform, near.tenant)
    leads |= {p.key for p in known if str(p.key) in admins}
    return sorted(k for k in leads if k.platform == near.platform and k != near)


async def _send(ctx: Deps, to: PersonKey, message: Message) -> None:
    try:
        await ctx.services.transport.send(to, message)
    except Exception:  # a notice that fails must not undo what was stored
        return


def _theme_name(ctx: Deps, theme: ThemeText, msgs: Messages) -> str:
    """The theme's name in the recipient's language."""
    theirs = find_theme(theme.key, ctx.services.content.for_language(msgs.language).themes)
    return theirs.name if theirs is not None else theme.name


COMMANDS = (
    Command("owners", owners),
    Command("claim", claim, takes_args=True),
    Command("owner", assign, LEADS, takes_args=True),
)
CLICKS = (Click(InvitationClick, answer_invitation),)
