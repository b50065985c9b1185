"""The send pace, shared by every replica through the store.

A platform's budget (one Slack workspace, one Teams app in a tenant) is one row in the store:
the current rate, the ceiling learned from refusals and the next free moment. Each send reserves
its moment in that row, so two replicas together stay within what one would: they queue on the
same budget instead of each spending it in full. The maths is pure and lives here; the store
only reads and writes the row under a lock (`Store.update_budget`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.core.domain import SendBudget
from bot.core.ports import OutboxStore

STEP = 1.0  # sends per second added after each success
BACKOFF = 0.95  # the new ceiling after a refusal, as a share of the refused rate
# How much the ceiling rises after each accepted send: slowly, so that once a refusal taught the
# pace the platform's limit it stays just under it for a long while (each refusal costs a pause
# of Retry-After for every sender on the budget).
CREEP = 1.0001
TOP = 100.0  # never faster than this, whatever the platform accepts
FLOOR = 0.2  # never slower than one send in five seconds
# A next free moment further ahead than this can only come from a clock that jumped back (no
# Retry-After asks for so long): it is forgotten rather than waited for.
MAX_AHEAD = 600.0


def fresh(rate: float, now: float) -> SendBudget:
    return SendBudget(rate=rate, ceiling=TOP, next_at=now)


def reserve(budget: SendBudget, now: float) -> tuple[SendBudget, float]:
    """Takes the next free moment; returns the new budget and how long to wait for the moment."""
    slot = max(budget.next_at, now) if budget.next_at - now <= MAX_AHEAD else now
    return replace(budget, next_at=slot + 1 / budget.rate), slot - now


def speed_up(budget: SendBudget) -> SendBudget:
    """After a send the platform accepted: a little faster, creeping the ceiling up slowly."""
    return replace(
        budget,
        rate=min(budget.ceiling, budget.rate + STEP),
        ceiling=min(TOP, budget.ceiling * CREEP),
    )


def slow_down(budget: SendBudget, now: float, retry_after: float | None) -> SendBudget:
    """After "too many" (HTTP 429): nobody sends before Retry-After has passed, and the ceiling
    settles just below the rate that was refused."""
    ceiling = max(FLOOR, budget.rate * BACKOFF)
    return SendBudget(
        rate=ceiling, ceiling=ceiling, next_at=max(budget.next_at, now + (retry_after or 1.0))
    )


class SharedPace:
    """Spaces sends per budget at a pace every replica shares (None: no pacing at all)."""

    def __init__(
        self,
        store: OutboxStore,
        start_rate: float | None,
        wall: Callable[[], float] = time.time,
        platform_rates: Mapping[str, float] | None = None,
    ) -> None:
        """`start_rate`: sends per second a new budget starts at (None: no pacing at all);
        `platform_rates`: a platform's own start, where its limits are known to be higher."""
        self.store = store
        self.start_rate = start_rate
        self.platform_rates = dict(platform_rates or {})
        self.wall = wall  # replicas on several hosts need their clocks in sync (NTP)

    def _start(self, budget: str) -> float:
        assert self.start_rate is not None
        return self.platform_rates.get(budget.partition(":")[0], self.start_rate)

    async def wait(self, budget: str) -> None:
        if self.start_rate is None:
            return
        start, now = self._start(budget), self.wall()
        delay = 0.0

        def take(current: SendBudget | None) -> SendBudget:
            nonlocal delay
            updated, delay = reserve(current or fresh(start, now), now)
            return updated

        await self.store.update_budget(budget, take)
        if delay > 0:
            await asyncio.sleep(delay)

    async def accepted(self, budget: str) -> None:
        if self.start_rate is not None:
            start, now = self._start(budget), self.wall()
            await self.store.update_budget(budget, lambda b: speed_up(b or fresh(start, now)))

    async def refused(self, budget: str, retry_after: float | None) -> None:
        if self.start_rate is not None:
            start, now = self._start(budget), self.wall()
            await self.store.update_budget(
                budget, lambda b: slow_down(b or fresh(start, now), now, retry_after)
            )

    async def rate(self, budget: str) -> float | None:
        """The budget's current pace (for status and tests)."""
        if self.start_rate is None:
            return None
        start, now = self._start(budget), self.wall()
        return (await self.store.update_budget(budget, lambda b: b or fresh(start, now))).rate
