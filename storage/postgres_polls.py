"""The PostgreSQL store's polls: campaigns and their audience, conversation turns and answers,
theme owners and their questionnaires. Mixed into `PostgresStore` (see storage/postgres.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, TypeVar

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
)
from bot.core.tallies import Collected, Figures
from bot.core.turns import Applied, EventKey, Turn
from bot.core.views import PersonView, Roster
from storage import reports, views, writes
from storage.postgres_rows import (
    ORDER_ANSWERS,
    WHO,
)
from storage.sql import Plan, run_postgres
from storage.sqlite_rows import (
    ANSWER_COLUMNS,
    CAMPAIGN_COLUMNS,
    PARTICIPANT_COLUMNS,
    THEME_OWNER_COLUMNS,
    answers_from,
    campaign_from,
    dt_opt,
    iso,
    participation_from,
    theme_owner_from,
)

T = TypeVar("T")


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
        return await run_postgres(
            self._pool,
            writes.create_campaign(
                platform, tenant, started_by, started_at, language, deadline, audience
            ),
        )

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
        return await run_postgres(self._pool, writes.close_campaign(campaign_id, iso(at)))

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

    async def person_view(
        self, key: PersonKey, campaign_id: int | None, event: EventKey | None, owner: bool
    ) -> PersonView:
        return await run_postgres(
            self._pool, views.person_view(key, campaign_id, event, owner), write=False
        )

    async def roster(self) -> Roster:
        return await run_postgres(self._pool, views.roster(), write=False)

    async def seen(self, platform: str, event_id: str) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM events_seen WHERE platform = $1 AND event_id = $2", platform, event_id
        )
        return found is not None

    async def commit_turn(self, turn: Turn) -> Applied | None:
        # A concurrent redelivery waits on the events_seen row of the first one's transaction
        # and then finds it: exactly one of them applies the turn.
        return await run_postgres(self._pool, writes.apply_turn(turn))

    async def tally(self, campaign_id: int) -> Collected:
        return await reports.read_tally(self._read, campaign_id)

    async def figures(self, campaign_id: int) -> Figures:
        return await self._read(reports.figures(campaign_id))

    async def _read(self, plan: Plan[T]) -> T:
        return await run_postgres(self._pool, plan, write=False)

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
        await run_postgres(self._pool, writes.set_theme_owner(owner))

    async def remove_theme_owner(self, theme: str) -> bool:
        return await run_postgres(self._pool, writes.remove_theme_owner(theme))

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
