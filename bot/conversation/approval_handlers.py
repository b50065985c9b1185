"""Approval of the policy draft by top management: `approve request [people…]` (a CSR lead sends
the latest compiled version), the approver's buttons or `approve` / `approve changes <comment>`,
and the answer reaching the lead. Each request and decision is stored in the event's turn
(`Effects.approvals`); the file and the notices go out after the commit.
"""

from __future__ import annotations

from dataclasses import replace

from bot.conversation.clicks import Click
from bot.conversation.commands import LEADS, Command, Deps, ParsedCommand
from bot.core.clicks import ApprovalClick, ApprovalRequestClick
from bot.core.domain import (
    Approval,
    Campaign,
    DraftVersion,
    Person,
    PersonKey,
    Role,
    Verdict,
)
from bot.core.messages import Choice, Choices, FileShare, Text
from bot.core.turns import Applied, Effects
from bot.flows.outcome import Outcome, Reply, Session, Work

APPROVERS = frozenset({Role.MANAGER})  # top management: the managers
WHO_MAY = frozenset({Role.CSR_LEAD, Role.MANAGER})


async def approve(ctx: Deps, command: ParsedCommand, s: Session) -> Outcome:
    word = command.args[0].lower() if command.args else ""
    if word in _words(ctx, "approval.word_request"):
        if not s.may(Role.CSR_LEAD):
            return Outcome().say(s.msgs("roles.need_lead", command="approve request", user=""))
        return await _request(ctx, command.args[1:], s)
    if not s.may(*APPROVERS):
        return Outcome().say(s.msgs("approval.usage"))
    if word in _words(ctx, "approval.word_changes"):
        return await _decide(ctx, s, None, Verdict.CHANGES, " ".join(command.args[1:]).strip())
    return await _decide(ctx, s, None, Verdict.APPROVED, "")


async def approval_click(ctx: Deps, click: ApprovalClick, value: str, s: Session) -> Outcome:
    """Approve or Request changes, clicked in the approver's direct message."""
    decision = Verdict.APPROVED if value == "approve" else Verdict.CHANGES
    return await _decide(ctx, s, (click.campaign, click.version), decision, "")


async def request_click(ctx: Deps, click: ApprovalRequestClick, value: str, s: Session) -> Outcome:
    """The button after `draft`: ask every manager to approve the version just compiled."""
    return await _request(ctx, (), s)


def _words(ctx: Deps, key: str) -> frozenset[str]:
    """The words of `key` in every language (Dutch words work for everyone, and English)."""
    return frozenset(w for m in ctx.services.content.messages.values() for w in m.words(key))


async def _request(ctx: Deps, words: tuple[str, ...], s: Session) -> Outcome:
    """`approve request [people…]`: asks the people named (else every approver on the lead's
    platform) to approve the latest compiled version; the file goes out after the commit."""
    services, msgs, me = ctx.services, s.msgs, s.person.key
    campaign = await services.campaigns.latest_campaign()
    if campaign is None or (campaign.platform, campaign.tenant) != (me.platform, me.tenant):
        return Outcome().say(msgs("draft.none"))
    draft = await _compiled_draft(ctx, campaign)
    if draft is None:
        return Outcome().say(msgs("approval.no_draft"))
    approvers, refused = await _approvers(ctx, me, words)
    if approvers:
        outcome = await _ask(ctx, s, campaign, draft, approvers)
    else:
        outcome = Outcome().say(msgs("approval.no_approvers"))
    if refused:
        outcome.say(msgs("approval.not_approver", names=", ".join(refused)))
    return outcome


async def _ask(
    ctx: Deps,
    s: Session,
    campaign: Campaign,
    draft: DraftVersion,
    approvers: list[PersonKey],
) -> Outcome:
    """Asks each approver to approve `draft` (its Word file): the approvals to store, and the
    file with the buttons to send after the commit."""
    services, me = ctx.services, s.person.key
    version, docx_hash, draft_id = draft.number, draft.docx_hash, draft.docx_id or 0
    now = services.clock.now()
    asked = tuple(Approval(campaign.id, version, key, docx_hash, me, now) for key in approvers)
    people = [await services.people.get_person(k) or Person(k) for k in approvers]
    names = ", ".join(p.display_name or p.key.user_id for p in people)
    said = s.msgs("approval.requested", version=version, names=names)
    outcome = Outcome(Effects(approvals=asked)).say(said)
    lead_name = s.person.display_name or me.user_id
    outcome.after = _send_draft(ctx, s, campaign, version, draft_id, lead_name, people)
    return outcome


async def _compiled_draft(ctx: Deps, campaign: Campaign) -> DraftVersion | None:
    """The campaign's latest draft version, if it was compiled to a Word file."""
    last = await ctx.services.drafts.last_draft_version(campaign.id)
    return last if last is not None and last.docx_hash else None


async def _approvers(
    ctx: Deps, me: PersonKey, words: tuple[str, ...]
) -> tuple[list[PersonKey], list[str]]:
    """Who is asked (the approvers named, else every approver on `me`'s platform), and the
    names refused (named but not an approver, or not found)."""
    granted = {k for k, role in await ctx.services.people.roles() if role in APPROVERS}
    if words:
        return await _named_approvers(ctx, me, words, granted)
    return sorted(k for k in granted if (k.platform, k.tenant) == (me.platform, me.tenant)), []


async def _named_approvers(
    ctx: Deps, me: PersonKey, words: tuple[str, ...], granted: set[PersonKey]
) -> tuple[list[PersonKey], list[str]]:
    """The people `words` name who are approvers, and the names refused."""
    found = await ctx.services.directory.resolve_audience(me.platform, me.tenant, words, False)
    named = [p.key for p in found.people]
    refused = [str(k) for k in named if k not in granted] + list(found.unknown)
    return [k for k in named if k in granted], refused


def _send_draft(
    ctx: Deps,
    s: Session,
    campaign: Campaign,
    version: int,
    draft_id: int,
    lead_name: str,
    people: list[Person],
) -> Work:
    """After the commit: the draft's file and the Approve / Request changes buttons to each
    person asked, in their language; the lead hears when the file is gone."""
    services, msgs = ctx.services, s.msgs

    async def send(reply: Reply, applied: Applied) -> None:
        file = await services.drafts.draft_file(draft_id) if draft_id else None
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
                ApprovalClick(campaign.id, version).encode(),
            )
            await services.transport.send(person.key, share)
            await services.transport.send(person.key, buttons)

    return send


async def _decide(
    ctx: Deps, s: Session, which: tuple[int, int] | None, decision: Verdict, comment: str
) -> Outcome:
    """Records the approver's decision on `which` (campaign, version), or on the latest version
    they were asked about, and tells the lead who asked."""
    services, msgs, me = ctx.services, s.msgs, s.person.key
    mine = await _asked(ctx, me, which)
    if mine is None:
        return Outcome().say(msgs("approval.nothing_pending"))
    if decision is Verdict.CHANGES and not comment and mine.decision is Verdict.CHANGES:
        comment = mine.comment  # a second click keeps the comment given
    decided = replace(mine, decision=decision, comment=comment, decided_at=services.clock.now())
    version = mine.version
    if decision is Verdict.APPROVED:
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
        person = await services.people.get_person(lead) or Person(lead)
        theirs = services.content.messages_for(person.language or services.settings.language)
        if decision is Verdict.APPROVED:
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
    if which is not None:
        campaign: Campaign | None = await ctx.services.campaigns.get_campaign(which[0])
    else:
        campaign = await ctx.services.campaigns.latest_campaign()
    if campaign is None:
        return None
    mine = [a for a in await ctx.services.drafts.approvals(campaign.id) if a.approver == me]
    if which is not None:
        mine = [a for a in mine if a.version == which[1]]
    return mine[-1] if mine else None


COMMANDS = (Command("approve", approve, WHO_MAY, takes_args=True),)
CLICKS = (
    # Only approvers decide; anyone else is told how approval works.
    Click(ApprovalClick, approval_click, APPROVERS, refusal="approval.usage"),
    Click(ApprovalRequestClick, request_click, LEADS, command="approve request"),
)
