"""The PostgreSQL store's polls: campaigns and their audience, conversation turns and answers,
theme owners and their questionnaires. Mixed into `PostgresStore` (see storage/postgres.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime
from typing import Any

from bot.core.domain import (
    Answer,
    Campaign,
    CampaignState,
    ConversationState,
    Delivery,
    OwnerAnswer,
    Participation,
    PersonKey,
    Phase,
    ThemeOwner,
    Turn,
)
from storage.postgres_rows import (
    INSERT_CAMPAIGN,
    ORDER_ANSWERS,
    UPSERT_ANSWER,
    UPSERT_OWNER_ANSWER,
    UPSERT_PERSON,
    UPSERT_STATE,
    UPSERT_THEME_OWNER,
    WHO,
    changed,
)
from storage.sqlite_rows import (
    ANSWER_COLUMNS,
    CAMPAIGN_COLUMNS,
    PARTICIPANT_COLUMNS,
    THEME_OWNER_COLUMNS,
    answer_params,
    answers_from,
    campaign_from,
    dt_opt,
    iso,
    owner_answer_params,
    participation_from,
    person_params,
    state_params,
    theme_owner_from,
)


class _Duplicate(Exception):
    """Raised inside `commit_turn`'s transaction to roll it back when the event was seen."""


class PostgresPolls:
    """Campaigns, turns, answers and theme owners; mixed into `PostgresStore`, which provides
    the plumbing: `_pool` for reads, `_write` for transactions."""

    _pool: Any
    _write: Callable[[], AbstractAsyncContextManager[Any]]

    # campaigns

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
        started = iso(started_at)
        async with self._write() as con:
            campaign_id = await con.fetchval(
                INSERT_CAMPAIGN,
                platform,
                tenant,
                started_by.platform,
                started_by.tenant,
                started_by.user_id,
                started,
                language,
                None if deadline is None else deadline.isoformat(),
                CampaignState.RUNNING.value,
            )
            await con.executemany(
                "INSERT INTO participants (campaign_id, platform, tenant, user_id, invited_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                [(campaign_id, k.platform, k.tenant, k.user_id, started) for k in audience],
            )
            row = await con.fetchrow(
                f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id
            )
        return campaign_from(row)

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        row = await self._pool.fetchrow(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id
        )
        return None if row is None else campaign_from(row)

    async def running_campaign(self, platform: str, tenant: str) -> Campaign | None:
        row = await self._pool.fetchrow(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE platform = $1 AND tenant = $2 AND state = $3 ORDER BY id DESC LIMIT 1",
            platform,
            tenant,
            CampaignState.RUNNING.value,
        )
        return None if row is None else campaign_from(row)

    async def latest_campaign(self) -> Campaign | None:
        row = await self._pool.fetchrow(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT 1"
        )
        return None if row is None else campaign_from(row)

    async def close_campaign(self, campaign_id: int, at: datetime) -> bool:
        closed_at = iso(at)
        async with self._write() as con:
            status = await con.execute(
                "UPDATE campaigns SET state = $1, closed_at = $2 WHERE id = $3 AND state = $4",
                CampaignState.CLOSED.value,
                closed_at,
                campaign_id,
                CampaignState.RUNNING.value,
            )
        return changed(status) > 0

    async def participants(self, campaign_id: int) -> list[Participation]:
        rows = await self._pool.fetch(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE campaign_id = $1"
            " ORDER BY platform, tenant, user_id",
            campaign_id,
        )
        return [participation_from(r) for r in rows]

    async def participation(self, campaign_id: int, person: PersonKey) -> Participation | None:
        row = await self._pool.fetchrow(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants"
            " WHERE campaign_id = $1 AND platform = $2 AND tenant = $3 AND user_id = $4",
            campaign_id,
            person.platform,
            person.tenant,
            person.user_id,
        )
        return None if row is None else participation_from(row)

    async def mark_delivery(self, campaign_id: int, person: PersonKey, delivery: Delivery) -> None:
        async with self._write() as con:
            await con.execute(
                "UPDATE participants SET delivered = $1, delivery_error = $2"
                " WHERE campaign_id = $3 AND platform = $4 AND tenant = $5 AND user_id = $6",
                int(delivery.ok),
                None if delivery.ok else delivery.error,
                campaign_id,
                person.platform,
                person.tenant,
                person.user_id,
            )

    # conversation

    async def load_state(self, person: PersonKey) -> ConversationState | None:
        row = await self._pool.fetchrow(
            "SELECT campaign_id, step, phase, updated_at, offered FROM conversation_state" + WHO,
            person.platform,
            person.tenant,
            person.user_id,
        )
        if row is None:
            return None
        campaign_id, step, phase, updated_at, offered = row
        return ConversationState(
            person=person,
            campaign_id=campaign_id,
            step=step,
            phase=Phase(phase),
            updated_at=dt_opt(updated_at),
            offered=frozenset(json.loads(offered)),
        )

    async def seen(self, platform: str, event_id: str) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM events_seen WHERE platform = $1 AND event_id = $2", platform, event_id
        )
        return found is not None

    async def commit_turn(self, turn: Turn) -> bool:
        # A turn without a time still commits; the wall clock is only a fallback.
        at = iso(turn.at if turn.at is not None else datetime.now(UTC))
        try:
            async with self._write() as con:
                if turn.event is not None:
                    # A concurrent redelivery waits here for the first one's transaction and
                    # then finds the row: exactly one of them applies the turn.
                    inserted = await con.fetchval(
                        "INSERT INTO events_seen (platform, event_id, seen_at) VALUES ($1, $2, $3)"
                        " ON CONFLICT DO NOTHING RETURNING 1",
                        turn.event.platform,
                        turn.event.event_id,
                        at,
                    )
                    if inserted is None:
                        raise _Duplicate
                if turn.person is not None:
                    await con.execute(UPSERT_PERSON, *person_params(turn.person))
                if turn.state is not None:
                    await con.execute(UPSERT_STATE, *state_params(turn.state))
                if turn.answers:
                    await con.executemany(UPSERT_ANSWER, [answer_params(a) for a in turn.answers])
                if turn.owner_answers:
                    await con.executemany(
                        UPSERT_OWNER_ANSWER, [owner_answer_params(o) for o in turn.owner_answers]
                    )
                if turn.finished is not None:
                    campaign_id, key = turn.finished
                    await con.execute(
                        "UPDATE participants SET finished_at = $1 WHERE campaign_id = $2"
                        " AND platform = $3 AND tenant = $4 AND user_id = $5",
                        at,
                        campaign_id,
                        key.platform,
                        key.tenant,
                        key.user_id,
                    )
        except _Duplicate:
            return False
        return True

    async def answers(self, campaign_id: int) -> list[Answer]:
        rows = await self._pool.fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE campaign_id = $1" + ORDER_ANSWERS,
            campaign_id,
        )
        return answers_from(rows)

    async def answers_of(self, campaign_id: int, person: PersonKey) -> list[Answer]:
        rows = await self._pool.fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers"
            " WHERE campaign_id = $1 AND platform = $2 AND tenant = $3 AND user_id = $4"
            " ORDER BY answered_at NULLS FIRST, question_id",
            campaign_id,
            person.platform,
            person.tenant,
            person.user_id,
        )
        return answers_from(rows)

    # theme owners

    async def theme_owners(self) -> list[ThemeOwner]:
        rows = await self._pool.fetch(
            f"SELECT {THEME_OWNER_COLUMNS} FROM theme_owners ORDER BY theme"
        )
        return [theme_owner_from(r) for r in rows]

    async def set_theme_owner(self, owner: ThemeOwner) -> None:
        key, lead = owner.person, owner.invited_by
        params = (
            owner.theme,
            key.platform,
            key.tenant,
            key.user_id,
            owner.state.value,
            iso(owner.since),
            owner.display_name,
            lead.platform if lead else None,
            lead.tenant if lead else None,
            lead.user_id if lead else None,
        )
        async with self._write() as con:
            await con.execute(UPSERT_THEME_OWNER, *params)

    async def remove_theme_owner(self, theme: str) -> bool:
        async with self._write() as con:
            status = await con.execute("DELETE FROM theme_owners WHERE theme = $1", theme)
        return changed(status) > 0

    async def owner_answers(self, person: PersonKey | None = None) -> list[OwnerAnswer]:
        sql = (
            "SELECT theme, platform, tenant, user_id, question_id, text, skipped, answered_at"
            " FROM owner_answers"
        )
        params: tuple[str, ...] = ()
        if person is not None:
            sql += WHO
            params = (person.platform, person.tenant, person.user_id)
        # Ties are broken in primary-key order, which is the order SQLite's plan yields them in.
        rows = await self._pool.fetch(
            sql
            + " ORDER BY theme, answered_at NULLS FIRST, question_id, platform, tenant, user_id",
            *params,
        )
        return [
            OwnerAnswer(r[0], PersonKey(r[1], r[2], r[3]), r[4], r[5], bool(r[6]), dt_opt(r[7]))
            for r in rows
        ]
