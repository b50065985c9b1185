"""The durable outbox: each invitation sent once, retried with back-off, failures reported,
a restart in the middle of a fan-out resumes without sending anything twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.campaigns import pace
from bot.campaigns.outbox import BATCH, CONCURRENCY, backoff
from bot.core.domain import Delivery, PersonKey, SendBudget
from bot.core.messages import Message
from tests.harness import Harness, make_harness, make_lead, person, texts


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


class Flaky:
    """A transport that fails for some people, a given number of times, with a given error."""

    def __init__(self, h: Harness, failures: dict[str, tuple[int, str]]) -> None:
        self.h, self.failures = h, failures
        self.sent: Counter[PersonKey] = Counter()
        self.original = h.transport.send

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        times, error = self.failures.get(to.user_id, (0, ""))
        if times > 0:
            self.failures[to.user_id] = (times - 1, error)
            return Delivery(ok=False, error=error)
        self.sent[to] += 1
        return await self.original(to, message, ref)


async def test_transient_errors_are_retried_with_backoff_and_permanent_ones_reported(
    h: Harness,
) -> None:
    flaky = Flaky(h, {"bram": (2, "internal_error"), "cees": (1, "user_not_found")})
    h.transport.send = flaky.send  # type: ignore[method-assign]
    lead = await make_lead(h)
    replies = await h.say(lead, "start anna bram cees")
    assert "reached 1 of 3 people" in texts(replies)
    assert "cees (user_not_found)" in texts(replies)
    assert "1 invitation hit a temporary error; I will retry it" in texts(replies)
    status = texts(await h.say(lead, "status"))
    assert "Waiting to be sent (or retried): 1" in status
    assert "console:cees: user_not_found" in status

    h.clock.advance(seconds=23)
    await h.app.bot.scheduler.run_due()
    assert flaky.sent[person("bram").key] == 0  # not before the back-off (30 s ± 20 %)
    h.clock.advance(seconds=14)
    await h.app.bot.scheduler.run_due()  # second failure, next wait 60 s ± 20 %
    h.clock.advance(seconds=73)
    await h.app.bot.scheduler.run_due()
    assert flaky.sent[person("bram").key] == 1
    assert flaky.sent[person("cees").key] == 0
    assert flaky.sent[person("anna").key] == 1
    status = texts(await h.say(lead, "status"))
    assert "Poll delivered: 2" in status and "Waiting to be sent (or retried): 0" in status


async def test_a_restart_in_the_middle_of_a_fan_out_sends_nothing_twice(h: Harness) -> None:
    names = [f"p{i:02d}" for i in range(40)]
    for name in names:
        await h.app.store.upsert_person(person(name))
    sent: Counter[PersonKey] = Counter()
    original = h.transport.send
    # The second batch of the outbox hangs once its last CONCURRENCY sends are under way, so the
    # kill finds that many invitations mid-send however the store schedules its writes.
    crash_after = 2 * BATCH - CONCURRENCY
    hanging: list[PersonKey] = []
    frozen = asyncio.Event()

    async def send(to: PersonKey, message: Message, ref: str = "") -> Delivery:
        if sum(sent.values()) >= crash_after:
            hanging.append(to)
            if len(hanging) == CONCURRENCY:
                frozen.set()
            await asyncio.Event().wait()  # the process hangs here until it is killed
        sent[to] += 1
        return await original(to, message, ref)

    h.transport.send = send  # type: ignore[method-assign]
    lead = await make_lead(h)
    starting = asyncio.create_task(h.say(lead, "start " + " ".join(names)))
    await asyncio.wait_for(frozen.wait(), 10)
    starting.cancel()  # kill -9, as far as the database can tell
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert sum(sent.values()) == crash_after

    await h.reopen()  # a new process on the same database
    resumed: Counter[PersonKey] = Counter()
    again = h.transport.send

    async def count(to: PersonKey, message: Message, ref: str = "") -> Delivery:
        resumed[to] += 1
        return await again(to, message, ref)

    h.transport.send = count  # type: ignore[method-assign]
    await h.app.bot.scheduler.run_due()
    first_run = sum(resumed.values())
    # The invitations the dead process was sending wait for its lease to run out; then they are
    # in doubt: they may have arrived (here some did), and the console cannot tell. They are
    # not resent, but reported.
    h.clock.advance(seconds=h.settings.lease_seconds + 1)
    await h.app.bot.scheduler.run_due()
    assert sum(resumed.values()) == first_run
    everyone = sent + resumed
    assert max(everyone.values()) == 1  # nobody twice
    assert len(names) - CONCURRENCY <= len(everyone) < len(names)
    status = texts(await h.say(lead, "status"))
    assert status.count("stopped mid-send") == CONCURRENCY, status


def test_backoff_doubles_with_jitter() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    spread = {backoff(2, 0.2).total_seconds() for _ in range(50)}
    assert all(48 <= s <= 72 for s in spread) and len(spread) > 1


def test_pace_learns_the_limit_from_rate_limits() -> None:
    budget = pace.fresh(4.0, now=1000.0)
    for _ in range(30):
        budget = pace.speed_up(budget)
    assert budget.rate == 34.0  # speeds up while sends succeed
    budget = pace.slow_down(budget, now=1000.0, retry_after=3)
    assert budget.ceiling == pytest.approx(34.0 * 0.95)
    assert budget.rate == pytest.approx(34.0 * 0.95)
    assert budget.next_at == 1003.0  # nobody sends before Retry-After has passed
    for _ in range(10):
        budget = pace.speed_up(budget)
    assert budget.rate <= budget.ceiling < 34.0  # stays below the refused rate
    for _ in range(200):
        budget = pace.slow_down(budget, 1000.0, None)
    assert budget.rate == pace.FLOOR


def test_reserving_spaces_sends_at_the_rate() -> None:
    budget = SendBudget(rate=10.0, ceiling=10.0, next_at=0.0)
    waits = []
    for _ in range(5):
        budget, wait = pace.reserve(budget, now=100.0)
        waits.append(round(wait, 6))
    assert waits == [0.0, 0.1, 0.2, 0.3, 0.4]
    # A moment an hour ahead means the clock jumped back: forgotten, not waited for.
    jumped, wait = pace.reserve(SendBudget(10.0, 10.0, next_at=3700.0), now=100.0)
    assert wait == 0.0 and jumped.next_at == pytest.approx(100.1)


async def test_replicas_sharing_a_store_share_one_budget(h: Harness) -> None:
    """Two paces on one store (as two replicas have) queue on the same budget: together they
    send no faster than one would."""
    first = pace.SharedPace(h.app.store, 100.0, wall=lambda: 500.0)
    second = pace.SharedPace(h.app.store, 100.0, wall=lambda: 500.0)
    for runner in (first, second, first, second):
        await runner.wait("slack:T1")
    stored = await h.app.store.update_budget("slack:T1", lambda b: b or pace.fresh(1, 0))
    assert stored.next_at == pytest.approx(500.04)  # four slots of 1/100 s, one after another
    assert await first.rate("slack:T1") == 100.0
    await second.refused("slack:T1", retry_after=5)
    assert await first.rate("slack:T1") == pytest.approx(95.0)
    assert await first.rate("teams:X") == 100.0  # another budget is untouched
