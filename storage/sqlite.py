"""The SQLite store: `bot.core.ports.Store` on one aiosqlite connection.

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
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.core.domain import (
    Answer,
    Campaign,
    CampaignState,
    ConversationState,
    Delivery,
    Erasure,
    OwnerAnswer,
    Participation,
    Person,
    PersonData,
    PersonKey,
    Phase,
    Role,
    ThemeOwner,
)
from bot.core.tallies import Collected, Figures
from bot.core.turns import Applied, EventKey, Turn
from bot.core.views import PersonView, Roster
from storage import reports, sqlite_schema, views, writes
from storage.sql import Plan, run_sqlite
from storage.sqlite_queue import SqliteQueues
from storage.sqlite_rows import (
    ANSWER_COLUMNS,
    CAMPAIGN_COLUMNS,
    PARTICIPANT_COLUMNS,
    PERSON_COLUMNS,
    PERSON_TABLES,
    THEME_OWNER_COLUMNS,
    UPSERT_PERSON,
    answers_from,
    campaign_from,
    dt_opt,
    iso,
    participation_from,
    person_from,
    person_params,
    theme_owner_from,
)

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


class SqliteStore(SqliteQueues):
    """`bot.core.ports.Store` on SQLite (WAL mode, one connection, serialized access)."""

    def __init__(self, connection: aiosqlite.Connection, path: str = ":memory:") -> None:
        """Wraps an open autocommit connection; prefer `SqliteStore.open`."""
        self._db = connection
        self._lock = asyncio.Lock()
        self._path = path
        # Reports (a draft, a digest, status) read on a connection of their own: in WAL mode it
        # reads beside the writer, so a big report never holds up a colleague's answer.
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()

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
        return cls(db, path)

    async def close(self) -> None:
        async with self._reader_lock:
            if self._reader is not None:
                await self._reader.close()
                self._reader = None
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

    async def _plan(self, plan: Plan[T], *, write: bool = True) -> T:
        """Runs a plan (storage.sql) in one trip to the database thread, in one transaction."""
        async with self._lock:
            return await run_sqlite(self._db, plan, write=write)

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
            now = iso(datetime.now(UTC))
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
            await db.execute(UPSERT_PERSON, person_params(person))
            rows = await db.execute_fetchall(
                f"SELECT {PERSON_COLUMNS} FROM persons"
                " WHERE platform = ? AND tenant = ? AND user_id = ?",
                (key.platform, key.tenant, key.user_id),
            )
        return person_from(next(iter(rows)))

    async def get_person(self, key: PersonKey) -> Person | None:
        rows = await self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons"
            " WHERE platform = ? AND tenant = ? AND user_id = ?",
            (key.platform, key.tenant, key.user_id),
        )
        return person_from(rows[0]) if rows else None

    async def people(self, platform: str, tenant: str) -> list[Person]:
        rows = await self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons WHERE platform = ? AND tenant = ?"
            " ORDER BY lower(display_name), display_name, user_id",
            (platform, tenant),
        )
        return [person_from(row) for row in rows]

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
        return await self._plan(
            writes.create_campaign(
                platform, tenant, started_by, started_at, language, deadline, audience
            )
        )

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
        )
        return campaign_from(rows[0]) if rows else None

    async def running_campaign(self, platform: str, tenant: str) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE platform = ? AND tenant = ? AND state = ? ORDER BY id DESC LIMIT 1",
            (platform, tenant, CampaignState.RUNNING.value),
        )
        return campaign_from(rows[0]) if rows else None

    async def latest_campaign(self) -> Campaign | None:
        rows = await self._fetch(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT 1"
        )
        return campaign_from(rows[0]) if rows else None

    async def close_campaign(self, campaign_id: int, at: datetime) -> bool:
        return await self._plan(writes.close_campaign(campaign_id, iso(at)))

    async def participants(self, campaign_id: int) -> list[Participation]:
        rows = await self._fetch(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE campaign_id = ?"
            " ORDER BY platform, tenant, user_id",
            (campaign_id,),
        )
        return [participation_from(r) for r in rows]

    async def participation(self, campaign_id: int, person: PersonKey) -> Participation | None:
        rows = await self._fetch(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants"
            " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?",
            (campaign_id, person.platform, person.tenant, person.user_id),
        )
        return participation_from(rows[0]) if rows else None

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
            "SELECT campaign_id, step, phase, updated_at, offered FROM conversation_state"
            " WHERE platform = ? AND tenant = ? AND user_id = ?",
            (person.platform, person.tenant, person.user_id),
        )
        if not rows:
            return None
        campaign_id, step, phase, updated_at, offered = rows[0]
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
        return await self._plan(views.person_view(key, campaign_id, event, owner), write=False)

    async def roster(self) -> Roster:
        return await self._plan(views.roster(), write=False)

    async def seen(self, platform: str, event_id: str) -> bool:
        rows = await self._fetch(
            "SELECT 1 FROM events_seen WHERE platform = ? AND event_id = ?", (platform, event_id)
        )
        return bool(rows)

    async def commit_turn(self, turn: Turn) -> Applied | None:
        return await self._plan(writes.apply_turn(turn))

    async def tally(self, campaign_id: int) -> Collected:
        return await reports.read_tally(self._read, campaign_id)

    async def figures(self, campaign_id: int) -> Figures:
        return await self._read(reports.figures(campaign_id))

    async def _read(self, plan: Plan[T]) -> T:
        """Runs a report's read plan on the reports' own connection (the main one for an
        in-memory database, which a second connection would not see)."""
        if self._path == ":memory:":
            return await self._plan(plan, write=False)
        async with self._reader_lock:
            if self._reader is None:
                self._reader = await aiosqlite.connect(self._path, isolation_level=None)
                await self._reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await self._reader.execute("PRAGMA query_only = ON")
            return await run_sqlite(self._reader, plan, write=False)

    async def answers(self, campaign_id: int) -> list[Answer]:
        rows = await self._fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE campaign_id = ?"
            " ORDER BY answered_at NULLS FIRST, platform, tenant, user_id, question_id",
            (campaign_id,),
        )
        return answers_from(rows)

    async def answers_of(self, campaign_id: int, person: PersonKey) -> list[Answer]:
        rows = await self._fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers"
            " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?"
            " ORDER BY answered_at NULLS FIRST, question_id",
            (campaign_id, person.platform, person.tenant, person.user_id),
        )
        return answers_from(rows)

    # theme owners

    async def theme_owners(self) -> list[ThemeOwner]:
        rows = await self._fetch(f"SELECT {THEME_OWNER_COLUMNS} FROM theme_owners ORDER BY theme")
        return [theme_owner_from(r) for r in rows]

    async def set_theme_owner(self, owner: ThemeOwner) -> None:
        await self._plan(writes.set_theme_owner(owner))

    async def remove_theme_owner(self, theme: str) -> bool:
        return await self._plan(writes.remove_theme_owner(theme))

    async def owner_answers(self, person: PersonKey | None = None) -> list[OwnerAnswer]:
        sql = (
            "SELECT theme, platform, tenant, user_id, question_id, text, skipped, answered_at"
            " FROM owner_answers"
        )
        params: tuple[str, ...] = ()
        if person is not None:
            sql += " WHERE platform = ? AND tenant = ? AND user_id = ?"
            params = (person.platform, person.tenant, person.user_id)
        rows = await self._fetch(
            sql + " ORDER BY theme, answered_at, question_id, platform, tenant, user_id", params
        )
        return [
            OwnerAnswer(r[0], PersonKey(r[1], r[2], r[3]), r[4], r[5], bool(r[6]), dt_opt(r[7]))
            for r in rows
        ]

    async def person_data(self, key: PersonKey) -> PersonData:
        who = (key.platform, key.tenant, key.user_id)
        where = " WHERE platform = ? AND tenant = ? AND user_id = ?"
        participations = await self._fetch(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants{where} ORDER BY campaign_id", who
        )
        answers = await self._fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers{where}"
            " ORDER BY campaign_id, answered_at, question_id",
            who,
        )
        return PersonData(
            key=key,
            person=await self.get_person(key),
            roles=tuple(role for k, role in await self.roles() if k == key),
            participations=tuple(participation_from(r) for r in participations),
            answers=tuple(answers_from(answers)),
            state=await self.load_state(key),
            ownerships=tuple(o for o in await self.theme_owners() if o.person == key),
            owner_answers=tuple(await self.owner_answers(key)),
        )

    async def find_keys(self, platform: str, user_id: str) -> list[PersonKey]:

        union = " UNION ".join(
            f"SELECT tenant FROM {t} WHERE platform = ? AND user_id = ?" for t in PERSON_TABLES
        )
        rows = await self._fetch(f"{union} ORDER BY 1", (platform, user_id) * len(PERSON_TABLES))
        return [PersonKey(platform, tenant, user_id) for (tenant,) in rows]

    async def erase_person(self, key: PersonKey) -> Erasure:
        return await self._plan(writes.erase_person(key))

    async def last_digest(self, campaign_id: int, recipient: str) -> str | None:
        rows = await self._fetch(
            "SELECT snapshot FROM digests WHERE campaign_id = ? AND recipient = ?",
            (campaign_id, recipient),
        )
        return str(rows[0][0]) if rows else None

    async def record_digest(
        self, campaign_id: int, recipient: str, at: datetime, snapshot: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO digests (campaign_id, recipient, at, snapshot) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (campaign_id, recipient) DO UPDATE SET at = excluded.at,"
                " snapshot = excluded.snapshot",
                (campaign_id, recipient, iso(at), snapshot),
            )

    async def save_address(self, person: PersonKey, address: str) -> None:
        await self._plan(writes.save_address(person, address))

    async def address(self, person: PersonKey) -> str | None:
        rows = await self._fetch(
            "SELECT address FROM addresses WHERE platform = ? AND tenant = ? AND user_id = ?",
            (person.platform, person.tenant, person.user_id),
        )
        return str(rows[0][0]) if rows else None
