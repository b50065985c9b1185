"""The scheduler: reminders, owner nudges, claims that stand, and weekly manager digests.

Jobs live in the store, so a restart loses none; they are planned in the same turn as what
caused them (bot.campaigns.planning). Each job has a key that names its reason ("reminder 1 of
campaign 3 for anna"): the store schedules a key once and hands it out once, so nothing is sent
twice. A job is finished in one turn with whatever it changes (a claim that stands, the next
weekly digest) *before* its message goes out, and stays `sending` until the message did. A job
whose replica died in between is in doubt: the replica taking it over asks the platform (the
message carries the job's key) and sends it again only if it did not arrive; where the platform
cannot tell, it is not sent again, so nothing goes out twice. Jobs only act in the recipient's
working hours (09:00-17:00 local, Monday to Friday); a job that comes due outside them (say,
after a weekend outage) is moved to the next working moment. The clock is injected, so tests
can move time across weekends and daylight-saving changes.

Once an hour it also forgets what is past the retention period (`IMVO_RETENTION_DAYS`): handled
event ids, done jobs, the settled invitations of closed campaigns. Never answers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.campaigns.planning import managers_of, owner_nudge
from bot.core.domain import Campaign, Job, JobKind, OwnerState, Person, PersonKey, ThemeOwner
from bot.core.messages import Message, Text
from bot.core.turns import Effects, JobDone, Turn, digest_job
from bot.core.worktime import is_working_time, next_monday_morning, next_working_moment, zone
from bot.flows import owners as own
from bot.flows.steps import waiting
from bot.reporting.digest_delivery import deliver_digest

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.flows.loading import Sessions

log = logging.getLogger("imvo.scheduler")

BATCH = 50
PRUNE_EVERY = timedelta(hours=1)  # how often a process forgets what is past retention
PRUNE_BATCH = 5_000  # rows of each kind per transaction, so no prune holds the store for long


@dataclass(frozen=True)
class Decision:
    """What a due job sends, the outcome to record, and what it changes in the same turn."""

    messages: tuple[Message, ...]
    outcome: str
    owners: tuple[ThemeOwner, ...] = ()
    jobs: tuple[Job, ...] = ()
    digest: Campaign | None = None  # a weekly digest to deliver after the commit


class Scheduler:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.services = sessions.services
        self._pruned_at: datetime | None = None

    async def _zone(self, key: PersonKey) -> ZoneInfo:
        person = await self.services.people.get_person(key)
        return zone(person.time_zone if person else None, self.services.settings.timezone)

    # ------------------------------------------------------------------ running

    async def run_due(self) -> int:
        """Runs every job that is due now; returns how many sent something.

        Jobs are claimed under a lease, so replicas sharing a store split them and never run
        one twice; a job whose replica died is taken over once its lease has run out, and one
        that was sending is confirmed with the platform before it is sent again.
        """
        services = self.services
        now, me = services.clock.now(), services.replica
        outbox = services.outbox
        if outbox is not None and not outbox.busy:
            await outbox.run()  # invitations left by a restart or another replica, and retries
        await self.prune()
        lease = timedelta(seconds=services.settings.lease_seconds)
        sent = 0
        while jobs := await services.jobs.claim_jobs(now, now + lease, me, BATCH):
            for job in jobs:
                sent += await self._run_job(job)
            if len(jobs) < BATCH:
                break
        return sent

    async def _run_job(self, job: Job) -> int:
        services = self.services
        now, me = services.clock.now(), services.replica
        tz = await self._zone(job.person)
        if not is_working_time(now, tz):
            await services.jobs.reschedule_job(job.key, next_working_moment(now, tz))
            return 0
        if job.in_doubt:
            # Its replica died while sending: ask the platform before sending it again. Where
            # the platform cannot tell (None), it is not sent again: never twice.
            arrived = await services.transport.confirm(job.person, job.key)
            if arrived is not False:
                outcome = "sent (confirmed)" if arrived else "uncertain: not sent again"
                await services.jobs.finish_job(job.key, outcome, now, me)
                return 0
        async with self.sessions.locks.hold(job.person):
            decision = await self._decide(job)
            sends = bool(decision.messages) or decision.digest is not None
            lease = timedelta(seconds=services.settings.lease_seconds)
            turn = Turn(
                None,
                Effects(owners=decision.owners, jobs=decision.jobs),
                at=now,
                job_done=JobDone(job.key, decision.outcome, me, now + lease if sends else None),
            )
            if await services.conversations.commit_turn(turn) is None:
                return 0  # our lease ran out and another replica took the job over
            # The first message carries the job's key, where `Transport.confirm` finds it.
            for n, message in enumerate(decision.messages):
                await self._send(job.person, message, job.key if n == 0 else "")
            if decision.digest is not None:
                manager = await self._person(job.person)
                await deliver_digest(services, decision.digest, manager, job.key)
            if sends:
                await services.jobs.finish_job(job.key, decision.outcome, services.clock.now(), me)
        return int(bool(decision.messages))

    async def prune(self) -> dict[str, int]:
        """Forgets handled event ids, done jobs and the settled invitations of closed campaigns
        older than `IMVO_RETENTION_DAYS`, at most once per PRUNE_EVERY, in small batches.
        Several replicas may prune at once: deleting what is gone already is harmless."""
        now = self.services.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return {}
        self._pruned_at = now
        before = now - timedelta(days=self.services.settings.retention_days)
        total: dict[str, int] = {}
        while True:
            gone = await self.services.housekeeping.prune(before, PRUNE_BATCH)
            for kind, n in gone.items():
                total[kind] = total.get(kind, 0) + n
            if max(gone.values(), default=0) < PRUNE_BATCH:
                break
            await asyncio.sleep(0)  # let conversations in between batches
        if any(total.values()):
            log.info("pruned past retention: %s", total)
        return total

    async def run_forever(self, every: float = 5.0) -> None:
        """For a long-running process: a tick every `every` seconds."""
        while True:
            await self.run_due()
            await asyncio.sleep(every)

    async def _decide(self, job: Job) -> Decision:
        if job.kind is JobKind.REMINDER:
            return await self._reminder(job)
        if job.kind is JobKind.OWNER_NUDGE:
            return await self._nudge(job)
        if job.kind is JobKind.CLAIM_STANDS:
            return await self._claim(job)
        return await self._digest(job)

    async def _person(self, key: PersonKey) -> Person:
        return await self.services.people.get_person(key) or Person(key)

    async def _reminder(self, job: Job) -> Decision:
        campaign = await self.services.campaigns.get_campaign(job.campaign_id or 0)
        if campaign is None or not campaign.running:
            return Decision((), "skipped: campaign closed")
        part = await self.services.campaigns.participation(campaign.id, job.person)
        if part is None or part.finished_at is not None:
            return Decision((), "skipped: finished or not taking part")
        session = await self.sessions.load(await self._person(job.person))
        if session.asking is None:
            return Decision((), "skipped: nothing pending")
        msgs = session.msgs
        until = (
            msgs("remind.deadline", date=campaign.deadline.isoformat()) if campaign.deadline else ""
        )
        name = session.person.display_name or job.person.user_id
        text = msgs("remind.poll", name=name, deadline=until).strip()
        question = waiting(session)
        assert question is not None
        return Decision((Text(text), question), "sent")

    async def _nudge(self, job: Job) -> Decision:
        session = await self.sessions.load(await self._person(job.person))
        pending = session.owner_next
        if pending is None or pending.theme.key != job.theme:
            return Decision((), "skipped: answered or no longer owner")
        messages: list[Message] = [Text(session.msgs("owners.nudge", theme=pending.theme.name))]
        if session.asking is None:
            messages.append(own.ask(pending, session.msgs))
        return Decision(tuple(messages), "sent")

    async def _claim(self, job: Job) -> Decision:
        session = await self.sessions.load(await self._person(job.person))
        current = session.owners.get(job.theme or "")
        if (
            current is None
            or current.person != job.person
            or current.state is not OwnerState.PROPOSED
            or current.invited_by is not None
        ):
            return Decision((), "skipped: claim no longer open")
        accepted = replace(current, state=OwnerState.ACCEPTED, since=self.services.clock.now())
        owners = {**session.owners, accepted.theme: accepted}
        next_question = own.next_question(
            job.person,
            session.pack.themes,
            owners,
            session.owner_answers,
            session.pack.owner_questions,
        )
        theme = next((t for t in session.pack.themes if t.key == job.theme), None)
        name = theme.name if theme else (job.theme or "")
        messages: list[Message] = [Text(session.msgs("owners.stands", theme=name))]
        if next_question is not None and session.asking is None:
            messages.append(own.ask(next_question, session.msgs))
        nudge = owner_nudge(accepted, await self._zone(job.person))
        return Decision(tuple(messages), "accepted", owners=(accepted,), jobs=(nudge,))

    async def _digest(self, job: Job) -> Decision:
        """A manager's weekly digest: delivered after the commit, the next one planned in it."""
        campaign = await self.services.campaigns.get_campaign(job.campaign_id or 0)
        if campaign is None or not campaign.running:
            return Decision((), "digest")
        if job.person not in managers_of(await self.services.people.roles(), campaign.platform):
            return Decision((), "digest")
        moment = next_monday_morning(self.services.clock.now(), await self._zone(job.person))
        following = digest_job(campaign.id, job.person, moment)
        return Decision((), "digest", jobs=(following,), digest=campaign)

    async def _send(self, to: PersonKey, message: Message, ref: str = "") -> None:
        try:
            await self.services.transport.send(to, message, ref)
        except Exception:  # one failed notice must not stop the other jobs
            return
