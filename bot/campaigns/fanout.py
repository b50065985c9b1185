"""After a new campaign is committed (its invitations queued in the same turn): sends them
through the durable outbox and tells the lead how it went.

Each invitation is sent once, paced, retried on transient errors; a failed one is recorded for
`status`, never dropped silently.
"""

from __future__ import annotations

from bot.content.loader import Messages
from bot.core.domain import Campaign
from bot.core.messages import Text
from bot.flows.outcome import Reply
from bot.flows.services import Services


async def send_invitations(
    services: Services, campaign: Campaign, total: int, msgs: Messages, reply: Reply
) -> None:
    """Sends what is due of the campaign's queued invitations and reports to the lead."""
    outbox = services.outbox

    async def progress(done: int) -> None:
        if total >= 50 and done < total:
            await reply(Text(msgs("start.progress", done=done, total=total)))

    if outbox is not None:
        await outbox.run(progress)
    participants = await services.campaigns.participants(campaign.id)
    failures = [p for p in participants if p.delivery_error]
    sent = sum(1 for p in participants if p.delivered)
    await reply(Text(msgs("start.delivered", sent=sent, total=total)))
    if failures:
        names = "; ".join(f"{p.person.user_id} ({p.delivery_error})" for p in failures)
        await reply(Text(msgs("start.failed", people=names)))
    pending = total - sent - len(failures)
    if pending > 0:
        await reply(Text(msgs("start.retrying", count=pending)))
