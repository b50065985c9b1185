"""The scheduler with an injected clock: reminders across a weekend and a DST change, restarts,
owner nudges, claims that stand, and the weekly manager digest."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain import OwnerState, PersonKey, Role
from bot.core.messages import Card, Message
from tests.harness import Harness, make_harness, make_lead, person, texts

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
# Friday 23 October 2026, 16:00 in Amsterdam (summer time); summer time ends on Sunday the 25th.
FRIDAY = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    harness.clock.current = FRIDAY
    yield harness
    await harness.app.close()


Sent = list[tuple[datetime, PersonKey, Message]]


def record(h: Harness) -> Sent:
    """Wraps the transport so every message is kept with the (fake) time it was sent."""
    sent: Sent = []
    original = h.transport.send

    async def send(to: PersonKey, message: Message, ref: str = ""):  # type: ignore[no-untyped-def]
        sent.append((h.clock.now(), to, message))
        return await original(to, message, ref)

    h.transport.send = send  # type: ignore[method-assign]
    return sent


async def run_until(h: Harness, end: datetime, step: timedelta = timedelta(hours=1)) -> None:
    while h.clock.now() < end:
        h.clock.advance(seconds=step.total_seconds())
        await h.app.bot.scheduler.run_due()


def reminders(sent: Sent, who: PersonKey) -> list[datetime]:
    return [at for at, to, m in sent if to == who and "friendly reminder" in m.plain()]


async def start(h: Harness, audience: str, deadline: str = "2026-11-04") -> None:
    lead = await make_lead(h)
    await h.app.store.upsert_person(replace(person("bram"), time_zone="America/New_York"))
    replies = await h.say(lead, f"start {audience} deadline {deadline}")
    assert "has started" in texts(replies)


async def test_two_reminders_in_local_working_hours_across_a_weekend_and_dst(h: Harness) -> None:
    await start(h, "anna bram cees")
    sent = record(h)
    cees = person("cees")
    await h.click(cees, "discipline", "sales")
    for _ in range(12):
        await h.say(cees, "skip")  # cees finishes before any reminder
    await run_until(h, datetime(2026, 11, 6, tzinfo=UTC))

    for who, tz in ((person("anna").key, AMS), (person("bram").key, NYC)):
        times = reminders(sent, who)
        assert len(times) == 2, (who, times)
        for at in times:
            local = at.astimezone(tz)
            assert local.weekday() < 5 and 9 <= local.hour < 17, local
            assert local.date() < datetime(2026, 11, 4).date()
    anna_last = reminders(sent, person("anna").key)[1].astimezone(AMS)
    assert (anna_last.date().isoformat(), anna_last.hour) == (
        "2026-11-03",
        10,
    )  # after DST: still 10:00
    assert reminders(sent, cees.key) == []
    # Each reminder re-asks the pending question.
    anna_msgs = [m for at, to, m in sent if to == person("anna").key]
    assert "[1/9]" in anna_msgs[-1].plain()


async def test_a_restart_loses_no_reminder_and_sends_none_twice(h: Harness) -> None:
    await start(h, "anna")
    await h.reopen()
    sent = record(h)
    await run_until(h, datetime(2026, 10, 30, tzinfo=UTC))
    assert len(reminders(sent, person("anna").key)) == 1
    await h.reopen()
    sent_after = record(h)
    h.clock.current = datetime(2026, 10, 30, tzinfo=UTC)
    await run_until(h, datetime(2026, 11, 6, tzinfo=UTC))
    assert len(reminders(sent_after, person("anna").key)) == 1  # only the second one


async def test_a_job_due_at_the_weekend_waits_for_monday_morning(h: Harness) -> None:
    await start(h, "anna", "2026-11-20")
    sent = record(h)
    h.clock.current = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)  # Saturday: the first one is overdue
    await h.app.bot.scheduler.run_due()
    assert reminders(sent, person("anna").key) == []
    h.clock.current = datetime(2026, 11, 9, 7, 59, tzinfo=UTC)  # Monday 08:59 in Amsterdam
    await h.app.bot.scheduler.run_due()
    assert reminders(sent, person("anna").key) == []
    h.clock.current = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam (CET)
    await h.app.bot.scheduler.run_due()
    assert len(reminders(sent, person("anna").key)) == 1


async def test_no_reminders_after_the_campaign_stopped(h: Harness) -> None:
    await start(h, "anna")
    sent = record(h)
    await h.say(person("lead"), "stop")
    await run_until(h, datetime(2026, 11, 6, tzinfo=UTC))
    assert reminders(sent, person("anna").key) == []


async def test_weekly_digest_on_monday_at_nine_local_while_the_campaign_runs(h: Harness) -> None:
    manager = replace(person("manny"), time_zone="America/New_York")
    await h.app.store.upsert_person(manager)
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    await start(h, "anna", "2026-11-30")
    sent = record(h)
    await run_until(h, datetime(2026, 11, 10, tzinfo=UTC), timedelta(minutes=30))
    digests = [(at, m) for at, to, m in sent if to == manager.key and isinstance(m, Card)]
    assert [at.astimezone(NYC).strftime("%a %H:%M %d") for at, _ in digests] == [
        "Mon 09:00 26",
        "Mon 09:00 02",  # New York left summer time on 1 November: still 09:00 local
        "Mon 09:00 09",
    ]
    assert "Campaign #1" in digests[0][1].plain() or "#1" in digests[0][1].plain()
    await h.say(person("lead"), "stop")
    await run_until(h, datetime(2026, 11, 20, tzinfo=UTC), timedelta(hours=2))
    assert len([1 for _, to, m in sent if to == manager.key and isinstance(m, Card)]) == 3


async def test_an_owner_gets_one_nudge_and_an_uncontested_claim_stands(h: Harness) -> None:
    lead = await make_lead(h)
    await h.app.store.upsert_person(person("anna"))
    sent = record(h)
    await h.say(lead, "owner child-labour anna")
    invitation = h.inbox(person("anna"))[-1]
    from bot.core.messages import Choices, Clicked

    assert isinstance(invitation, Choices)
    await h._run(Clicked("acc", person("anna"), invitation.action, "accept"))
    await h.say(person("kim"), "claim living-wage")
    await run_until(h, datetime(2026, 11, 6, tzinfo=UTC))

    nudges = [
        at for at, to, m in sent if to == person("anna").key and "A reminder: as owner" in m.plain()
    ]
    assert len(nudges) == 1
    local = nudges[0].astimezone(AMS)
    assert local.weekday() < 5 and 9 <= local.hour < 17
    owners = {o.theme: o for o in await h.app.store.theme_owners()}
    assert owners["living-wage"].state is OwnerState.ACCEPTED
    kim = [m.plain() for _, to, m in sent if to == person("kim").key]
    assert any("Nobody objected, so you are now the owner of Living wage" in t for t in kim)
    assert any("[Living wage 1/5]" in t for t in kim)


async def test_the_scheduler_prunes_past_retention_hourly_and_never_answers(h: Harness) -> None:
    await start(h, "anna bram cees")
    await h.click(person("anna"), "discipline", "sales")
    store = h.app.store
    campaign = await store.latest_campaign()
    assert campaign is not None
    pruned: list[dict[str, int]] = []
    original = store.prune

    async def prune(before: datetime, batch: int) -> dict[str, int]:
        pruned.append(gone := await original(before, batch))
        assert before == h.clock.now() - timedelta(days=h.app.services.settings.retention_days)
        return gone

    store.prune = prune  # type: ignore[method-assign]
    await h.app.bot.scheduler.run_due()
    await h.app.bot.scheduler.run_due()  # within the hour: not again
    assert len(pruned) == 1 and pruned[0]["events"] == 0  # nothing is 30 days old yet
    h.clock.advance(seconds=31 * 24 * 3600)
    await h.app.bot.scheduler.run_due()
    assert len(pruned) == 2 and pruned[1]["events"] > 0  # the start and the click are forgotten
    answers = await store.answers_of(campaign.id, person("anna").key)
    assert [a.choices for a in answers] == [("sales",)]  # answers are never pruned


@pytest.mark.parametrize(
    ("arrived", "sent_again", "outcome"),
    [
        (True, 0, "sent (confirmed)"),  # the platform has it: not sent again
        (False, 1, "sent"),  # the platform says it never arrived: sent once more
        (None, 0, "uncertain: not sent again"),  # the platform cannot tell: never twice
    ],
)
async def test_a_reminder_whose_replica_died_mid_send_is_confirmed_before_it_is_resent(
    h: Harness, arrived: bool | None, sent_again: int, outcome: str
) -> None:
    await start(h, "anna")
    anna = person("anna").key
    original = h.transport.send
    refs: list[str] = []

    async def dies(to: PersonKey, message: Message, ref: str = ""):  # type: ignore[no-untyped-def]
        if "friendly reminder" in message.plain():
            refs.append(ref)
            raise asyncio.CancelledError  # the process is killed while the reminder is sent
        return await original(to, message, ref)

    h.transport.send = dies  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await run_until(h, datetime(2026, 10, 30, tzinfo=UTC))
    assert refs and refs[0].startswith("reminder:")  # the reminder carries its job's key

    asked: list[str] = []

    async def confirm(to: PersonKey, ref: str) -> bool | None:
        asked.append(ref)
        return arrived

    await h.reopen()  # another process, with another replica id
    h.transport.confirm = confirm  # type: ignore[method-assign]
    sent = record(h)
    h.clock.advance(seconds=h.app.services.settings.lease_seconds + 1)  # the lease runs out
    await h.app.bot.scheduler.run_due()
    assert asked == refs[:1]
    assert len(reminders(sent, anna)) == sent_again
    path = h.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        state = db.execute("SELECT state, outcome FROM jobs WHERE key = ?", refs[:1]).fetchone()
    assert state == ("done", outcome)
