"""Composing and delivering manager digests: `digest` in chat, `imvo-bot digest`, and the weekly
Monday digest. Each recipient's last snapshot is kept, so a digest says what changed since."""

from __future__ import annotations

import asyncio
from functools import partial

from bot.core.domain import Campaign, Delivery, Person
from bot.core.worktime import zone
from bot.flows.services import Services
from bot.reporting.digest_card import QUOTED, Digest, build_digest


async def compose_digest(
    services: Services, campaign: Campaign, language: str, recipient: str, pictures: bool = True
) -> Digest:
    """The digest of `campaign` for `recipient` ("" for a printed one), compared with the last;
    its card carries charts unless `pictures` is off (a printed digest has no use for them)."""
    now = services.clock.now()
    previous = await services.reports.last_digest(campaign.id, recipient)
    pack = services.content.for_language(language)
    labels = {o.key: o.label for q in pack.questions if q.id == "discipline" for o in q.options}
    hint = {t.key: [labels[d] for d in t.disciplines if d in labels] for t in pack.themes}
    today = now.astimezone(zone(None, services.settings.timezone)).date()
    build = partial(
        build_digest,
        campaign=campaign,
        collected=await services.reports.tally(campaign.id, texts_of=QUOTED),
        owners=await services.owners.theme_owners(),
        pack=pack,
        now=now,
        today=today,
        anonymity_min=services.settings.anonymity_min,
        previous=previous,
        unowned_hint=hint,
        pictures=pictures,
        approvals=await services.drafts.approvals(campaign.id),
    )
    return await asyncio.to_thread(build)  # CPU work: off the event loop


async def remember(services: Services, campaign: Campaign, recipient: str, digest: Digest) -> None:
    await services.reports.record_digest(
        campaign.id, recipient, digest.snapshot.at, digest.snapshot
    )


async def deliver_digest(
    services: Services, campaign: Campaign, manager: Person, ref: str = ""
) -> Delivery:
    """Sends the digest to one manager in their language and remembers what it said. A `ref`
    (the weekly job's key) travels with the message, where `Transport.confirm` can find it."""
    language = manager.language or services.settings.language
    digest = await compose_digest(services, campaign, language, str(manager.key))
    try:
        delivery = await services.transport.send(manager.key, digest.card, ref)
    except Exception as exc:  # one manager's failure must not stop the others
        delivery = Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
    if delivery.ok:
        await remember(services, campaign, str(manager.key), digest)
    return delivery
