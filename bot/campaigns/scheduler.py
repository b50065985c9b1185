"""The scheduler: reminders, owner nudges, claims that stand, and weekly manager digests.

Jobs live in the store, so a restart loses none. Each job has a key that names its reason
("reminder 1 of campaign 3 for anna"): the store schedules a key once and hands it out once,
so nothing is sent twice. A job is marked done *before* its message goes out; a crash in between
costs that one message rather than risking a duplicate. Jobs only act in the recipient's working
hours (09:00-17:00 local, Monday to Friday); a job that comes due outside them (say, after a
weekend outage) is moved to the next working moment. The clock is injected, so tests can move
time across weekends and daylight-saving changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.content.draft_texts import draft_texts
from bot.content.themes import find_theme
from bot.core.domain import Campaign, Job, JobKind, OwnerState, Person, PersonKey, Role, ThemeOwner
from bot.core.messages import Message, Text
from bot.core.worktime import (
    is_working_time,
    next_monday_morning,
    next_working_moment,
    reminder_moments,
    zone,
)
from bot.flows import owners as own
from bot.flows.poll import resume
from bot.reporting.digests import deliver_digest

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.flows.sessions import Sessions

BATCH = 50
NUDGE_AFTER = timedelta(days=3)


class Scheduler:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.services = sessions.services

    # ------------------------------------------------------------------ planning

    async def _zone(self, key: PersonKey) -> ZoneInfo:
        person = await self.services.store.get_person(key)
        return zone(person.time_zone if person else None, self.services.settings.timezone)

    async def plan_campaign(self, campaign: Campaign, people: Sequence[Person]) -> int:
        """Reminders for everyone in the audience and the first weekly digest for each manager."""
        default = self.services.settings.timezone
        jobs = [
            Job(f"reminder:{campaign.id}:{p.key}:{n}", JobKind.REMINDER, moment, p.key, campaign.id)
            for p in people
            for n, moment in enumerate(
                reminder_moments(
                    campaign.started_at, campaign.deadline, zone(p.time_zone, default)
                ),
                start=1,
            )
        ]
        for manager in await self._managers(campaign):
            jobs.append(await self._digest_job(campaign, manager))
        return await self.services.store.schedule(jobs)

    async def plan_owner_nudge(self, owner: ThemeOwner) -> None:
        moment = next_working_moment(owner.since + NUDGE_AFTER, await self._zone(owner.person))
        job = Job(
            f"nudge:{owner.theme}:{owner.person}",
            JobKind.OWNER_NUDGE,
            moment,
            owner.person,
            theme=owner.theme,
        )
        await self.services.store.schedule([job])

    async def plan_claim(self, claim: ThemeOwner) -> None:
        moment = next_working_moment(
            claim.since + own.CLAIM_STANDS_AFTER, await self._zone(claim.person)
        )
        key = f"claim:{claim.theme}:{claim.person}:{claim.since.isoformat()}"
        await self.services.store.schedule(
            [Job(key, JobKind.CLAIM_STANDS, moment, claim.person, theme=claim.theme)]
        )

    async def _managers(self, campaign: Campaign) -> list[PersonKey]:
        return sorted(
            {
                k
                for k, role in await self.services.store.roles()
                if role is Role.MANAGER and k.platform == campaign.platform
            }
        )

    async def _digest_job(self, campaign: Campaign, manager: PersonKey) -> Job:
        moment = next_monday_morning(self.services.clock.now(), await self._zone(manager))
        key = f"digest:{campaign.id}:{manager}:{moment.date().isoformat()}"
        return Job(key, JobKind.DIGEST, moment, manager, campaign.id)

    # ------------------------------------------------------------------ running

    async def run_due(self) -> int:
        """Runs every job that is due now; returns how many sent something.

        Jobs are claimed under a lease, so replicas sharing a store split them and never run
        one twice; a job whose replica died is taken over once its lease has run out. A job is
        marked done just before its messages go out: a crash in between costs that message
        rather than risking a duplicate.
        """
        services = self.services
        store, now, me = services.store, services.clock.now(), services.replica
        outbox = services.outbox
        if outbox is not None and not outbox.busy:
            await outbox.run()  # invitations left by a restart or another replica, and retries
        lease = timedelta(seconds=services.settings.lease_seconds)
        sent = 0
        while jobs := await store.claim_jobs(now, now + lease, me, BATCH):
            for job in jobs:
                sent += await self._run_job(job)
            if len(jobs) < BATCH:
                break
        return sent

    async def _run_job(self, job: Job) -> int:
        store, now, me = self.services.store, self.services.clock.now(), self.services.replica
        tz = await self._zone(job.person)
        if not is_working_time(now, tz):
            await store.reschedule_job(job.key, next_working_moment(now, tz))
            return 0
        async with self.sessions.locks.hold(job.person):
            messages, outcome = await self._decide(job)
            if not await store.finish_job(job.key, outcome, now, me):
                return 0  # our lease ran out and another replica took the job over
            for message in messages:
                await self._send(job.person, message)
            await self._follow_up(job, outcome)
        return int(bool(messages))

    async def run_forever(self, every: float = 5.0) -> None:
        """For a long-running process: a tick every `every` seconds."""
        while True:
            await self.run_due()
            await asyncio.sleep(every)

    async def _decide(self, job: Job) -> tuple[list[Message], str]:
        """What a due job should send, and the outcome to record."""
        if job.kind is JobKind.REMINDER:
            return await self._reminder(job)
        if job.kind is JobKind.OWNER_NUDGE:
            return await self._nudge(job)
        if job.kind is JobKind.CLAIM_STANDS:
            return await self._claim(job)
        return [], "digest"

    async def _person(self, key: PersonKey) -> Person:
        return await self.services.store.get_person(key) or Person(key)

    async def _reminder(self, job: Job) -> tuple[list[Message], str]:
        store = self.services.store
        campaign = await store.get_campaign(job.campaign_id or 0)
        if campaign is None or not campaign.running:
            return [], "skipped: campaign closed"
        part = await store.participation(campaign.id, job.person)
        if part is None or part.finished_at is not None:
            return [], "skipped: finished or not taking part"
        session = await self.sessions.load(await self._person(job.person))
        if session.poll is None or session.state is None or not session.pending:
            return [], "skipped: nothing pending"
        msgs = session.msgs
        until = (
            msgs("remind.deadline", date=campaign.deadline.isoformat()) if campaign.deadline else ""
        )
        text = msgs(
            "remind.poll", name=session.person.display_name or job.person.user_id, deadline=until
        )
        return [Text(text.strip()), resume(session.poll, session.state)], "sent"

    async def _nudge(self, job: Job) -> tuple[list[Message], str]:
        session = await self.sessions.load(await self._person(job.person))
        pending = session.owner_next
        if pending is None or pending.theme.key != job.theme:
            return [], "skipped: answered or no longer owner"
        messages: list[Message] = [Text(session.msgs("owners.nudge", theme=pending.theme.name))]
        if not (session.pending and session.poll is not None):
            messages.append(own.ask(pending, session.msgs))
        return messages, "sent"

    async def _claim(self, job: Job) -> tuple[list[Message], str]:
        store = self.services.store
        current = {o.theme: o for o in await store.theme_owners()}.get(job.theme or "")
        if (
            current is None
            or current.person != job.person
            or current.state is not OwnerState.PROPOSED
            or current.invited_by is not None
        ):
            return [], "skipped: claim no longer open"
        accepted = replace(current, state=OwnerState.ACCEPTED, since=self.services.clock.now())
        await store.set_theme_owner(accepted)
        session = await self.sessions.load(await self._person(job.person))
        theme = find_theme(job.theme or "", draft_texts(session.msgs.language).themes)
        name = theme.name if theme else (job.theme or "")
        messages: list[Message] = [Text(session.msgs("owners.stands", theme=name))]
        if session.owner_next is not None and not (session.pending and session.poll is not None):
            messages.append(own.ask(session.owner_next, session.msgs))
        await self.plan_owner_nudge(accepted)
        return messages, "accepted"

    async def _follow_up(self, job: Job, outcome: str) -> None:
        """Digests are sent after the job is claimed, then the next Monday's is planned."""
        if job.kind is not JobKind.DIGEST:
            return
        campaign = await self.services.store.get_campaign(job.campaign_id or 0)
        if campaign is None or not campaign.running:
            return
        if job.person in await self._managers(campaign):
            await deliver_digest(self.services, campaign, await self._person(job.person))
            await self.services.store.schedule([await self._digest_job(campaign, job.person)])

    async def _send(self, to: PersonKey, message: Message) -> None:
        try:
            await self.services.transport.send(to, message)
        except Exception:  # one failed notice must not stop the other jobs
            return
