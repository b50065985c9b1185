"""The durable outbox: poll invitations are queued in the store, then sent once each, paced
within the platform's limits, retried with back-off on transient errors, and reported in
`status` when they finally fail. A restart resumes where the last run stopped.

Sending is at most once: an invitation is claimed (`sending`) before it goes out, and a claim
left behind by a crash is never sent again, so nobody gets the poll twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain import Campaign, Delivery, OutboxItem, OutboxState, Person, PersonKey
from bot.poll import PollContext, ask

if TYPE_CHECKING:
    from bot.services import Services

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
BATCH = 200
PROGRESS_EVERY = 25


def outbox_key(campaign_id: int, person: PersonKey) -> str:
    return f"invite:{campaign_id}:{person}"


def backoff(attempts: int, jitter: float = 0.0) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… after the 1st, 2nd, 3rd… failed attempt, spread by ±`jitter`
    (a share) so that retries of many invitations do not arrive at the platform together."""
    factor: int = 2 ** max(0, attempts - 1)
    spread = 1 + random.uniform(-jitter, jitter) if jitter else 1
    return FIRST_BACKOFF * factor * spread


RATE_LIMITED = "ratelimited"


class Pace:
    """Spaces sends at `rate` per second and learns the platform's limit: it speeds up while
    sends succeed, and on "too many" (HTTP 429) it pauses as long as Retry-After asks and sets
    its ceiling just below the rate that was refused, creeping back up slowly afterwards."""

    STEP = 1.0  # per success, in sends per second
    BACKOFF = 0.95  # the new ceiling after a refusal, as a share of the refused rate
    TOP = 100.0

    def __init__(self, rate: float | None, floor: float = 0.2) -> None:
        self.rate = rate
        self.ceiling = self.TOP if rate is not None else None
        self.floor = floor
        self._next = 0.0

    async def wait(self) -> None:
        if self.rate is None:
            return
        # Reserve the slot before sleeping, so concurrent senders queue up instead of all
        # waking at the same moment.
        now = asyncio.get_running_loop().time()
        slot = max(self._next, now)
        self._next = slot + 1 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)

    def slow_down(self, retry_after: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._next = max(self._next, loop.time() + (retry_after or 1.0))
        if self.rate is not None:
            self.ceiling = max(self.floor, self.rate * self.BACKOFF)
            self.rate = self.ceiling

    def speed_up(self) -> None:
        if self.rate is not None and self.ceiling is not None:
            self.rate = min(self.ceiling, self.rate + self.STEP)
            self.ceiling = min(self.TOP, self.ceiling * 1.0005)


class Outbox:
    """Sends queued invitations at `rate` per second (None: as fast as the transport takes them)."""

    def __init__(self, services: Services, rate: float | None = None) -> None:
        self.services = services
        self.pace = Pace(rate)
        self._running = asyncio.Lock()

    async def enqueue_invites(self, campaign: Campaign, people: Sequence[Person]) -> int:
        now = self.services.clock.now()
        items = [
            OutboxItem(outbox_key(campaign.id, p.key), campaign.id, p.key, next_at=now)
            for p in people
        ]
        return await self.services.store.enqueue(items)

    async def run(self, progress: Progress | None = None) -> tuple[int, int]:
        """Sends everything due, a few at a time at the pace's rate; returns (sent, failed).

        One run at a time per process; within it up to CONCURRENCY sends are in flight, so a
        platform with slow round trips (Teams) can still be used at the rate it allows.
        """
        counts = {"sent": 0, "failed": 0}
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(item: OutboxItem) -> None:
            try:
                outcome = await self._send_one(item)
            finally:
                slots.release()
            counts["sent"] += outcome is OutboxState.SENT
            counts["failed"] += outcome is OutboxState.FAILED
            done = counts["sent"] + counts["failed"]
            if progress is not None and outcome is not None and done % PROGRESS_EVERY == 0:
                await progress(done)

        async with self._running:
            while due := await self.services.store.due_outbox(self.services.clock.now(), BATCH):
                tasks = []
                for item in due:
                    await slots.acquire()
                    tasks.append(asyncio.create_task(one(item)))
                await asyncio.gather(*tasks)
        return counts["sent"], counts["failed"]

    async def _send_one(self, item: OutboxItem) -> OutboxState | None:
        store, now = self.services.store, self.services.clock.now()
        if not await store.claim_outbox(item.key):
            return None  # another runner has it
        campaign = await store.get_campaign(item.campaign_id)
        if campaign is None or not campaign.running:
            await store.settle_outbox(item.key, OutboxState.FAILED, "campaign closed", None)
            return None
        await self.pace.wait()
        delivery = await self._invite(campaign, item.person)
        attempts = item.attempts + 1
        if delivery.error == RATE_LIMITED:
            # Not the person's fault and not an attempt: wait as asked and go slower.
            self.pace.slow_down(delivery.retry_after)
            await store.settle_outbox(item.key, OutboxState.PENDING, RATE_LIMITED, now)
            return OutboxState.PENDING
        if delivery.ok:
            self.pace.speed_up()
            await store.settle_outbox(item.key, OutboxState.SENT, None, None)
            await store.mark_delivery(campaign.id, item.person, delivery)
            return OutboxState.SENT
        error = delivery.error or "error"
        failures = attempts - (item.last_error == RATE_LIMITED)
        if error in PERMANENT or failures >= MAX_ATTEMPTS:
            await store.settle_outbox(item.key, OutboxState.FAILED, error, None)
            await store.mark_delivery(campaign.id, item.person, delivery)
            return OutboxState.FAILED
        retry_at = now + backoff(attempts, JITTER)
        await store.settle_outbox(item.key, OutboxState.PENDING, error, retry_at)
        return OutboxState.PENDING

    async def _invite(self, campaign: Campaign, key: PersonKey) -> Delivery:
        """The invitation and the first question, in the person's language."""
        services = self.services
        person = await services.store.get_person(key) or Person(key)
        lead = await services.store.get_person(campaign.started_by) or Person(campaign.started_by)
        language = person.language or services.settings.language
        msgs = services.content.messages_for(language)
        questions = services.content.questions_for(language)
        deadline = (
            msgs("invite.deadline", date=campaign.deadline.isoformat()) if campaign.deadline else ""
        )
        intro = msgs(
            "invite.intro",
            name=person.display_name or key.user_id,
            lead=lead.display_name or lead.key.user_id,
            count=len(questions),
            deadline=deadline,
        ).strip()
        context = PollContext(key, campaign.id, questions, {}, msgs, services.clock.now())
        first = ask(context, 0)
        # One message, so a retry can never repeat half of the invitation.
        message = replace(first, text=f"{intro}\n\n{first.text}")
        try:
            return await services.transport.send(key, message)
        except Exception as exc:  # a transport bug counts as a transient failure, never a crash
            return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
