"""What only the PostgreSQL store has to get right: several replicas starting on one database,
connection errors, the pool, and a schema that a row-by-row copy from SQLite fits.

The storage contract suite (tests/test_store_contract.py) checks the behaviour both stores
share; every test here needs a server and is skipped without one (see tests/stores.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.core.domain import ConversationState, Person, PersonKey, Phase, Role
from bot.core.ports import Store
from bot.core.turns import Effects, EventKey, Turn
from storage import StoreConfigError, open_store, postgres_schema, sqlite_schema
from storage.postgres import PostgresStore
from storage.postgres_rows import redacted, scrubbed
from storage.sql import numbered
from tests.campaigns import ANN, BOB, T0, campaign_at_version
from tests.stores import opened, postgres_schema_url, postgres_server_url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with postgres_schema_url() as url:
        yield url


async def _versions(url: str) -> list[int]:
    con = await asyncpg.connect(url)
    try:
        return [r[0] for r in await con.fetch("SELECT version FROM schema_version ORDER BY 1")]
    finally:
        await con.close()


async def test_replicas_migrating_together_apply_each_step_once(pg_url: str) -> None:
    first = await PostgresStore.open(pg_url, 2)
    second = await PostgresStore.open(pg_url, 2)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        await asyncio.gather(first.migrate(), second.migrate())
    finally:
        await first.close()
        await second.close()
    assert await _versions(pg_url) == list(range(1, postgres_schema.LATEST_VERSION + 1))


async def test_a_database_newer_than_the_bot_is_refused(pg_url: str) -> None:
    await (await open_store(pg_url)).close()
    con = await asyncpg.connect(pg_url)
    try:
        await con.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, 'later')",
            postgres_schema.LATEST_VERSION + 1,
        )
    finally:
        await con.close()

    store = await PostgresStore.open(pg_url, 2)
    try:
        with pytest.raises(sqlite_schema.SchemaVersionError, match="newer"):
            await store.migrate()
    finally:
        await store.close()
    with pytest.raises(StoreConfigError, match="newer"):
        await open_store(pg_url)


async def test_the_steps_mirror_sqlite_and_give_the_same_tables_and_columns(
    pg_url: str, tmp_path: Path
) -> None:
    assert len(postgres_schema.MIGRATIONS) == len(sqlite_schema.MIGRATIONS)
    await (await open_store(pg_url)).close()
    await (await open_store(f"sqlite:///{tmp_path / 'same.db'}")).close()

    con = await asyncpg.connect(pg_url)
    try:
        rows = await con.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
    finally:
        await con.close()
    in_postgres: dict[str, list[str]] = {}
    for table, column in rows:
        in_postgres.setdefault(table, []).append(column)

    with closing(sqlite3.connect(tmp_path / "same.db")) as db:
        tables = [
            t
            for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not t.startswith("sqlite_")
        ]
        in_sqlite = {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")] for t in tables}
    assert in_postgres == in_sqlite


async def test_both_stores_order_names_byte_wise_like_sqlite(pg_url: str, tmp_path: Path) -> None:
    names = ["Zoë", "zed", "Émile", "émile", "Ärmel", "anna", "Anna", "Bob", "_x", "ñ", "Z"]
    results = []
    for url in (pg_url, f"sqlite:///{tmp_path / 'order.db'}"):
        store = await open_store(url)
        try:
            for n, name in enumerate(names):
                await store.upsert_person(Person(PersonKey("slack", "T1", f"U{n:02}"), name))
            await store.set_role(PersonKey("slack", "é", "U1"), Role.MANAGER, True)
            await store.set_role(PersonKey("slack", "Z", "U1"), Role.MANAGER, True)
            await store.set_role(PersonKey("slack", "a", "U1"), Role.MANAGER, True)
            results.append(
                (
                    [p.display_name for p in await store.people("slack", "T1")],
                    await store.roles(),
                    await store.find_keys("slack", "U1"),
                )
            )
        finally:
            await store.close()
    assert results[0] == results[1]


async def test_a_failed_turn_leaves_no_trace(pg_url: str) -> None:
    store = await open_store(pg_url)
    try:
        ann = PersonKey("slack", "T1", "U1")
        broken = Turn(
            EventKey("slack", "Ev1"),
            Effects(state=ConversationState(ann, 999, step=3, phase=Phase.ASKING, updated_at=T0)),
        )
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await store.commit_turn(broken)
        assert not await store.seen("slack", "Ev1")
        assert await store.load_state(ann) is None
    finally:
        await store.close()


async def test_the_pool_size_is_honoured(pg_url: str) -> None:
    store = await open_store(pg_url, pool_size=3)
    try:
        assert isinstance(store, PostgresStore)
        assert store._pool.get_max_size() == 3
    finally:
        await store.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://imvo:s3cret-pw@127.0.0.1:1/imvo",  # nothing listens on port 1
        "postgres://imvo:s3cret-pw@no-such-host.invalid/imvo",
        "postgresql://imvo@127.0.0.1:1/imvo?password=s3cret-pw",
    ],
)
async def test_a_server_that_does_not_answer_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(StoreConfigError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message
    assert message.startswith("cannot open the PostgreSQL database at postgres")


async def test_an_unknown_database_is_one_line_without_the_password() -> None:
    async with postgres_schema_url():  # skips without a server
        pass
    server = urlsplit(postgres_server_url())
    user = server.username or "postgres"
    netloc = f"{user}:s3cret-pw@{server.netloc.rpartition('@')[2]}"
    url = urlunsplit(server._replace(netloc=netloc, path="/imvo_no_such_database"))
    with pytest.raises(StoreConfigError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert "imvo_no_such_database" in message and "s3cret" not in message
    assert "\n" not in message


def test_urls_lose_their_password_in_messages() -> None:
    url = "postgresql://imvo:p%40ss@db:5432/imvo?password=other&options=-csearch_path%3Dx"
    assert redacted(url) == "postgresql://imvo@db:5432/imvo?options=-csearch_path%3Dx"
    assert scrubbed("failed for p@ss and other", url) == "failed for *** and ***"


def test_sqlite_placeholders_become_numbered_ones() -> None:
    sql = "INSERT INTO t VALUES (?, '?', ?) WHERE x = '' AND y = ?"
    assert numbered(sql) == "INSERT INTO t VALUES ($1, '?', $2) WHERE x = '' AND y = $3"


async def test_lock_waiters_never_take_the_query_pool(pg_url: str) -> None:
    ann, bob = PersonKey("slack", "T1", "UA"), PersonKey("slack", "T1", "UB")
    holder = await open_store(pg_url)
    waiter = await open_store(pg_url, pool_size=2)
    assert isinstance(waiter, PostgresStore) and waiter._locks.get_max_size() == 2
    released = asyncio.Event()

    async def hold(key: PersonKey, ready: asyncio.Event) -> None:
        async with holder.person_lock(key):
            ready.set()
            await released.wait()

    async def wait_for(key: PersonKey) -> None:
        async with waiter.person_lock(key):
            pass

    try:
        ready = [asyncio.Event(), asyncio.Event()]
        holders = [asyncio.create_task(hold(k, r)) for k, r in zip((ann, bob), ready, strict=True)]
        await asyncio.gather(*(r.wait() for r in ready))
        waiting = [asyncio.create_task(wait_for(k)) for k in (ann, bob)]
        await asyncio.sleep(0.1)
        # Both of the waiter's lock connections are blocked; its queries still run.
        assert not any(t.done() for t in waiting)
        async with asyncio.timeout(5):
            await waiter.upsert_person(Person(ann, "Ann"))
            assert await waiter.get_person(ann) == Person(ann, "Ann")
        released.set()
        async with asyncio.timeout(5):
            await asyncio.gather(*holders, *waiting)
    finally:
        released.set()
        await holder.close()
        await waiter.close()


async def test_a_cancelled_lock_waiter_leaves_no_lock_behind(pg_url: str) -> None:
    ann = PersonKey("slack", "T1", "UA")
    first = await open_store(pg_url)
    second = await open_store(pg_url)
    try:
        async with first.person_lock(ann):
            waiter = asyncio.create_task(_enter(second, ann))
            await asyncio.sleep(0.1)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        # Neither the cancelled wait nor the released holder keeps the person locked.
        async with asyncio.timeout(5):
            await _enter(second, ann)
            await _enter(first, ann)
    finally:
        await first.close()
        await second.close()


async def _enter(store: Store, key: PersonKey) -> None:
    async with store.person_lock(key):
        pass


async def test_the_lease_step_upgrades_a_populated_database(pg_url: str) -> None:
    campaign = await campaign_at_version(pg_url, 7, [ANN])
    con = await asyncpg.connect(pg_url)
    try:
        # An invitation that a version-7 bot was sending when it stopped.
        await con.execute(
            "INSERT INTO outbox (key, campaign_id, platform, tenant, user_id, state, attempts,"
            " next_at, seq) VALUES ('invite:1', $1, 'slack', 'T1', 'U1', 'sending', 1, $2, 1)",
            campaign.id,
            T0.isoformat(timespec="microseconds"),
        )
    finally:
        await con.close()

    async with opened(pg_url) as store:
        claimed = await store.claim_outbox(T0, T0 + timedelta(minutes=1), "r1", 10)
    assert [(i.key, i.in_doubt, i.attempts) for i in claimed] == [("invite:1", True, 1)]
    assert await _versions(pg_url) == list(range(1, postgres_schema.LATEST_VERSION + 1))


async def test_the_version_15_step_moves_the_marks_into_their_columns(pg_url: str) -> None:
    campaign = await campaign_at_version(pg_url, 14, [ANN, BOB])
    con = await asyncpg.connect(pg_url)
    try:
        # Forget-me's question and an offer as a version-14 bot kept them: marks in `offered`.
        await con.executemany(
            "INSERT INTO conversation_state (platform, tenant, user_id, campaign_id, step, phase,"
            " updated_at, offered) VALUES ('slack', 'T1', $1, $2, 3, 'asking', $3, $4)",
            [
                (
                    "U1",
                    campaign.id,
                    T0.isoformat(),
                    '["legislation", "~forget:2024-05-01T09:05:00.000123+00:00",'
                    ' "~offer:resistance"]',
                ),
                ("U2", campaign.id, T0.isoformat(), '["resistance", "~forget:not a time"]'),
            ],
        )
    finally:
        await con.close()

    async with opened(pg_url) as store:
        ann_state = await store.load_state(ANN)
        ann_view = (await store.person_view(ANN, campaign.id, None, False)).state
        bob_state = await store.load_state(BOB)
    asked = datetime(2024, 5, 1, 9, 5, 0, 123, tzinfo=UTC)
    expected = ConversationState(
        ANN, campaign.id, 3, Phase.ASKING, T0, frozenset({"legislation"}), asked, "resistance"
    )
    assert ann_state == ann_view == expected
    assert bob_state == ConversationState(
        BOB, campaign.id, 3, Phase.ASKING, T0, frozenset({"resistance"})
    )
    assert await _versions(pg_url) == list(range(1, postgres_schema.LATEST_VERSION + 1))


async def test_the_lock_pool_is_half_the_query_pool_by_default(pg_url: str) -> None:
    store = await open_store(pg_url, pool_size=10)
    try:
        assert isinstance(store, PostgresStore) and store._locks.get_max_size() == 5
    finally:
        await store.close()


async def test_a_schema_the_bot_cannot_create_in_is_one_line() -> None:
    async with postgres_schema_url() as url:
        missing = url.replace("imvo_t_", "imvo_missing_")
        with pytest.raises(StoreConfigError, match="cannot bring the PostgreSQL database"):
            await open_store(missing)
