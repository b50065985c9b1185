"""What one event changes, as one value the store commits in one transaction.

A handler never writes to the store: it returns an `Outcome` (bot.flows.outcome) whose effects
the engine turns into a `Turn`. The store applies the whole turn, together with the event id,
atomically; an event seen before, or a job whose claim was lost, applies nothing. Only then are
replies sent and slow work done, so a failed or redelivered event never leaves half an effect.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from bot.core.decisions import Decision
from bot.core.domain import (
    Answer,
    Approval,
    Campaign,
    ConversationState,
    Erasure,
    Job,
    JobKind,
    OutboxItem,
    OwnerAnswer,
    Person,
    PersonKey,
    ThemeOwner,
)


@dataclass(frozen=True)
class EventKey:
    """The identity of an inbound event, used to give it its effect once."""

    platform: str
    event_id: str


def invitation_key(campaign_id: int, person: PersonKey) -> str:
    """The outbox key of a campaign's invitation to one person (also its reference on Slack)."""
    return f"invite:{campaign_id}:{person}"


def reminder_job(campaign_id: int, person: PersonKey, n: int, at: datetime) -> Job:
    return Job(f"reminder:{campaign_id}:{person}:{n}", JobKind.REMINDER, at, person, campaign_id)


def digest_job(campaign_id: int, manager: PersonKey, at: datetime) -> Job:
    """The weekly digest of a campaign for one manager at `at` (a Monday morning)."""
    key = f"digest:{campaign_id}:{manager}:{at.date().isoformat()}"
    return Job(key, JobKind.DIGEST, at, manager, campaign_id)


@dataclass(frozen=True)
class NewCampaign:
    """A campaign to create, with its audience and what follows once it has an id: everyone's
    invitation in the outbox, their reminders and each manager's first weekly digest."""

    platform: str
    tenant: str
    started_by: PersonKey
    started_at: datetime
    language: str
    deadline: date | None
    audience: tuple[Person, ...]
    reminders: tuple[tuple[PersonKey, tuple[datetime, ...]], ...] = ()
    digests: tuple[tuple[PersonKey, datetime], ...] = ()

    def jobs(self, campaign_id: int) -> list[Job]:
        jobs = [
            reminder_job(campaign_id, person, n, at)
            for person, moments in self.reminders
            for n, at in enumerate(moments, start=1)
        ]
        jobs += [digest_job(campaign_id, manager, at) for manager, at in self.digests]
        return jobs

    def invitations(self, campaign_id: int) -> list[OutboxItem]:
        return [
            OutboxItem(
                invitation_key(campaign_id, p.key), campaign_id, p.key, next_at=self.started_at
            )
            for p in self.audience
        ]


@dataclass(frozen=True)
class JobDone:
    """A scheduled job that the replica `owner` holds, finished with `outcome` in this turn.
    If the claim was lost (another replica took it over), the whole turn applies nothing.

    With `sending_until`, the job has messages still to send: it is left `sending` under a lease
    until then, and `JobStore.finish_job` marks it done once they went out. A replica that dies
    in between leaves it in doubt for the next one, which asks the platform first."""

    key: str
    outcome: str
    owner: str
    sending_until: datetime | None = None


@dataclass(frozen=True)
class Effects:
    """Every kind of change one event makes, as one value: a handler's `Outcome` carries it and
    the `Turn` holds it as is. Each field is one kind of change with one writer in the store
    (`WRITERS` in storage/turns.py), applied in the order of the fields; an empty field changes
    nothing.

    `a + b` is both: the changes of each kind in `a` and then `b` (a single value of `b`, when
    set, replaces `a`'s), so a handler adds to what it has in one expression.
    """

    # Erase the person: every row of theirs goes, and nothing else of the turn is stored.
    erase: PersonKey | None = None
    person: Person | None = None  # the person's profile as it should be stored
    state: ConversationState | None = None  # their place in the poll
    address: tuple[PersonKey, str] | None = None  # where a platform can reach a person now
    answers: tuple[Answer, ...] = ()
    owner_answers: tuple[OwnerAnswer, ...] = ()
    finished: tuple[int, PersonKey] | None = None  # (campaign id, person) finished the poll
    owners: tuple[ThemeOwner, ...] = ()  # ownerships set or replaced
    owners_removed: tuple[str, ...] = ()  # themes made open again
    closed: int | None = None  # the id of a campaign to close
    campaign: NewCampaign | None = None  # a campaign to start
    jobs: tuple[Job, ...] = ()  # planned; a key planned before is ignored
    # approvals asked for (pending: kept if asked before) or decided (the decision replaces)
    approvals: tuple[Approval, ...] = ()
    # decisions on the policy; each replaces the campaign's decision on its subject
    decisions: tuple[Decision, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        changes: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.default == ():  # a collection of changes
                changes[f.name] = mine + theirs
            elif theirs is not None:
                changes[f.name] = theirs
        return replace(self, **changes)


@dataclass(frozen=True)
class Turn:
    """Everything one event changes, committed atomically by the store: the event's `effects`,
    at `at`, with the event id (or a scheduled job's end, `job_done`).

    If `event` was seen before (or `job_done`'s claim was lost), the store applies nothing and
    returns None.
    """

    event: EventKey | None
    effects: Effects = Effects()
    at: datetime | None = None
    job_done: JobDone | None = None


@dataclass(frozen=True)
class Applied:
    """What committing a turn produced that its replies and slow work need."""

    campaign: Campaign | None = None  # the campaign the turn created
    closed: bool = False  # whether `Effects.closed` was running and is closed now
    erasure: Erasure | None = None
