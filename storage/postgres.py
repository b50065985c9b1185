"""The PostgreSQL store: `bot.core.ports.Store` on an asyncpg connection pool.

Several replicas of the bot may share one database. Every write runs in its own transaction on a
pooled connection and commits before the method returns; reads go straight to the pool. The
tables, columns and values are those of the SQLite store (see `storage.postgres_schema`), and
every method behaves as its SQLite twin does: the storage contract tests run against both.

SQL is never schema-qualified: the connection's `search_path` (e.g. `?options=-csearch_path%3Dx`
in the URL) decides where the tables live.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bot.core.domain import Erasure, Person, PersonData, PersonKey, Role
from storage import postgres_schema, writes
from storage.postgres_polls import PostgresPolls
from storage.postgres_queues import PostgresQueues
from storage.postgres_rows import ORDER_PEOPLE, UPSERT_PERSON, WHO
from storage.sql import changed, run_postgres
from storage.sqlite_rows import (
    ANSWER_COLUMNS,
    PARTICIPANT_COLUMNS,
    PERSON_COLUMNS,
    PERSON_TABLES,
    answers_from,
    iso,
    participation_from,
    person_from,
    person_params,
)
from storage.sqlite_schema import SchemaVersionError

CONNECT_TIMEOUT_S = 10.0
"""How long opening the pool waits for the server before giving up (asyncpg's default is 60)."""


class PostgresStore(PostgresPolls, PostgresQueues):
    """`bot.core.ports.Store` on PostgreSQL (an asyncpg pool; safe to share between replicas)."""

    def __init__(self, pool: Any, locks: Any) -> None:
        """Wraps two open asyncpg pools, one for queries and one for held person locks;
        prefer `PostgresStore.open`."""
        self._pool = pool
        self._locks = locks

    @classmethod
    async def open(
        cls, url: str, pool_size: int, lock_pool_size: int | None = None
    ) -> PostgresStore:
        """Connects a pool of up to `pool_size` connections to the database at `url`, and a
        pool of up to `lock_pool_size` (default: half as many, at least 2) for person locks.

        Does not migrate; call `migrate()` (or use `storage.open_store`, which does). Raises
        what asyncpg raises when the server cannot be reached.
        """
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT_S
        )
        try:
            # Connects on first use: a replica that handles no events holds no lock connection.
            locks = await asyncpg.create_pool(
                url,
                min_size=0,
                max_size=lock_pool_size or max(2, pool_size // 2),
                timeout=CONNECT_TIMEOUT_S,
            )
        except BaseException:
            await pool.close()
            raise
        return cls(pool, locks)

    async def close(self) -> None:
        await self._locks.close()
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[Any]:
        """A pooled connection in a transaction, committed on success, rolled back otherwise."""
        async with self._pool.acquire() as con, con.transaction():
            yield con

    async def migrate(self) -> None:
        """Applies every migration step newer than the stored schema version, atomically.

        The advisory lock makes replicas that start together take turns: the first applies the
        steps, the others then find nothing left to do.
        """
        steps = postgres_schema.MIGRATIONS
        async with self._write() as con:
            await con.execute("SELECT pg_advisory_xact_lock($1)", postgres_schema.MIGRATION_LOCK)
            await con.execute(postgres_schema.SCHEMA_VERSION_TABLE)
            current = int(
                await con.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            )
            if current > len(steps):
                raise SchemaVersionError(
                    f"the database has schema version {current}, newer than this bot's"
                    f" {len(steps)}; upgrade imvo-bot"
                )
            now = iso(datetime.now(UTC))
            for version in range(current + 1, len(steps) + 1):
                for statement in steps[version - 1]:
                    await con.execute(statement)
                await con.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                    version,
                    now,
                )

    # people and roles

    async def upsert_person(self, person: Person) -> Person:
        key = person.key
        async with self._write() as con:
            await con.execute(UPSERT_PERSON, *person_params(person))
            row = await con.fetchrow(
                f"SELECT {PERSON_COLUMNS} FROM persons{WHO}",
                key.platform,
                key.tenant,
                key.user_id,
            )
        return person_from(row)

    async def get_person(self, key: PersonKey) -> Person | None:
        row = await self._pool.fetchrow(
            f"SELECT {PERSON_COLUMNS} FROM persons{WHO}", key.platform, key.tenant, key.user_id
        )
        return None if row is None else person_from(row)

    async def people(self, platform: str, tenant: str) -> list[Person]:
        rows = await self._pool.fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons WHERE platform = $1 AND tenant = $2"
            + ORDER_PEOPLE,
            platform,
            tenant,
        )
        return [person_from(row) for row in rows]

    async def set_role(self, key: PersonKey, role: Role, granted: bool) -> bool:
        if role is Role.EMPLOYEE:
            return False  # everyone is an employee; nothing to store or take away
        if granted:
            sql = (
                "INSERT INTO roles (platform, tenant, user_id, role) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING"
            )
        else:
            sql = f"DELETE FROM roles{WHO} AND role = $4"
        async with self._write() as con:
            status = await con.execute(sql, key.platform, key.tenant, key.user_id, role.value)
        return changed(status) > 0

    async def roles(self) -> list[tuple[PersonKey, Role]]:
        rows = await self._pool.fetch(
            "SELECT platform, tenant, user_id, role FROM roles"
            " ORDER BY platform, tenant, user_id, role"
        )
        return [(PersonKey(r[0], r[1], r[2]), Role(r[3])) for r in rows]

    # people's own data

    async def person_data(self, key: PersonKey) -> PersonData:
        who = (key.platform, key.tenant, key.user_id)
        participations = await self._pool.fetch(
            f"SELECT {PARTICIPANT_COLUMNS} FROM participants{WHO} ORDER BY campaign_id", *who
        )
        answers = await self._pool.fetch(
            f"SELECT {ANSWER_COLUMNS} FROM answers{WHO}"
            " ORDER BY campaign_id, answered_at NULLS FIRST, question_id",  # ties: PK order
            *who,
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
            f"SELECT tenant FROM {t} WHERE platform = $1 AND user_id = $2" for t in PERSON_TABLES
        )
        rows = await self._pool.fetch(f"{union} ORDER BY 1", platform, user_id)
        return [PersonKey(platform, tenant, user_id) for (tenant,) in rows]

    async def erase_person(self, key: PersonKey) -> Erasure:
        return await run_postgres(self._pool, writes.erase_person(key))

    # digests and addresses

    async def last_digest(self, campaign_id: int, recipient: str) -> str | None:
        snapshot = await self._pool.fetchval(
            "SELECT snapshot FROM digests WHERE campaign_id = $1 AND recipient = $2",
            campaign_id,
            recipient,
        )
        return None if snapshot is None else str(snapshot)

    async def record_digest(
        self, campaign_id: int, recipient: str, at: datetime, snapshot: str
    ) -> None:
        stamp = iso(at)
        async with self._write() as con:
            await con.execute(
                "INSERT INTO digests (campaign_id, recipient, at, snapshot)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (campaign_id, recipient) DO UPDATE SET at = excluded.at,"
                " snapshot = excluded.snapshot",
                campaign_id,
                recipient,
                stamp,
                snapshot,
            )

    async def save_address(self, person: PersonKey, address: str) -> None:
        await run_postgres(self._pool, writes.save_address(person, address))

    async def address(self, person: PersonKey) -> str | None:
        found = await self._pool.fetchval(
            f"SELECT address FROM addresses{WHO}", person.platform, person.tenant, person.user_id
        )
        return None if found is None else str(found)
