"""The store's methods written once for SQLite and PostgreSQL, by concern, over plans
(storage.sql: `reads`, `writes`, `views`, `reports`). A store provides three runners: `_query`
(a read on the connection that writes, so it sees every committed turn), `_apply` (a write, in
one transaction), `_apply_bulk` (a write of megabytes, e.g. a draft's files, where a store that
writes on the event loop's thread hands it to another) and `_report` (a long read that must not
hold up the turns). What differs by
dialect (migrations, claims under leases, batch inserts, locks) stays in each store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bot.core.decisions import Decision
from bot.core.domain import (
    Answer,
    Approval,
    Campaign,
    ConversationState,
    Delivery,
    DigestSnapshot,
    DraftFile,
    DraftVersion,
    Erasure,
    OwnerAnswer,
    Participation,
    Person,
    PersonData,
    PersonKey,
    Role,
    ThemeOwner,
)
from bot.core.tallies import AnswerColumns, Collected, Figures
from bot.core.turns import Applied, EventKey, Turn
from bot.core.views import PersonView, Roster
from storage import reads, reports, turns, views, writes
from storage.rows import digest_json, iso
from storage.sql import Plan

T = TypeVar("T")


class PlannedStore:
    """`bot.core.ports.Store`'s methods that are the same plan in every dialect."""

    async def _query(self, plan: Plan[T]) -> T:
        raise NotImplementedError

    async def _apply(self, plan: Plan[T]) -> T:
        raise NotImplementedError

    async def _apply_bulk(self, plan: Plan[T]) -> T:
        return await self._apply(plan)

    async def _report(self, plan: Plan[T]) -> T:
        raise NotImplementedError

    # people and roles

    async def upsert_person(self, person: Person) -> Person:
        return await self._apply(writes.upsert_person(person))

    async def get_person(self, key: PersonKey) -> Person | None:
        return await self._query(reads.person(key))

    async def people(self, platform: str, tenant: str) -> list[Person]:
        return await self._query(reads.people(platform, tenant))

    async def set_role(self, key: PersonKey, role: Role, granted: bool) -> bool:
        if role is Role.EMPLOYEE:
            return False  # everyone is an employee; nothing to store or take away
        return await self._apply(writes.set_role(key, role, granted))

    async def roles(self) -> list[tuple[PersonKey, Role]]:
        return await self._query(reads.roles())

    # campaigns

    async def create_campaign(self, **fields: Any) -> Campaign:
        """See `CampaignStore.create_campaign`: its keyword arguments, passed on."""
        return await self._apply(writes.create_campaign(**fields))

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        return await self._query(reads.campaign(campaign_id))

    async def running_campaign(self, platform: str, tenant: str) -> Campaign | None:
        return await self._query(reads.running_campaign(platform, tenant))

    async def latest_campaign(self) -> Campaign | None:
        return await self._query(reads.latest_campaign())

    async def close_campaign(self, campaign_id: int, at: datetime) -> bool:
        return await self._apply(writes.close_campaign(campaign_id, iso(at)))

    async def participants(self, campaign_id: int) -> list[Participation]:
        return await self._query(reads.participants(campaign_id))

    async def participation(self, campaign_id: int, person: PersonKey) -> Participation | None:
        return await self._query(reads.participation(campaign_id, person))

    async def mark_delivery(self, campaign_id: int, person: PersonKey, delivery: Delivery) -> None:
        await self._apply(writes.mark_delivery(campaign_id, person, delivery))

    # conversation

    async def person_view(
        self, key: PersonKey, campaign_id: int | None, event: EventKey | None, owner: bool
    ) -> PersonView:
        return await self._query(views.person_view(key, campaign_id, event, owner))

    async def roster(self) -> Roster:
        return await self._query(views.roster())

    async def load_state(self, person: PersonKey) -> ConversationState | None:
        return await self._query(reads.state(person))

    async def seen(self, platform: str, event_id: str) -> bool:
        return await self._query(reads.seen(platform, event_id))

    async def commit_turn(self, turn: Turn) -> Applied | None:
        return await self._apply(turns.apply_turn(turn))

    async def answers(self, campaign_id: int) -> list[Answer]:
        return await self._query(reads.answers(campaign_id))

    async def answers_of(self, campaign_id: int, person: PersonKey) -> list[Answer]:
        return await self._query(reads.answers_of(campaign_id, person))

    # reports

    async def tally(self, campaign_id: int, texts_of: Sequence[str] | None = None) -> Collected:
        return await reports.read_tally(self._report, campaign_id, texts_of)

    async def figures(self, campaign_id: int) -> Figures:
        return await self._report(reports.figures(campaign_id))

    async def respondents(self, campaign_id: int) -> Collected:
        return (await self._report(reports.tally_people(campaign_id))).collected

    async def skipped(self, campaign_id: int) -> dict[str, int]:
        return await self._report(reports.skipped_counts(campaign_id))

    async def answer_rows(
        self, campaign_id: int, questions: Sequence[str]
    ) -> AsyncIterator[AnswerColumns]:
        people = await self._report(reports.answer_people(campaign_id))
        for question_id in questions:
            yield await self._report(reports.answer_rows_batch(campaign_id, question_id, people))

    # theme owners

    async def theme_owners(self) -> list[ThemeOwner]:
        return await self._query(reads.theme_owners())

    async def set_theme_owner(self, owner: ThemeOwner) -> None:
        await self._apply(writes.set_theme_owner(owner))

    async def remove_theme_owner(self, theme: str) -> bool:
        return await self._apply(writes.remove_theme_owner(theme))

    async def owner_answers(self, person: PersonKey | None = None) -> list[OwnerAnswer]:
        return await self._query(reads.owner_answers(person))

    # jobs

    async def finish_job(self, key: str, outcome: str, at: datetime, owner: str) -> bool:
        return await self._apply(writes.finish_job(key, outcome, iso(at), owner))

    async def save_drafts(
        self, campaign_id: int, files: Sequence[DraftFile], at: datetime
    ) -> tuple[int, ...]:
        return await self._apply_bulk(writes.save_drafts(campaign_id, files, iso(at)))

    async def draft_file(self, draft_id: int) -> DraftFile | None:
        return await self._query(reads.draft_file(draft_id))

    async def new_draft_version(
        self,
        campaign_id: int,
        at: datetime,
        figures: Mapping[str, Any],
        docx_hash: str = "",
        docx_id: int | None = None,
    ) -> int:
        kept = {**figures, **({"docx_hash": docx_hash, "docx_id": docx_id} if docx_hash else {})}
        snapshot = json.dumps(kept, sort_keys=True)
        return await self._apply(writes.new_draft_version(campaign_id, iso(at), snapshot))

    async def last_draft_version(self, campaign_id: int) -> DraftVersion | None:
        return await self._query(reads.last_draft_version(campaign_id))

    async def approvals(self, campaign_id: int) -> list[Approval]:
        return await self._query(reads.approvals(campaign_id))

    async def decisions(self, campaign_id: int) -> list[Decision]:
        return await self._query(reads.decisions(campaign_id))

    async def mark_first_version(self, campaign_id: int, version: int) -> int:
        return await self._apply(writes.mark_first_version(campaign_id, version))

    async def save_workspace(self, platform: str, tenant: str, name: str, at: datetime) -> None:
        await self._apply(writes.save_workspace(platform, tenant, name, iso(at)))

    async def workspace_name(self, platform: str, tenant: str) -> str:
        return await self._query(reads.workspace_name(platform, tenant))

    async def prune(self, before: datetime, batch: int) -> dict[str, int]:
        return await self._apply(writes.prune(iso(before), batch))

    async def release_claims(self, owner: str) -> int:
        return await self._apply(writes.release_claims(owner))

    # people's own data

    async def person_data(self, key: PersonKey) -> PersonData:
        return PersonData(
            key=key,
            person=await self.get_person(key),
            roles=tuple(role for k, role in await self.roles() if k == key),
            participations=tuple(await self._query(reads.participations_of(key))),
            answers=tuple(await self._query(reads.all_answers_of(key))),
            state=await self.load_state(key),
            ownerships=tuple(o for o in await self.theme_owners() if o.person == key),
            owner_answers=tuple(await self.owner_answers(key)),
            records=await self._query(reads.person_records(key)),
        )

    async def find_keys(self, platform: str, user_id: str) -> list[PersonKey]:
        return await self._query(reads.keys_of(platform, user_id))

    async def erase_person(self, key: PersonKey) -> Erasure:
        return await self._apply(writes.erase_person(key))

    # digests and addresses

    async def last_digest(self, campaign_id: int, recipient: str) -> DigestSnapshot | None:
        return await self._query(reads.last_digest(campaign_id, recipient))

    async def record_digest(
        self, campaign_id: int, recipient: str, at: datetime, snapshot: DigestSnapshot
    ) -> None:
        text = digest_json(snapshot)
        await self._apply(writes.record_digest(campaign_id, recipient, iso(at), text))

    async def save_address(self, person: PersonKey, address: str) -> None:
        await self._apply(writes.save_address(person, address))

    async def address(self, person: PersonKey) -> str | None:
        return await self._query(reads.address(person))
