"""The ports the core needs, owned by the core.

Concrete classes live in `storage/` and `adapters/` and are wired in one composition root
(`adapters/app.py`). The core only ever sees these Protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from bot.core.decisions import Decision
from bot.core.domain import (
    Answer,
    Approval,
    AudienceResolution,
    Campaign,
    ConversationState,
    Delivery,
    DigestSnapshot,
    DraftFile,
    DraftVersion,
    Erasure,
    Job,
    OutboxItem,
    OutboxState,
    OwnerAnswer,
    Participation,
    Person,
    PersonData,
    PersonKey,
    Role,
    SendBudget,
    ThemeOwner,
)
from bot.core.messages import Message
from bot.core.tallies import AnswerColumns, Collected, Figures
from bot.core.turns import Applied, EventKey, Turn
from bot.core.views import PersonView, Roster


class Clock(Protocol):
    """Tells the time: timezone-aware UTC. Tests inject a clock they can move."""

    def now(self) -> datetime: ...


class Transport(Protocol):
    """Delivers a neutral message to a person in a direct conversation."""

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        """Sends one message. A non-empty `ref` is attached where the platform keeps such data,
        so that `confirm` can later find the message."""
        ...

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        """Whether a message sent with `ref` reached the person: True, False, or None when the
        platform cannot tell."""
        ...


class Invitations(Protocol):
    """The durable outbox of poll invitations (`bot.campaigns.outbox.Outbox`): sends what is
    queued and due, paced, once each."""

    @property
    def busy(self) -> bool:
        """Whether a run is under way in this process."""
        ...

    async def run(
        self, progress: Callable[[int], Awaitable[None]] | None = None
    ) -> tuple[int, int]:
        """Sends what is due; returns (sent, failed)."""
        ...

    async def stop(self, timeout: float) -> None:
        """For a shutdown: claims nothing more and waits up to `timeout` for sends in flight."""
        ...


class PlatformRefused(Exception):
    """A platform's API refused (or did not answer) a call a command needed: a missing
    permission, a rate limit, an outage. The engine tells the person what failed and why,
    and the command changes nothing."""

    def __init__(self, platform: str, action: str, error: str, needed: str = "") -> None:
        super().__init__(f"{platform} refused {action}: {error} {needed}".rstrip())
        self.platform = platform  # "slack", "teams"
        self.action = action  # what was asked: `platform.action_<action>` in messages
        self.error = error  # the platform's own error code, e.g. missing_scope
        self.needed = needed  # for missing_scope: the permission the app lacks


class PlatformRouter:
    """One Transport and Directory for all platforms: each call goes to the platform's own."""

    def __init__(self, transports: dict[str, Transport], directories: dict[str, Directory]) -> None:
        self._transports = transports
        self._directories = directories

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        transport = self._transports.get(to.platform)
        if transport is None:
            return Delivery(ok=False, error=f"platform {to.platform} is not configured")
        return await transport.send(to, message, ref)

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        transport = self._transports.get(to.platform)
        return None if transport is None else await transport.confirm(to, ref)

    async def resolve_audience(
        self, platform: str, tenant: str, words: Sequence[str], everyone: bool
    ) -> AudienceResolution:
        directory = self._directories.get(platform)
        if directory is None:
            return AudienceResolution((), tuple(words))
        return await directory.resolve_audience(platform, tenant, words, everyone)


class Directory(Protocol):
    """What a platform knows about people: audiences for `start`, profiles."""

    async def resolve_audience(
        self, platform: str, tenant: str, words: Sequence[str], everyone: bool
    ) -> AudienceResolution: ...


class DraftSink(Protocol):
    """Where compiled policy drafts are kept. Returns a location for each file."""

    async def save(self, campaign_id: int, files: Sequence[DraftFile]) -> tuple[str, ...]: ...


class PeopleStore(Protocol):
    """People and their roles (employee is implicit and never stored)."""

    async def upsert_person(self, person: Person) -> Person:
        """Inserts or updates a person; a None/empty field keeps what was stored."""
        ...

    async def get_person(self, key: PersonKey) -> Person | None: ...

    async def people(self, platform: str, tenant: str) -> list[Person]:
        """Everyone known on one platform and tenant."""
        ...

    async def set_role(self, key: PersonKey, role: Role, granted: bool) -> bool:
        """Grants or revokes a role; returns whether anything changed."""
        ...

    async def roles(self) -> list[tuple[PersonKey, Role]]:
        """Every granted role (employee is implicit and never listed)."""
        ...


class CampaignStore(Protocol):
    """Campaigns and their audience."""

    async def create_campaign(
        self,
        *,
        platform: str,
        tenant: str,
        started_by: PersonKey,
        started_at: datetime,
        language: str,
        deadline: date | None,
        audience: Sequence[PersonKey],
    ) -> Campaign:
        """Creates a running campaign with its participants, in one transaction."""
        ...

    async def get_campaign(self, campaign_id: int) -> Campaign | None: ...

    async def running_campaign(self, platform: str, tenant: str) -> Campaign | None: ...

    async def latest_campaign(self) -> Campaign | None:
        """The most recently started campaign on any platform."""
        ...

    async def close_campaign(self, campaign_id: int, at: datetime) -> bool:
        """Closes a running campaign; returns False when it was not running."""
        ...

    async def participants(self, campaign_id: int) -> list[Participation]: ...

    async def participation(self, campaign_id: int, person: PersonKey) -> Participation | None:
        """One person's place in a campaign's audience, or None when they are not in it."""
        ...

    async def mark_delivery(
        self, campaign_id: int, person: PersonKey, delivery: Delivery
    ) -> None: ...


class ConversationStore(Protocol):
    """The hot path: one read for the person behind an event, one transaction for what it
    changed (bot.core.turns), and the lock that keeps one person's events in order."""

    async def person_view(
        self, key: PersonKey, campaign_id: int | None, event: EventKey | None, owner: bool
    ) -> PersonView:
        """Everything one event of `key` needs, in one query: their profile and poll state,
        their place and answers in campaign `campaign_id` (if given), their owner answers (if
        `owner`), whether `event` was applied before, and the roster's current version."""
        ...

    async def roster(self) -> Roster:
        """Roles, theme owners and running campaigns, with the version they are as of (it moves
        on every change to them, by any process)."""
        ...

    async def seen(self, platform: str, event_id: str) -> bool:
        """Whether an event was already applied."""
        ...

    async def commit_turn(self, turn: Turn) -> Applied | None:
        """Applies a turn atomically, in one transaction (bot.core.turns); None, changing
        nothing, if its event was seen before or its finished job's claim was lost."""
        ...

    async def load_state(self, person: PersonKey) -> ConversationState | None: ...

    async def answers(self, campaign_id: int) -> list[Answer]:
        """Every stored answer of a campaign, skipped ones included."""
        ...

    async def answers_of(self, campaign_id: int, person: PersonKey) -> list[Answer]: ...

    def person_lock(self, key: PersonKey) -> AbstractAsyncContextManager[None]:
        """Held while one event of a person is handled, across every process on this store, so
        two events of one person never interleave, whichever replica receives them."""
        ...


class OwnerStore(Protocol):
    """Theme owners and their questionnaires."""

    async def theme_owners(self) -> list[ThemeOwner]:
        """Every theme that has an owner (proposed or accepted), ordered by theme key."""
        ...

    async def set_theme_owner(self, owner: ThemeOwner) -> None:
        """Sets or replaces the owner of `owner.theme`."""
        ...

    async def remove_theme_owner(self, theme: str) -> bool:
        """Makes a theme open again; False when it had no owner."""
        ...

    async def owner_answers(self, person: PersonKey | None = None) -> list[OwnerAnswer]:
        """The stored answers of the owner questionnaires (of one person, if given)."""
        ...


class JobStore(Protocol):
    """Scheduled jobs, claimed under a lease, so several replicas never run one job twice."""

    async def schedule(self, jobs: Sequence[Job]) -> int:
        """Adds jobs; a job whose key exists already is ignored. Returns how many were added."""
        ...

    async def claim_jobs(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[Job]:
        """Claims up to `limit` jobs that are due (`run_at <= now`), earliest first, for `owner`
        until `lease_until`; a claim whose lease ran out (its replica died) can be claimed again.
        Jobs claimed by another live replica are skipped, never waited for."""
        ...

    async def finish_job(self, key: str, outcome: str, at: datetime, owner: str) -> bool:
        """Marks a job that `owner` holds done (`outcome` says what happened); False if the
        claim was lost or the job is done already, so two replicas never both run it."""
        ...

    async def reschedule_job(self, key: str, run_at: datetime) -> None:
        """Moves an unfinished job to a later moment (e.g. into working hours) and releases its
        claim."""
        ...

    async def release_claims(self, owner: str) -> int:
        """Hands back every job and invitation `owner` claimed and did not start (a replica
        shutting down), so another replica takes them at once instead of after the lease.
        Invitations whose send was under way stay `sending`: only the platform can tell
        whether they arrived. Returns how many were handed back."""
        ...


class OutboxStore(Protocol):
    """The outbox of poll invitations (claimed under a lease, sent once) and the send budgets
    every replica shares."""

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Adds invitations; a key that exists already is ignored. Returns how many were added."""
        ...

    async def claim_outbox(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[OutboxItem]:
        """Claims up to `limit` invitations for `owner` until `lease_until`: pending ones whose
        `next_at` has come (oldest first), and ones whose lease ran out. An invitation whose
        replica died while sending it comes back with `in_doubt` set. Invitations claimed by a
        live replica are skipped, never waited for."""
        ...

    async def begin_send(self, key: str, owner: str, lease_until: datetime) -> bool:
        """claimed → sending, just before the network call, if `owner` still holds the claim
        (its lease is extended); False if another replica took it over."""
        ...

    async def settle_outbox(
        self,
        key: str,
        owner: str,
        state: OutboxState,
        error: str | None,
        next_at: datetime | None,
    ) -> bool:
        """After an attempt: sent, failed for good, uncertain, or pending again at `next_at` (a
        retry). Only the claim's owner can settle it; False otherwise."""
        ...

    async def outbox_counts(self, campaign_id: int) -> dict[str, int]:
        """How many invitations of a campaign are in each state."""
        ...

    async def update_budget(
        self, key: str, change: Callable[[SendBudget | None], SendBudget]
    ) -> SendBudget:
        """Reads a send budget (None when new), applies `change` and stores the result, with no
        other replica changing it in between; returns what was stored."""
        ...


class ReportStore(Protocol):
    """What reports read: aggregates, never one object per answer; each recipient's last digest."""

    async def tally(self, campaign_id: int, texts_of: Sequence[str] | None = None) -> Collected:
        """A campaign's participants' answers reduced for reports: counts aggregated in the
        database, free texts (only those of the questions `texts_of`, if given) read in
        batches; never one object per answer."""
        ...

    async def figures(self, campaign_id: int) -> Figures:
        """The counts `status` shows, aggregated in the database."""
        ...

    async def skipped(self, campaign_id: int) -> dict[str, int]:
        """Per question, how many people skipped it."""
        ...

    async def respondents(self, campaign_id: int) -> Collected:
        """A campaign's participants counted (invited, completed, respondents per
        discipline), without their answers (`by_question` empty)."""
        ...

    def answer_rows(
        self, campaign_id: int, questions: Sequence[str]
    ) -> AsyncIterator[AnswerColumns]:
        """Every participant's answers with content, per question of `questions` (in that
        order; none is left out, even without answers), each ordered by answer (picks, then
        text) and never by person, without names or user ids: for the answers workbook. One
        question's answers are read at a time."""
        ...

    async def last_digest(self, campaign_id: int, recipient: str) -> DigestSnapshot | None:
        """The figures of the last digest of a campaign for a recipient, if any (a snapshot
        that can no longer be read counts as none: it only costs the "what changed" line)."""
        ...

    async def record_digest(
        self, campaign_id: int, recipient: str, at: datetime, snapshot: DigestSnapshot
    ) -> None:
        """Keeps the figures of the digest just sent, replacing the previous one."""
        ...


class PrivacyStore(Protocol):
    """A person's own data and where a platform can reach them (a Teams conversation
    reference, as JSON): exported, and erased as a whole."""

    async def save_address(self, person: PersonKey, address: str) -> None: ...

    async def address(self, person: PersonKey) -> str | None: ...

    async def person_data(self, key: PersonKey) -> PersonData:
        """Everything stored about one person, across campaigns."""
        ...

    async def find_keys(self, platform: str, user_id: str) -> list[PersonKey]:
        """Every stored key of a user id on a platform, whatever the tenant (for the CLI's USER)."""
        ...

    async def erase_person(self, key: PersonKey) -> Erasure:
        """Deletes a person's profile, roles, answers, participations, ownerships and state in
        one transaction; returns what was removed. Event ids (no personal data) stay."""
        ...


class DraftStore(Protocol):
    """Compiled drafts, kept in the database so that any replica can hand any of them out (the
    draft folder is an export beside it)."""

    async def save_drafts(
        self, campaign_id: int, files: Sequence[DraftFile], at: datetime
    ) -> tuple[int, ...]:
        """Keeps the files of one compiled draft; returns an id for each, in order."""
        ...

    async def draft_file(self, draft_id: int) -> DraftFile | None:
        """A kept file, or None when there is none with that id (or it was pruned)."""
        ...

    async def new_draft_version(
        self,
        campaign_id: int,
        at: datetime,
        figures: Mapping[str, Any],
        docx_hash: str = "",
        docx_id: int | None = None,
    ) -> int:
        """Records a compile of the campaign's draft with its figures (JSON-able values) and its
        Word file; returns its version number: 1, 2, 3… per campaign."""
        ...

    async def last_draft_version(self, campaign_id: int) -> DraftVersion | None:
        """The latest version of the campaign's draft, or None."""
        ...

    async def approvals(self, campaign_id: int) -> list[Approval]:
        """Every approval asked for the campaign's drafts, oldest version first."""
        ...

    async def save_workspace(self, platform: str, tenant: str, name: str, at: datetime) -> None:
        """Remembers the name of a Slack workspace or Teams organisation the bot has met."""
        ...

    async def workspace_name(self, platform: str, tenant: str) -> str:
        """That name, or "" when the platform never told it."""
        ...


class DecisionStore(Protocol):
    """What the company decided for its policy, per campaign and subject (written in a turn:
    `Effects.decisions`)."""

    async def decisions(self, campaign_id: int) -> list[Decision]:
        """The campaign's decisions, one per subject, ordered by subject."""
        ...

    async def mark_first_version(self, campaign_id: int, version: int) -> int:
        """Records `version` as the draft version in which the campaign's decisions that have
        none yet first appear (those new or changed since the last compile); returns how many
        were marked."""
        ...


class Housekeeping(Protocol):
    """What the store may forget after the retention period (`IMVO_RETENTION_DAYS`)."""

    async def prune(self, before: datetime, batch: int) -> dict[str, int]:
        """Deletes, up to `batch` rows of each in one transaction: handled event ids seen
        before `before`, jobs done before it, the settled invitations of campaigns closed
        before it, and drafts compiled before it. Answers, people, campaigns and pending work
        are never touched. Returns how many rows of each went
        ({"events": n, "jobs": n, "sends": n, "drafts": n})."""
        ...


class Store(
    PeopleStore,
    CampaignStore,
    ConversationStore,
    OwnerStore,
    JobStore,
    OutboxStore,
    ReportStore,
    PrivacyStore,
    DraftStore,
    DecisionStore,
    Housekeeping,
    Protocol,
):
    """Durable, query-shaped storage of everything the bot knows: every role port above, plus
    its schema. Code that needs one concern can ask for that port alone.

    Semantics every store keeps (the storage contract tests check them):
    - every write method commits before it returns;
    - `commit_turn` is atomic and applies a turn's event at most once;
    - no method depends on SQLite- or PostgreSQL-only behaviour.
    """

    async def migrate(self) -> None:
        """Creates or upgrades the schema to the current version."""
        ...

    async def close(self) -> None: ...
