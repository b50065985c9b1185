"""Sends a new campaign's poll to its audience through the durable outbox, and reports back.

Each invitation is queued first, then sent once, paced, retried on transient errors; a failed
one is recorded for `status`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Campaign, Person
from bot.core.messages import Text
from bot.core.ports import Invitations
from bot.flows.services import Services
from bot.flows.session import Reply


async def invite(
    services: Services, campaign: Campaign, people: Sequence[Person], lead: Person, reply: Reply
) -> None:
    """Queues everyone's invitation, sends what is due, and tells the lead how it went."""
    from bot.campaigns.outbox import (
        Outbox,  # the engine wires one; this keeps fanout importable alone
    )

    outbox: Invitations = services.outbox if services.outbox is not None else Outbox(services)
    msgs = services.content.messages_for(lead.language or services.settings.language)
    for person in people:
        await services.store.upsert_person(person)
    await outbox.enqueue_invites(campaign, people)
    total = len(people)

    async def progress(done: int) -> None:
        if total >= 50 and done < total:
            await reply(Text(msgs("start.progress", done=done, total=total)))

    await outbox.run(progress)
    participants = await services.store.participants(campaign.id)
    failures = [p for p in participants if p.delivery_error]
    sent = sum(1 for p in participants if p.delivered)
    await reply(Text(msgs("start.delivered", sent=sent, total=total)))
    if failures:
        names = "; ".join(f"{p.person.user_id} ({p.delivery_error})" for p in failures)
        await reply(Text(msgs("start.failed", people=names)))
    pending = total - sent - len(failures)
    if pending > 0:
        await reply(Text(msgs("start.retrying", count=pending)))
