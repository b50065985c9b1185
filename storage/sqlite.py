"""The SQLite store: `bot.ports.Store` on one aiosqlite connection.

Every statement, reads included, runs under one asyncio.Lock. Writes must be serialized on a
single connection anyway; reads take the lock too because on a shared connection they would
otherwise see the uncommitted half of a `commit_turn` that is waiting on its next statement.
SQLite answers the bot's queries in microseconds, so the lock costs nothing noticeable.

The connection runs in autocommit mode (`isolation_level=None`); each write opens its own
`BEGIN IMMEDIATE` transaction and commits before the method returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain import (
    Answer,
    Campaign,
    CampaignState,
    ConversationState,
    Delivery,
    OwnerState,
    Participation,
    Person,
    PersonKey,
    Phase,
    Role,
    ThemeOwner,
    Turn,
)
from storage import sqlite_schema

BUSY_TIMEOUT_MS = 5000

_UPSERT_PERSON = """
INSERT INTO persons
    (platform, tenant, user_id, display_name, language, time_zone, discipline, is_bot)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, tenant, user_id) DO UPDATE SET
    display_name = COALESCE(NULLIF(excluded.display_name, ''), persons.display_name),
    language = COALESCE(NULLIF(excluded.language, ''), persons.language),
    time_zone = COALESCE(NULLIF(excluded.time_zone, ''), persons.time_zone),
    discipline = COALESCE(NULLIF(excluded.discipline, ''), persons.discipline),
    is_bot = CASE WHEN excluded.is_bot = 1 THEN 1 ELSE persons.is_bot END
"""
_PERSON_COLUMNS = "platform, tenant, user_id, display_name, language, time_zone, discipline, is_bot"

_UPSERT_STATE = """
INSERT INTO conversation_state (platform, tenant, user_id, campaign_id, step, phase, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, tenant, user_id) DO UPDATE SET
    campaign_id = excluded.campaign_id,
    step = excluded.step,
    phase = excluded.phase,
    updated_at = excluded.updated_at
"""

_UPSERT_ANSWER = """
INSERT INTO answers
    (campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, answered_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (campaign_id, platform, tenant, user_id, question_id) DO UPDATE SET
    choices = excluded.choices,
    text = excluded.text,
    skipped = excluded.skipped,
    answered_at = excluded.answered_at
"""
_ANSWER_COLUMNS = (
    "campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, answered_at"
)

_CAMPAIGN_COLUMNS = (
    "id, platform, tenant, started_by_platform, started_by_tenant, started_by_user_id,"
    " started_at, language, deadline, state, closed_at"
)

_PARTICIPANT_COLUMNS = (
    "campaign_id, platform, tenant, user_id, invited_at, delivered, delivery_error, finished_at"
)


class _Duplicate(Exception):
    """Raised inside `commit_turn`'s transaction to roll it back when the event was seen."""


def _iso(value: datetime) -> str:
    """A datetime as ISO text in UTC; fixed width, so text order is time order."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the store keeps timezone-aware datetimes only, got naive {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _iso_opt(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)


def _dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _dt_opt(text: str | None) -> datetime | None:
    return None if text is None else _dt(text)


def _person_params(person: Person) -> tuple[Any, ...]:
    key = person.key
    return (
        key.platform,
        key.tenant,
        key.user_id,
        person.display_name or "",
        person.language or None,
        person.time_zone or None,
        person.discipline or None,
        int(person.is_bot),
    )


def _person_from(row: Sequence[Any]) -> Person:
    return Person(
        key=PersonKey(row[0], row[1], row[2]),
        display_name=row[3],
        language=row[4],
        time_zone=row[5],
        discipline=row[6],
        is_bot=bool(row[7]),
    )


def _campaign_from(row: Sequence[Any]) -> Campaign:
    return Campaign(
        id=row[0],
        platform=row[1],
        tenant=row[2],
        started_by=PersonKey(row[3], row[4], row[5]),
        started_at=_dt(row[6]),
        language=row[7],
        deadline=None if row[8] is None else date.fromisoformat(row[8]),
        state=CampaignState(row[9]),
        closed_at=_dt_opt(row[10]),
    )


def _participation_from(row: Sequence[Any]) -> Participation:
    return Participation(
        campaign_id=row[0],
        person=PersonKey(row[1], row[2], row[3]),
        invited_at=_dt(row[4]),
        delivered=bool(row[5]),
        delivery_error=row[6],
        finished_at=_dt_opt(row[7]),
    )


def _answer_params(answer: Answer) -> tuple[Any, ...]:
    key = answer.person
    return (
        answer.campaign_id,
        key.platform,
        key.tenant,
        key.user_id,
        answer.question_id,
        json.dumps(list(answer.choices), ensure_ascii=False, separators=(",", ":")),
        answer.text,
        int(answer.skipped),
        _iso_opt(answer.answered_at),
    )


def _answers_from(rows: Iterable[Sequence[Any]]) -> list[Answer]:
    # Called on 100k+ rows at compile time: share PersonKeys and parsed choice lists (a
    # campaign has few of each) and skip per-row helper calls. Stored times always carry
    # their UTC offset, so fromisoformat gives aware datetimes.
    keys: dict[tuple[str, str, str], PersonKey] = {}
    choice_lists: dict[str, tuple[str, ...]] = {}
    from_iso = datetime.fromisoformat
    result: list[Answer] = []
    append = result.append
    for campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, at in rows:
        key = keys.get((platform, tenant, user_id))
        if key is None:
            key = keys[(platform, tenant, user_id)] = PersonKey(platform, tenant, user_id)
        parsed = choice_lists.get(choices)
        if parsed is None:
            parsed = choice_lists[choices] = tuple(json.loads(choices))
        answered_at = None if at is None else from_iso(at)
        append(Answer(campaign_id, key, question_id, parsed, text, bool(skipped), answered_at))
    return result


class SqliteStore:
    """`bot.ports.Store` on SQLite (WAL mode, one connection, serialized access)."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        """Wraps an open autocommit connection; prefer `SqliteStore.open`."""
        self._db = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Opens (creating it and its folder if needed) the database at `path` or `:memory:`.

        Does not migrate; call `migrate()` (or use `storage.open_store`, which does).
        """
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute_fetchall("PRAGMA journal_mode = WAL")
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        async with self._lock:
            await self._db.close()

    # plumbing

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One `BEGIN IMMEDIATE` transaction, committed on success and rolled back otherwise.

        aiosqlite runs statements in order on its own thread, so even after a cancellation the
        ROLLBACK is queued behind whatever statement was still running.
        """
        async with self._lock:
            db = self._db
            try:
                # BEGIN inside the try: if we are cancelled while it runs, it still runs on
                # aiosqlite's thread, and only the ROLLBACK below closes it again.
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, params))

    @staticmethod
    async def _changes(db: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> int:
        cursor = await db.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def migrate(self) -> None:
        """Applies every migration step newer than the stored schema version, atomically."""
        steps = sqlite_schema.MIGRATIONS
        async with self._transaction() as db:
            await db.execute(sqlite_schema.SCHEMA_VERSION_TABLE)
            rows = await db.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = int(next(iter(rows))[0])
            if current > len(steps):
                raise sqlite_schema.SchemaVersionError(
                    f"the database has schema version {current}, newer than this bot's"
                    f" {len(steps)}; upgrade imvo-bot"
                )
            now = _iso(datetime.now(UTC))
            for version in range(current + 1, len(steps) + 1):
                for statement in steps[version - 1]:
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, now),
                )

    # people and roles

    async def upsert_person(self, person: Person) -> Person:
        key = person.key
        async with self._transaction() as db:
            await db.execute(_UPSERT_PERSON, _person_params(person))
            rows = await db.execute_fetchall(
                f"SELECT {_PERSON_COLUMNS} FROM persons"
                " WHERE platform = ? AND tenant = ? AND user_id = ?",
                (key.platform, key.tenant, key.user_id),
            )
        return _person_from(next(iter(rows)))

    async def get_person(self, key: PersonKey) -> Person | None:
        rows = await self._fetch(
            f"SELECT {_PERSON_COLUMNS} FROM persons"
            " WHERE platform = ? AND tenant = ? AND user_id = ?",
            (key.platform, key.tenant, key.user_id),
        )
        return _person_from(rows[0]) if rows else None

    async def people(self, platform: str, tenant: str) -> list[Person]:
        rows = await self._fetch(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE platform = ? AND tenant = ?"
            " ORDER BY lower(display_name), display_name, user_id",
            (platform, tenant),
        )
        return [_person_from(row) for row in rows]

    async def set_role(self, key: PersonKey, role: Role, granted: bool) -> bool:
        if role is Role.EMPLOYEE:
            return False  # everyone is an employee; nothing to store or take away
        params = (key.platform, key.tenant, key.user_id, role.value)
        async with self._transaction() as db:
            if granted:
                sql = (
                    "INSERT INTO roles (platform, tenant, user_id, role) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING"
                )
            else:
                sql = (
                    "DELETE FROM roles"
                    " WHERE platform = ? AND tenant = ? AND user_id = ? AND role = ?"
                )
            return await self._changes(db, sql, params) > 0

    async def roles(self) -> list[tuple[PersonKey, Role]]:
        rows = await self._fetch(
            "SELECT platform, tenant, user_id, role FROM roles"
            " ORDER BY platform, tenant, user_id, role"
        )
        return [(PersonKey(r[0], r[1], r[2]), Role(r[3])) for r in rows]

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
        started = _iso(started_at)
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO campaigns (platform, tenant, started_by_platform, started_by_tenant,"
                " started_by_user_id, started_at, language, deadline, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    platform,
                    tenant,
                    started_by.platform,
                    started_by.tenant,
                    started_by.user_id,
                    started,
                    language,
                    None if deadline is None else deadline.isoformat(),
                    CampaignState.RUNNING.value,
                ),
            )
            campaign_id = cursor.lastrowid
            await cursor.close()
            await db.executemany(
                "INSERT INTO participants (campaign_id, platform, tenant, user_id, invited_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(campaign_id, k.platform, k.tenant, k.user_id, started) for k in audience],
            )
            rows = await db.execute_fetchall(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
            )
        return _campaign_from(next(iter(rows)))

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
        )
        return _campaign_from(rows[0]) if rows else None

    async def running_campaign(self, platform: str, tenant: str) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE platform = ? AND tenant = ? AND state = ? ORDER BY id DESC LIMIT 1",
            (platform, tenant, CampaignState.RUNNING.value),
        )
        return _campaign_from(rows[0]) if rows else None

    async def latest_campaign(self) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT 1"
        )
        return _campaign_from(rows[0]) if rows else None

    async def close_campaign(self, campaign_id: int, at: datetime) -> bool:
        async with self._transaction() as db:
            changed = await self._changes(
                db,
                "UPDATE campaigns SET state = ?, closed_at = ? WHERE id = ? AND state = ?",
                (CampaignState.CLOSED.value, _iso(at), campaign_id, CampaignState.RUNNING.value),
            )
        return changed > 0

    async def participants(self, campaign_id: int) -> list[Participation]:
        rows = await self._fetch(
            f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE campaign_id = ?"
            " ORDER BY platform, tenant, user_id",
            (campaign_id,),
        )
        return [_participation_from(r) for r in rows]

    async def participation(self, campaign_id: int, person: PersonKey) -> Participation | None:
        rows = await self._fetch(
            f"SELECT {_PARTICIPANT_COLUMNS} FROM participants"
            " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?",
            (campaign_id, person.platform, person.tenant, person.user_id),
        )
        return _participation_from(rows[0]) if rows else None

    async def mark_delivery(self, campaign_id: int, person: PersonKey, delivery: Delivery) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE participants SET delivered = ?, delivery_error = ?"
                " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?",
                (
                    int(delivery.ok),
                    None if delivery.ok else delivery.error,
                    campaign_id,
                    person.platform,
                    person.tenant,
                    person.user_id,
                ),
            )

    # conversation

    async def load_state(self, person: PersonKey) -> ConversationState | None:
        rows = await self._fetch(
            "SELECT campaign_id, step, phase, updated_at FROM conversation_state"
            " WHERE platform = ? AND tenant = ? AND user_id = ?",
            (person.platform, person.tenant, person.user_id),
        )
        if not rows:
            return None
        campaign_id, step, phase, updated_at = rows[0]
        return ConversationState(
            person=person,
            campaign_id=campaign_id,
            step=step,
            phase=Phase(phase),
            updated_at=_dt_opt(updated_at),
        )

    async def seen(self, platform: str, event_id: str) -> bool:
        rows = await self._fetch(
            "SELECT 1 FROM events_seen WHERE platform = ? AND event_id = ?", (platform, event_id)
        )
        return bool(rows)

    async def commit_turn(self, turn: Turn) -> bool:
        # A turn without a time still commits; the wall clock is only a fallback.
        at = _iso(turn.at if turn.at is not None else datetime.now(UTC))
        try:
            async with self._transaction() as db:
                if turn.event is not None:
                    inserted = await self._changes(
                        db,
                        "INSERT INTO events_seen (platform, event_id, seen_at) VALUES (?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        (turn.event.platform, turn.event.event_id, at),
                    )
                    if not inserted:
                        raise _Duplicate
                if turn.person is not None:
                    await db.execute(_UPSERT_PERSON, _person_params(turn.person))
                if turn.state is not None:
                    state, key = turn.state, turn.state.person
                    await db.execute(
                        _UPSERT_STATE,
                        (
                            key.platform,
                            key.tenant,
                            key.user_id,
                            state.campaign_id,
                            state.step,
                            state.phase.value,
                            _iso_opt(state.updated_at),
                        ),
                    )
                if turn.answers:
                    await db.executemany(_UPSERT_ANSWER, [_answer_params(a) for a in turn.answers])
                if turn.finished is not None:
                    campaign_id, key = turn.finished
                    await db.execute(
                        "UPDATE participants SET finished_at = ? WHERE campaign_id = ?"
                        " AND platform = ? AND tenant = ? AND user_id = ?",
                        (at, campaign_id, key.platform, key.tenant, key.user_id),
                    )
        except _Duplicate:
            return False
        return True

    async def answers(self, campaign_id: int) -> list[Answer]:
        rows = await self._fetch(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE campaign_id = ?"
            " ORDER BY answered_at NULLS FIRST, platform, tenant, user_id, question_id",
            (campaign_id,),
        )
        return _answers_from(rows)

    async def answers_of(self, campaign_id: int, person: PersonKey) -> list[Answer]:
        rows = await self._fetch(
            f"SELECT {_ANSWER_COLUMNS} FROM answers"
            " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?"
            " ORDER BY answered_at NULLS FIRST, question_id",
            (campaign_id, person.platform, person.tenant, person.user_id),
        )
        return _answers_from(rows)

    # theme owners

    async def theme_owners(self) -> list[ThemeOwner]:
        rows = await self._fetch(
            "SELECT theme, platform, tenant, user_id, state, since, display_name"
            " FROM theme_owners ORDER BY theme"
        )
        return [
            ThemeOwner(
                theme=r[0],
                person=PersonKey(r[1], r[2], r[3]),
                state=OwnerState(r[4]),
                since=_dt(r[5]),
                display_name=r[6],
            )
            for r in rows
        ]

    async def set_theme_owner(self, owner: ThemeOwner) -> None:
        key = owner.person
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO theme_owners"
                " (theme, platform, tenant, user_id, state, since, display_name)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (theme) DO UPDATE SET platform = excluded.platform,"
                " tenant = excluded.tenant, user_id = excluded.user_id, state = excluded.state,"
                " since = excluded.since, display_name = excluded.display_name",
                (
                    owner.theme,
                    key.platform,
                    key.tenant,
                    key.user_id,
                    owner.state.value,
                    _iso(owner.since),
                    owner.display_name,
                ),
            )
