"""Approval of the policy draft by top management: `approve request [people…]` (a CSR lead sends
the latest compiled version), the approver's buttons or `approve` / `approve changes <comment>`,
and the answer reaching the lead. Each request and decision is stored in the event's turn
(`Effects.approvals`); the file and the notices go out after the commit.
"""

from __future__ import annotations

import json
from dataclasses import replace

from bot.conversation.commands import COMMANDS, Deps, ParsedCommand
from bot.core.domain import Approval, Campaign, Decision, Person, PersonKey, Role
from bot.core.messages import Choice, Choices, FileShare, Text
from bot.core.turns import Applied, Effects
from bot.flows.outcome import Outcome, Reply, Session

CONTEXT = "approval:"  # a button's context: approval:<campaign id>:<version>
APPROVERS = frozenset({Role.MANAGER})  # top management: the managers
WHO_MAY = (Role.CSR_LEAD, Role.MANAGER)


@COMMANDS.command("approve", roles=WHO_MAY, takes_args=True)
async def approve(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    word = command.args[0].lower() if command.args else ""
    if word in _words(ctx, "approval.word_request"):
        if not s.may(Role.CSR_LEAD):
            return Outcome().say(s.msgs("roles.need_lead", command="approve request", user=""))
        return await _request(ctx, command.args[1:], s)
    if not s.may(*APPROVERS):
        return Outcome().say(s.msgs("approval.usage"))
    if word in _words(ctx, "approval.word_changes"):
        return await _decide(ctx, s, None, Decision.CHANGES, " ".join(command.args[1:]).strip())
    return await _decide(ctx, s, None, Decision.APPROVED, "")


async def approval_click(ctx: Deps, context: str, value: str, s: Session) -> Outcome:
    """Approve or Request changes, clicked in the approver's direct message."""
    try:
        campaign_id, version = (int(p) for p in context[len(CONTEXT) :].split(":", 1))
    except ValueError:
        return Outcome().say(s.msgs("poll.stale_click"))
    if not s.may(*APPROVERS):
        return Outcome().say(s.msgs("approval.usage"))
    decision = Decision.APPROVED if value == "approve" else Decision.CHANGES
    return await _decide(ctx, s, (campaign_id, version), decision, "")


async def request_click(ctx: Deps, s: Session) -> Outcome:
    """The button after `draft`: ask every manager to approve the version just compiled."""
    if not s.may(Role.CSR_LEAD):
        return Outcome().say(s.msgs("poll.stale_click"))
    return await _request(ctx, (), s)


def _words(ctx: Deps, key: str) -> frozenset[str]:
    """The words of `key` in every language (Dutch words work for everyone, and English)."""
    return frozenset(w for m in ctx.services.content.messages.values() for w in m.words(key))


async def _request(ctx: Deps, words: tuple[str, ...], s: Session) -> Outcome:
    services, msgs, me = ctx.services, s.msgs, s.person.key
    campaign = await services.store.latest_campaign()
    if campaign is None or (campaign.platform, campaign.tenant) != (me.platform, me.tenant):
        return Outcome().say(msgs("draft.none"))
    last = await services.store.last_draft_version(campaign.id)
    figures = json.loads(last[1]) if last else {}
    if last is None or not figures.get("docx_hash"):
        return Outcome().say(msgs("approval.no_draft"))
    version = last[0]
    granted = {k for k, role in await services.store.roles() if role in APPROVERS}
    if words:
        found = await services.directory.resolve_audience(me.platform, me.tenant, words, False)
        named = [p.key for p in found.people]
        refused = [str(k) for k in named if k not in granted] + list(found.unknown)
        approvers = [k for k in named if k in granted]
    else:
        refused = []
        approvers = sorted(k for k in granted if (k.platform, k.tenant) == (me.platform, me.tenant))
    if not approvers:
        nobody = Outcome().say(msgs("approval.no_approvers"))
        return (
            nobody.say(msgs("approval.not_approver", names=", ".join(refused)))
            if refused
            else nobody
        )
    now = services.clock.now()
    asked = tuple(
        Approval(campaign.id, version, key, str(figures["docx_hash"]), me, now) for key in approvers
    )
    people = [await services.store.get_person(k) or Person(k) for k in approvers]
    names = ", ".join(p.display_name or p.key.user_id for p in people)
    outcome = Outcome(Effects(approvals=asked)).say(
        msgs("approval.requested", version=version, names=names)
    )
    if refused:
        outcome.say(msgs("approval.not_approver", names=", ".join(refused)))
    lead_name = s.person.display_name or me.user_id
    draft_id = int(figures.get("docx_id") or 0)

    async def send(reply: Reply, applied: Applied) -> None:
        file = await services.store.draft_file(draft_id) if draft_id else None
        if file is None:
            await reply(Text(msgs("approval.file_gone", version=version)))
            return
        for person in people:
            theirs = services.content.messages_for(person.language or services.settings.language)
            share = FileShare(theirs("approval.file", version=version), (file,), (), (draft_id,))
            prompt = theirs("approval.ask", lead=lead_name, version=version, id=campaign.id)
            buttons = Choices(
                prompt,
                (
                    Choice("approve", theirs("approval.button_approve")),
                    Choice("changes", theirs("approval.button_changes")),
                ),
                f"{CONTEXT}{campaign.id}:{version}",
            )
            await services.transport.send(person.key, share)
            await services.transport.send(person.key, buttons)

    outcome.after = send
    return outcome


async def _decide(
    ctx: Deps, s: Session, which: tuple[int, int] | None, decision: Decision, comment: str
) -> Outcome:
    """Records the approver's decision on `which` (campaign, version), or on the latest version
    they were asked about, and tells the lead who asked."""
    services, msgs, me = ctx.services, s.msgs, s.person.key
    mine = await _asked(ctx, me, which)
    if mine is None:
        return Outcome().say(msgs("approval.nothing_pending"))
    if decision is Decision.CHANGES and not comment and mine.decision is Decision.CHANGES:
        comment = mine.comment  # a second click keeps the comment given
    decided = replace(mine, decision=decision, comment=comment, decided_at=services.clock.now())
    version = mine.version
    if decision is Decision.APPROVED:
        outcome = Outcome(Effects(approvals=(decided,))).say(
            msgs("approval.approved", version=version)
        )
    elif comment:
        outcome = Outcome(Effects(approvals=(decided,))).say(
            msgs("approval.thanks", version=version)
        )
    else:
        outcome = Outcome(Effects(approvals=(decided,))).say(
            msgs("approval.changes_ask", version=version)
        )
    name = s.person.display_name or me.user_id
    lead = mine.requested_by

    async def tell_lead(reply: Reply, applied: Applied) -> None:
        if not lead.user_id:  # the lead was erased
            return
        person = await services.store.get_person(lead) or Person(lead)
        theirs = services.content.messages_for(person.language or services.settings.language)
        if decision is Decision.APPROVED:
            said = theirs("approval.to_lead_approved", name=name, version=version)
        elif comment:
            said = theirs("approval.to_lead_changes", name=name, version=version, comment=comment)
        else:
            said = theirs("approval.to_lead_changes_bare", name=name, version=version)
        await services.transport.send(lead, Text(said))

    outcome.after = tell_lead
    return outcome


async def _asked(ctx: Deps, me: PersonKey, which: tuple[int, int] | None) -> Approval | None:
    """The approval `me` was asked for: of `which`, else the latest version of the latest
    campaign on their platform."""
    store = ctx.services.store
    if which is not None:
        campaign: Campaign | None = await store.get_campaign(which[0])
    else:
        campaign = await store.latest_campaign()
    if campaign is None:
        return None
    mine = [a for a in await store.approvals(campaign.id) if a.approver == me]
    if which is not None:
        mine = [a for a in mine if a.version == which[1]]
    return mine[-1] if mine else None
