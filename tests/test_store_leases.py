"""The storage contract for what several replicas share: leased claims on jobs and outbox
items, send budgets and the per-person lock. Runs against every backend (tests/stores.py);
"two replicas" are two stores opened on the same database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta

import pytest

from bot.core.domain import Job, JobKind, OutboxItem, OutboxState, PersonKey, SendBudget
from bot.core.ports import Store
from tests.campaigns import LEAD, T0, create_campaign
from tests.stores import opened

LEASE = timedelta(seconds=60)
Claimed = OutboxItem | Job  # what a replica claims: both carry their `key`


@pytest.fixture
async def other(store_url: str, store: Store) -> AsyncIterator[Store]:
    """A second replica on the same database."""
    async with opened(store_url) as replica:
        yield replica


async def campaign_with_invitations(store: Store, count: int) -> list[str]:
    people = [PersonKey("slack", "T1", f"U{i:03d}") for i in range(count)]
    campaign = await create_campaign(store, people)
    items = [OutboxItem(f"invite:{p}", campaign.id, p, next_at=T0) for p in people]
    assert await store.enqueue(items) == count
    assert await store.enqueue(items[:3]) == 0  # the same key twice: ignored
    return [i.key for i in items]


async def claimed_at_once(
    store: Store, other: Store, claim: Callable[[Store, str], Awaitable[Sequence[Claimed]]]
) -> tuple[list[str], list[str]]:
    """Two replicas, `r1` on `store` and `r2` on `other`, each claiming with `claim` until
    nothing is left, at the same time: the keys each one got, of which none got the same."""

    async def drain(replica: Store, name: str) -> list[str]:
        got: list[str] = []
        while claimed := await claim(replica, name):
            got += [c.key for c in claimed]
            await asyncio.sleep(0)
        return got

    first, second = await asyncio.gather(drain(store, "r1"), drain(other, "r2"))
    assert not set(first) & set(second)
    return first, second


async def test_an_invitation_is_claimed_sent_and_settled_once(store: Store) -> None:
    keys = await campaign_with_invitations(store, 3)
    claimed = await store.claim_outbox(T0, T0 + LEASE, "r1", 2)
    assert [i.key for i in claimed] == keys[:2]  # oldest first, at most the limit
    assert all(i.state is OutboxState.CLAIMED and not i.in_doubt for i in claimed)
    assert [i.key for i in await store.claim_outbox(T0, T0 + LEASE, "r2", 10)] == keys[2:]
    assert await store.claim_outbox(T0, T0 + LEASE, "r3", 10) == []

    assert not await store.begin_send(keys[0], "r2", T0 + LEASE)  # not r2's claim
    assert await store.begin_send(keys[0], "r1", T0 + LEASE)
    assert not await store.begin_send(keys[0], "r1", T0 + LEASE)  # already sending
    assert not await store.settle_outbox(keys[0], "r2", OutboxState.SENT, None, None)
    assert await store.settle_outbox(keys[0], "r1", OutboxState.SENT, None, None)
    assert not await store.settle_outbox(keys[0], "r1", OutboxState.SENT, None, None)

    retry_at = T0 + timedelta(minutes=5)
    assert await store.settle_outbox(keys[1], "r1", OutboxState.PENDING, "timeout", retry_at)
    assert await store.claim_outbox(T0 + LEASE / 2, T0 + LEASE, "r1", 10) == []
    again = await store.claim_outbox(retry_at, retry_at + LEASE, "r1", 10)
    # keys[2]: r2's lease has run out by now, so it is claimable again (and not in doubt).
    assert [(i.key, i.last_error, i.in_doubt) for i in again] == [
        (keys[2], None, False),
        (keys[1], "timeout", False),
    ]

    campaign_id = claimed[0].campaign_id
    assert await store.outbox_counts(campaign_id) == {"sent": 1, "claimed": 2}


async def test_a_dead_replicas_claims_pass_to_another_after_the_lease(store: Store) -> None:
    keys = await campaign_with_invitations(store, 2)
    await store.claim_outbox(T0, T0 + LEASE, "dead", 10)
    assert await store.begin_send(keys[0], "dead", T0 + LEASE)  # died during this send
    # keys[1] was claimed but never started: safe to send; keys[0] may have arrived.
    assert await store.claim_outbox(T0 + LEASE - timedelta(seconds=1), T0, "r2", 10) == []
    later = T0 + LEASE
    taken = await store.claim_outbox(later, later + LEASE, "r2", 10)
    assert {i.key: i.in_doubt for i in taken} == {keys[0]: True, keys[1]: False}
    # The dead replica, should it wake up, can no longer send or settle either.
    assert not await store.begin_send(keys[1], "dead", later + LEASE)
    assert not await store.settle_outbox(keys[0], "dead", OutboxState.SENT, None, None)
    # Doubt stays with the invitation until someone starts sending it again.
    retaken = await store.claim_outbox(later + LEASE, later + 2 * LEASE, "r3", 10)
    assert {i.key: i.in_doubt for i in retaken} == {keys[0]: True, keys[1]: False}
    assert await store.begin_send(keys[0], "r3", later + 3 * LEASE)
    assert await store.settle_outbox(keys[0], "r3", OutboxState.UNCERTAIN, "in doubt", None)
    last = await store.claim_outbox(later + 9 * LEASE, later + 10 * LEASE, "r4", 10)
    assert [(i.key, i.in_doubt) for i in last] == [(keys[1], False)]


async def test_two_replicas_claiming_at_once_never_share_an_invitation(
    store: Store, other: Store
) -> None:
    keys = await campaign_with_invitations(store, 60)
    first, second = await claimed_at_once(
        store, other, lambda replica, name: replica.claim_outbox(T0, T0 + LEASE, name, 4)
    )
    assert sorted(first + second) == sorted(keys)


async def test_two_replicas_claiming_jobs_at_once_never_share_one(
    store: Store, other: Store
) -> None:
    jobs = [Job(f"reminder:{n}", JobKind.REMINDER, T0, LEAD, None) for n in range(40)]
    assert await store.schedule(jobs) == 40
    first, second = await claimed_at_once(
        store, other, lambda replica, name: replica.claim_jobs(T0, T0 + LEASE, name, 3)
    )
    assert len(first) + len(second) == 40
    for key in first:
        assert await store.finish_job(key, "sent", T0, "r1")
    for key in second:
        assert await other.finish_job(key, "sent", T0, "r2")
    # A job whose replica died is taken over after the lease, and only then.
    await store.schedule([Job("digest:1", JobKind.DIGEST, T0, LEAD, None)])
    assert [j.key for j in await store.claim_jobs(T0, T0 + LEASE, "dead", 5)] == ["digest:1"]
    assert await other.claim_jobs(T0 + LEASE / 2, T0 + LEASE, "r2", 10) == []
    taken = await other.claim_jobs(T0 + LEASE, T0 + 2 * LEASE, "r2", 10)
    assert [j.key for j in taken] == ["digest:1"]
    assert not await store.finish_job("digest:1", "sent", T0, "dead")
    assert await other.finish_job("digest:1", "sent", T0, "r2")
    assert await store.claim_jobs(T0 + 9 * LEASE, T0 + 10 * LEASE, "r1", 10) == []


async def test_a_send_budget_is_one_for_all_replicas(store: Store, other: Store) -> None:
    def take(budget: SendBudget | None) -> SendBudget:
        current = budget or SendBudget(rate=10.0, ceiling=100.0, next_at=0.0)
        return SendBudget(current.rate, current.ceiling, current.next_at + 1)

    results = await asyncio.gather(
        *(replica.update_budget("slack:T1", take) for replica in [store, other] * 10)
    )
    # Twenty read-modify-writes from two replicas, none lost to a race.
    assert sorted(r.next_at for r in results) == [float(n) for n in range(1, 21)]
    assert (await other.update_budget("slack:T1", lambda b: b or take(None))).next_at == 20.0
    assert (await store.update_budget("teams:X", take)).next_at == 1.0


async def test_the_person_lock_keeps_one_persons_events_apart_across_replicas(
    store_url: str, store: Store, other: Store
) -> None:
    ann, bob = PersonKey("slack", "T1", "UA"), PersonKey("slack", "T1", "UB")
    log: list[str] = []

    async def event(replica: Store, key: PersonKey, name: str) -> None:
        async with replica.person_lock(key):
            log.append(f"{name} in")
            await asyncio.sleep(0.05)
            log.append(f"{name} out")

    await asyncio.gather(event(store, ann, "a"), event(other, bob, "b"))
    assert sorted(log[:2]) == ["a in", "b in"]  # two people: nobody waits
    if not store_url.startswith("postgres"):
        return  # SQLite serves one process; the engine's own lock keeps events apart there
    log.clear()
    await asyncio.gather(event(store, ann, "a1"), event(other, ann, "a2"))
    assert log in (["a1 in", "a1 out", "a2 in", "a2 out"], ["a2 in", "a2 out", "a1 in", "a1 out"])
