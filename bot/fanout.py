"""Sends a new campaign's poll to its audience, one direct message each, and reports back.

A failed delivery is recorded for `status`, never dropped silently. (A durable, paced outbox
with retries arrives with the chat platforms; the console delivers at once.)
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Campaign, Delivery, Person
from bot.messages import Message, Text
from bot.poll import PollContext, ask
from bot.services import Services
from bot.session import Reply

PROGRESS_EVERY = 25


async def invite(
    services: Services, campaign: Campaign, people: Sequence[Person], lead: Person, reply: Reply
) -> None:
    """Sends each person the invitation and the first question; tells the lead how it went."""
    settings, content = services.settings, services.content
    lead_msgs = content.messages_for(lead.language or settings.language)
    failures: list[str] = []
    for done, person in enumerate(people, start=1):
        await services.store.upsert_person(person)
        language = person.language or settings.language
        msgs = content.messages_for(language)
        questions = content.questions_for(language)
        deadline = (
            msgs("invite.deadline", date=campaign.deadline.isoformat()) if campaign.deadline else ""
        )
        intro = Text(
            msgs(
                "invite.intro",
                name=person.display_name or person.key.user_id,
                lead=lead.display_name or lead.key.user_id,
                count=len(questions),
                deadline=deadline,
            ).strip()
        )
        context = PollContext(person.key, campaign.id, questions, {}, msgs, services.clock.now())
        delivery = await _send(services, person, intro)
        if delivery.ok:
            delivery = await _send(services, person, ask(context, 0))
        await services.store.mark_delivery(campaign.id, person.key, delivery)
        if not delivery.ok:
            failures.append(f"{person.display_name or person.key.user_id} ({delivery.error})")
        if len(people) >= 2 * PROGRESS_EVERY and done % PROGRESS_EVERY == 0 and done < len(people):
            await reply(Text(lead_msgs("start.progress", done=done, total=len(people))))
    sent = len(people) - len(failures)
    await reply(Text(lead_msgs("start.delivered", sent=sent, total=len(people))))
    if failures:
        await reply(Text(lead_msgs("start.failed", people="; ".join(failures))))


async def _send(services: Services, person: Person, message: Message) -> Delivery:
    try:
        return await services.transport.send(person.key, message)
    except Exception as exc:  # a transport bug must not stop the fan-out for everyone else
        return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
