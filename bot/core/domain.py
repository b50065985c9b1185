"""Typed domain values of the IMVO bot.

Every value here is a frozen dataclass: the core passes them around, stores persist them,
adapters translate to and from them. Nothing here knows about a chat platform or a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a person may do. Everyone is an employee; leads and managers are granted."""

    EMPLOYEE = "employee"
    CSR_LEAD = "csr_lead"
    MANAGER = "manager"


class CampaignState(StrEnum):
    RUNNING = "running"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"


LANGUAGES: tuple[str, ...] = ("nl", "en")


@dataclass(frozen=True, order=True)
class PersonKey:
    """Identifies one person on one platform in one tenant (Slack team, Teams tenant, console)."""

    platform: str
    tenant: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Person:
    """A colleague as the bot knows them. `None` means "not known (yet)"."""

    key: PersonKey
    display_name: str = ""
    language: str | None = None
    time_zone: str | None = None
    discipline: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class Campaign:
    """One round of polling: who is asked, until when, and whether it still runs."""

    id: int
    platform: str
    tenant: str
    started_by: PersonKey
    started_at: datetime
    language: str
    deadline: date | None = None
    state: CampaignState = CampaignState.RUNNING
    closed_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state is CampaignState.RUNNING


@dataclass(frozen=True)
class Participation:
    """A person in a campaign's audience, with what happened to their poll."""

    campaign_id: int
    person: PersonKey
    invited_at: datetime
    delivered: bool = False
    delivery_error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Option:
    """One answer option of a choice question. An `exclusive` option ("I expect no resistance")
    stands alone: it cannot be combined with any other option of its question."""

    key: str
    label: str
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    """One poll question in one language, loaded from `content/`."""

    id: str
    kind: QuestionKind
    prompt: str
    options: tuple[Option, ...] = ()
    max_choices: int = 1
    why_prompt: str | None = None
    # The short name used in summaries and the draft ("Drivers", "Drijfveren").
    title: str = ""

    @property
    def asks_why(self) -> bool:
        return self.why_prompt is not None

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def exclusive_clash(self, keys: Sequence[str]) -> Option | None:
        """The exclusive option among `keys` when it is combined with another choice, else None:
        such a combination contradicts itself and is refused."""
        if len(keys) < 2:
            return None
        return next((o for k in keys if (o := self.option(k)) and o.exclusive), None)

    def real_choices(self, keys: Sequence[str]) -> tuple[str, ...]:
        """What a stored combination really says: an exclusive option stored beside other
        choices (before combining was refused) is left out, so "purchasing, nowhere" counts as
        "purchasing" only; an exclusive option alone stays."""
        if self.exclusive_clash(keys) is None:
            return tuple(keys)
        rest = tuple(k for k in keys if not ((o := self.option(k)) and o.exclusive))
        return rest or tuple(keys)


@dataclass(frozen=True)
class Answer:
    """A person's answer to one question of one campaign.

    `choices` holds option keys (choice questions); `text` holds the free text, which for a
    choice question is the optional "why". A skipped question is stored with `skipped=True`
    so that progress and "nobody answered" can tell skipping from not reaching it.
    """

    campaign_id: int
    person: PersonKey
    question_id: str
    choices: tuple[str, ...] = ()
    text: str | None = None
    skipped: bool = False
    answered_at: datetime | None = None

    @property
    def has_content(self) -> bool:
        return not self.skipped and (bool(self.choices) or bool(self.text))


class Phase(StrEnum):
    """Where a person is in their conversation with the bot."""

    IDLE = "idle"  # nothing asked
    ASKING = "asking"  # the question at `step` was asked
    WHY = "why"  # the optional "why" of the choice question at `step` was asked
    DONE = "done"  # all questions answered or skipped


@dataclass(frozen=True)
class ConversationState:
    """A person's persisted position in the poll: enough to resume after a restart."""

    person: PersonKey
    campaign_id: int | None = None
    step: int = 0
    phase: Phase = Phase.IDLE
    updated_at: datetime | None = None
    # One-time follow-ups already shown (e.g. "resistance", "legislation"), so none repeats.
    offered: frozenset[str] = frozenset()
    # When forget-me asked its question, while a typed yes or no is awaited (bot.flows.privacy).
    forget_asked: datetime | None = None
    # An offer of more information made right before the question now asked: the question it
    # followed. The next reply may answer the offer rather than the question (bot.flows.poll).
    offer: str | None = None


class OwnerState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class ThemeOwner:
    """The colleague accountable for one of the nine themes."""

    theme: str
    person: PersonKey
    state: OwnerState
    since: datetime
    display_name: str = ""
    # The lead who asked this person to own the theme; None when the person claimed it.
    invited_by: PersonKey | None = None


@dataclass(frozen=True)
class OwnerAnswer:
    """A theme owner's answer to one question of the owner questionnaire."""

    theme: str
    person: PersonKey
    question_id: str
    text: str | None = None
    skipped: bool = False
    answered_at: datetime | None = None


@dataclass(frozen=True)
class DraftFile:
    """One rendered file of a policy draft."""

    name: str
    media_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class AudienceResolution:
    """What a platform made of a `start` audience: people found, words not understood."""

    people: tuple[Person, ...]
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """The outcome of sending one message to one person."""

    ok: bool
    error: str | None = None
    # Seconds the platform asked us to wait (HTTP 429 `Retry-After`), when it refused for load.
    retry_after: float | None = None


@dataclass(frozen=True)
class PersonData:
    """Everything the bot holds about one person (for `mydata` and `user export`)."""

    key: PersonKey
    person: Person | None
    roles: tuple[Role, ...]
    participations: tuple[Participation, ...]
    answers: tuple[Answer, ...]
    state: ConversationState | None
    ownerships: tuple[ThemeOwner, ...]
    owner_answers: tuple[OwnerAnswer, ...] = ()
    # Everything else that names the person, by table: queued invitations, planned reminders,
    # the Teams address, digests received, campaigns started, owners invited. Each row is its
    # (column, value) pairs.
    records: tuple[tuple[str, tuple[tuple[tuple[str, object], ...], ...]], ...] = ()


@dataclass(frozen=True)
class Erasure:
    """What erasing one person removed, counted per kind."""

    answers: int = 0
    roles: int = 0
    ownerships: int = 0
    participations: int = 0
    state: int = 0
    profile: int = 0
    # Other rows naming the person: queued invitations, planned reminders, an address, digests
    # received, and references (a campaign started, an owner invited) that were blanked.
    records: int = 0

    @property
    def total(self) -> int:
        return (
            self.answers
            + self.roles
            + self.ownerships
            + self.participations
            + self.state
            + self.profile
            + self.records
        )


class JobKind(StrEnum):
    REMINDER = "reminder"  # a poll reminder to a participant who has not finished
    OWNER_NUDGE = "owner_nudge"  # one nudge to an owner whose questionnaire is incomplete
    CLAIM_STANDS = "claim_stands"  # an uncontested claim becomes an ownership
    DIGEST = "digest"  # the weekly manager digest


@dataclass(frozen=True)
class Job:
    """Work the scheduler does at `run_at`. `key` names the reason: a job with the same key is
    never scheduled or run twice."""

    key: str
    kind: JobKind
    run_at: datetime
    person: PersonKey
    campaign_id: int | None = None
    theme: str | None = None
    # Taken over from a replica that died while sending its messages: they may have arrived.
    in_doubt: bool = False


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its time (`next_at`)
    CLAIMED = "claimed"  # a replica holds it under a lease and has not started sending yet
    SENDING = "sending"  # the network call is under way (or its replica died during it)
    SENT = "sent"
    FAILED = "failed"  # for good; the error is shown in `status`
    UNCERTAIN = "uncertain"  # a replica died mid-send and the platform cannot tell: not resent


@dataclass(frozen=True)
class OutboxItem:
    """One poll invitation waiting to go out: sent once, paced, retried on transient errors."""

    key: str
    campaign_id: int
    person: PersonKey
    attempts: int = 0
    next_at: datetime | None = None
    state: OutboxState = OutboxState.PENDING
    last_error: str | None = None
    # Taken over from a replica whose lease ran out while it was sending: it may have arrived.
    in_doubt: bool = False


@dataclass(frozen=True)
class SendBudget:
    """A platform budget (a Slack workspace, a Teams app in a tenant) that every replica draws
    from: the current pace, the ceiling learned from refusals, and the next free moment
    (seconds since the epoch)."""

    rate: float
    ceiling: float
    next_at: float


def campaign_label(campaign: Campaign) -> str:
    return f"#{campaign.id} ({campaign.started_at:%Y-%m-%d})"


class Verdict(StrEnum):
    """What an approver said about a draft version (`Approval.decision`)."""

    PENDING = "pending"
    APPROVED = "approved"
    CHANGES = "changes"  # changes requested


@dataclass(frozen=True)
class DigestSnapshot:
    """The figures of one manager digest, kept so that the next one can say what changed."""

    at: datetime
    invited: int
    responded: int
    finished: int
    owners_accepted: int


@dataclass(frozen=True)
class DraftVersion:
    """One compile of a campaign's draft: version `number` (1, 2, 3… per campaign), the figures
    the next version compares with ("what changed since"), and the Word file it made, which an
    approval is asked for."""

    number: int
    figures: Mapping[str, Any]  # what the draft counted: respondents, owners, open items
    docx_hash: str = ""  # the SHA-256 of its Word file ("" when none was made)
    docx_id: int | None = None  # that file's id in the store (`DraftStore.draft_file`)


@dataclass(frozen=True)
class Approval:
    """One approver's view of one version of a campaign's draft: asked, approved, or changes
    requested (with a comment). `draft_hash` is the SHA-256 of the Word file they were sent."""

    campaign_id: int
    version: int
    approver: PersonKey
    draft_hash: str
    requested_by: PersonKey
    requested_at: datetime
    decision: Verdict = Verdict.PENDING
    comment: str = ""
    decided_at: datetime | None = None
    approver_name: str = ""
