"""The durable outbox: poll invitations are queued in the store, then sent once each, paced
within the platform's limits, retried with back-off on transient errors, and reported in
`status` when they finally fail. A restart resumes where the last run stopped.

Several replicas can share one outbox. Each claims a few invitations at a time under a lease
(`Store.claim_outbox`); a claim whose replica died passes to another once the lease runs out.
Just before the network call an invitation is marked `sending`: one taken over in that state
may have arrived, so it is never simply sent again. The platform is asked first (`confirm`: a
Slack DM is searched for the invitation's reference); where it cannot tell, the invitation is
marked `uncertain` and shown in `status`, so nobody gets the poll twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.campaigns.pace import SharedPace
from bot.core.domain import Campaign, Delivery, OutboxItem, OutboxState, Person, PersonKey
from bot.flows.poll import PollInputs, invitation

if TYPE_CHECKING:
    from bot.flows.services import Services

Progress = Callable[[int], Awaitable[None]]

# Errors that no retry can mend: the person cannot get a DM at all.
PERMANENT = frozenset(
    {
        "user_not_found",
        "cannot_dm_bot",
        "channel_not_found",
        "account_inactive",
        "user_disabled",
        "not_authed",
        "invalid_auth",
        "missing_scope",
        "user_not_visible",
    }
)
MAX_ATTEMPTS = 5
CONCURRENCY = 4
JITTER = 0.2
FIRST_BACKOFF = timedelta(seconds=30)
BATCH = 2 * CONCURRENCY
PROGRESS_EVERY = 25


def backoff(attempts: int, jitter: float = 0.0) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… after the 1st, 2nd, 3rd… failed attempt, spread by ±`jitter`
    (a share) so that retries of many invitations do not arrive at the platform together."""
    factor: int = 2 ** max(0, attempts - 1)
    spread = 1 + random.uniform(-jitter, jitter) if jitter else 1
    return FIRST_BACKOFF * factor * spread


RATE_LIMITED = "ratelimited"
IN_DOUBT = "the replica sending it stopped mid-send; the platform cannot tell whether it arrived"


def budget_of(person: PersonKey) -> str:
    """The platform budget a send to `person` draws from: one per platform and workspace or
    tenant."""
    return f"{person.platform}:{person.tenant}"


class Outbox:
    """Sends queued invitations, paced per platform budget from `rate` per second upwards (None:
    as fast as the transport takes them)."""

    def __init__(
        self,
        services: Services,
        rate: float | None = None,
        platform_rates: Mapping[str, float] | None = None,
    ) -> None:
        self.services = services
        self.pace = SharedPace(services.sends, rate, platform_rates=platform_rates)
        self.lease = timedelta(seconds=services.settings.lease_seconds)
        self._running = asyncio.Lock()
        self._stopping = False

    @property
    def busy(self) -> bool:
        return self._running.locked()

    async def stop(self, timeout: float) -> None:
        """For a shutdown: claims nothing more, hands back what is claimed but not started, and
        waits (up to `timeout` seconds) for the sends in flight to be settled, so that a
        replica stopped on purpose leaves nothing in doubt."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._running:
                pass

    async def run(self, progress: Progress | None = None) -> tuple[int, int]:
        """Sends everything due, a few at a time at the pace's rate; returns (sent, failed).

        One run at a time per process; within it up to CONCURRENCY sends are in flight, so a
        platform with slow round trips (Teams) can still be used at the rate it allows. Claims
        are small batches, so replicas running at once share the work evenly.
        """
        counts = {"sent": 0, "failed": 0}
        slots = asyncio.Semaphore(CONCURRENCY)
        clock, me = self.services.clock, self.services.replica

        async def one(item: OutboxItem) -> None:
            try:
                if self._stopping:  # shutting down: leave it to another replica, at once
                    await self._settle(item, OutboxState.PENDING, item.last_error, clock.now())
                    return
                outcome = await self._send_one(item)
            finally:
                slots.release()
            counts["sent"] += outcome is OutboxState.SENT
            counts["failed"] += outcome is OutboxState.FAILED
            done = counts["sent"] + counts["failed"]
            if progress is not None and outcome is not None and done % PROGRESS_EVERY == 0:
                await progress(done)

        async with self._running:
            while not self._stopping:
                now = clock.now()
                claimed = await self.services.sends.claim_outbox(now, now + self.lease, me, BATCH)
                if not claimed:
                    break
                tasks = []
                for item in claimed:
                    await slots.acquire()
                    tasks.append(asyncio.create_task(one(item)))
                await asyncio.gather(*tasks)
        return counts["sent"], counts["failed"]

    async def _settle(
        self, item: OutboxItem, state: OutboxState, error: str | None, at: datetime | None = None
    ) -> bool:
        me = self.services.replica
        return await self.services.sends.settle_outbox(item.key, me, state, error, at)

    async def _send_one(self, item: OutboxItem) -> OutboxState | None:
        services = self.services
        me = services.replica
        campaign = await services.campaigns.get_campaign(item.campaign_id)
        if campaign is None or not campaign.running:
            await self._settle(item, OutboxState.FAILED, "campaign closed")
            return None
        if item.in_doubt:
            arrived = await self._confirm(item)
            if arrived is not False:
                state = OutboxState.SENT if arrived else OutboxState.UNCERTAIN
                if await self._settle(item, state, None if arrived else IN_DOUBT):
                    ok = Delivery(ok=True) if arrived else Delivery(ok=False, error=IN_DOUBT)
                    await services.campaigns.mark_delivery(campaign.id, item.person, ok)
                return state
        budget = budget_of(item.person)
        await self.pace.wait(budget)
        now = services.clock.now()
        if not await services.sends.begin_send(item.key, me, now + self.lease):
            return None  # our lease ran out while waiting and another replica took it over
        delivery = await self._invite(campaign, item)
        attempts = item.attempts + 1
        if delivery.error == RATE_LIMITED:
            # Not the person's fault and not an attempt: wait as asked and go slower.
            await self.pace.refused(budget, delivery.retry_after)
            await self._settle(item, OutboxState.PENDING, RATE_LIMITED, now)
            return OutboxState.PENDING
        if delivery.ok:
            await self.pace.accepted(budget)
            await self._settle(item, OutboxState.SENT, None)
            await services.campaigns.mark_delivery(campaign.id, item.person, delivery)
            return OutboxState.SENT
        error = delivery.error or "error"
        failures = attempts - (item.last_error == RATE_LIMITED)
        if error in PERMANENT or failures >= MAX_ATTEMPTS:
            await self._settle(item, OutboxState.FAILED, error)
            await services.campaigns.mark_delivery(campaign.id, item.person, delivery)
            return OutboxState.FAILED
        await self._settle(item, OutboxState.PENDING, error, now + backoff(attempts, JITTER))
        return OutboxState.PENDING

    async def _confirm(self, item: OutboxItem) -> bool | None:
        try:
            return await self.services.transport.confirm(item.person, item.key)
        except Exception:  # asking is best effort: unknown means "do not resend"
            return None

    async def _invite(self, campaign: Campaign, item: OutboxItem) -> Delivery:
        """The invitation and the first question, in the person's language."""
        services, key = self.services, item.person
        person = await services.people.get_person(key) or Person(key)
        lead = await services.people.get_person(campaign.started_by) or Person(campaign.started_by)
        language = person.language or services.settings.language
        msgs = services.content.messages_for(language)
        questions = services.content.questions_for(language)
        inputs = PollInputs(key, campaign.id, questions, {}, msgs, services.clock.now())
        message = invitation(
            inputs,
            name=person.display_name or key.user_id,
            lead=lead.display_name or lead.key.user_id,
            deadline=campaign.deadline,
        )
        try:
            return await services.transport.send(key, message, item.key)
        except Exception as exc:  # a transport bug counts as a transient failure, never a crash
            return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
