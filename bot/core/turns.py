"""What one event changes, as one value the store commits in one transaction.

A handler never writes to the store: it returns an `Outcome` (bot.flows.outcome) whose effects
the engine turns into a `Turn`. The store applies the whole turn, together with the event id,
atomically; an event seen before, or a job whose claim was lost, applies nothing. Only then are
replies sent and slow work done, so a failed or redelivered event never leaves half an effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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
class Turn:
    """Everything one event changes, committed atomically by the store.

    If `event` was seen before (or `job_done`'s claim was lost), the store applies nothing and
    returns None. `erase` removes every row of that person and nothing else is stored about them.
    """

    event: EventKey | None
    state: ConversationState | None = None
    answers: tuple[Answer, ...] = ()
    person: Person | None = None
    finished: tuple[int, PersonKey] | None = None  # (campaign id, person) finished the poll
    at: datetime | None = None
    owner_answers: tuple[OwnerAnswer, ...] = ()
    campaign: NewCampaign | None = None
    closed: int | None = None  # the id of a campaign to close
    owners: tuple[ThemeOwner, ...] = ()  # ownerships set or replaced
    owners_removed: tuple[str, ...] = ()  # themes made open again
    jobs: tuple[Job, ...] = ()  # planned; a key planned before is ignored
    erase: PersonKey | None = None
    job_done: JobDone | None = None
    address: tuple[PersonKey, str] | None = None  # where a platform can reach a person now
    # approvals asked for (pending: kept if asked before) or decided (the decision replaces)
    approvals: tuple[Approval, ...] = ()


@dataclass(frozen=True)
class Applied:
    """What committing a turn produced that its replies and slow work need."""

    campaign: Campaign | None = None  # the campaign the turn created
    closed: bool = False  # whether `Turn.closed` was running and is closed now
    erasure: Erasure | None = None
