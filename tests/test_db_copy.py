"""`imvo-bot db copy`: a whole installation moves between stores and comes back the same.

Tests that need PostgreSQL get a fresh schema from tests/stores.py and are skipped without a
server (they fail instead when IMVO_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.core.decisions import Decision, DecisionState
from bot.core.domain import (
    Answer,
    Approval,
    ConversationState,
    Delivery,
    DigestSnapshot,
    DraftFile,
    Job,
    JobKind,
    OutboxItem,
    OutboxState,
    OwnerAnswer,
    OwnerState,
    Person,
    PersonKey,
    Phase,
    Role,
    SendBudget,
    ThemeOwner,
    Verdict,
)
from bot.core.turns import Effects, EventKey, Turn
from storage import open_store
from storage.copy import CopyError, CopyFailed, copy_store
from storage.copy_tables import NOT_COPIED, _SqliteTables
from tests.stores import BACKENDS, postgres_schema_url
from tests.test_cli import run

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
LEAD = PersonKey("slack", "T1", "U0")
ANN = PersonKey("slack", "T1", "U1")
BOB = PersonKey("slack", "T1", "U2")
EVA = PersonKey("teams", "tenant-1", "aad-1")
EVERYONE = (LEAD, ANN, BOB, EVA)
BUDGET = SendBudget(rate=1.5, ceiling=2.25, next_at=1714554000.123456)
CAMPAIGN: dict[str, Any] = {"platform": "slack", "tenant": "T1", "started_by": LEAD}


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with postgres_schema_url() as url:
        yield url


async def fill(url: str) -> list[int]:
    """Everything a real installation holds, written through the Store API; the campaign ids."""
    store = await open_store(url)
    try:
        await store.upsert_person(Person(LEAD, "Lea", "nl", "Europe/Amsterdam", "CSR"))
        await store.upsert_person(Person(ANN, "Ann de Vries", "nl", discipline="HR"))
        await store.upsert_person(Person(BOB, "Bob 'O\"Neil' 🚧", "en"))
        await store.upsert_person(Person(EVA, "Eva", is_bot=False))
        await store.set_role(LEAD, Role.CSR_LEAD, True)
        await store.set_role(BOB, Role.MANAGER, True)
        deadline = date(2024, 5, 15)
        first = await store.create_campaign(
            **CAMPAIGN, started_at=T0, language="nl", deadline=deadline, audience=[ANN, BOB]
        )
        await store.close_campaign(first.id, T0 + timedelta(days=1))
        later, audience = T0 + timedelta(days=2), [ANN, BOB, LEAD]
        second = await store.create_campaign(
            **CAMPAIGN, started_at=later, language="en", deadline=None, audience=audience
        )
        await store.mark_delivery(second.id, ANN, Delivery(ok=True))
        await store.mark_delivery(second.id, BOB, Delivery(ok=False, error="channel_not_found"))
        state = ConversationState(
            ANN, second.id, 2, Phase.WHY, T0, offered=frozenset({"legislation"})
        )
        why = "Omdat het moet.\nEcht."
        ann_answers = (
            Answer(second.id, ANN, "drivers", ("law", "clients"), why, answered_at=T0),
            Answer(second.id, ANN, "risks", skipped=True, answered_at=T0),
        )
        await store.commit_turn(
            Turn(EventKey("slack", "Ev1"), Effects(state=state, answers=ann_answers), at=T0)
        )
        bob_answer = Answer(first.id, BOB, "drivers", text="=SUM(A1) <@channel>", answered_at=T0)
        await store.commit_turn(
            Turn(
                EventKey("slack", "Ev2"),
                Effects(answers=(bob_answer,), finished=(first.id, BOB)),
                at=T0,
            )
        )
        await store.set_theme_owner(
            ThemeOwner("child-labour", ANN, OwnerState.ACCEPTED, T0, "Ann", invited_by=LEAD)
        )
        await store.set_theme_owner(ThemeOwner("living-wage", BOB, OwnerState.PROPOSED, T0, "Bob"))
        owner_answers = (
            OwnerAnswer("child-labour", ANN, "measures", "We check ages twice.", answered_at=T0),
            OwnerAnswer("child-labour", ANN, "suppliers", skipped=True, answered_at=T0),
        )
        await store.commit_turn(Turn(None, Effects(owner_answers=owner_answers), at=T0))
        await store.schedule(
            [
                Job("reminder:2:ann", JobKind.REMINDER, T0 + timedelta(days=3), ANN, second.id),
                Job("digest:2", JobKind.DIGEST, T0 + timedelta(days=7), BOB, second.id),
                Job("claim:living-wage", JobKind.CLAIM_STANDS, T0, BOB, None, "living-wage"),
            ]
        )
        [claimed] = await store.claim_jobs(T0, T0 + timedelta(minutes=5), "replica-1", 1)
        await store.finish_job(claimed.key, "stood", T0, "replica-1")
        await store.enqueue(
            [
                OutboxItem(f"invite:{second.id}:{who.user_id}", second.id, who, next_at=T0)
                for who in (ANN, BOB, LEAD)
            ]
        )
        [sending] = await store.claim_outbox(T0, T0 + timedelta(minutes=1), "replica-1", 1)
        await store.begin_send(sending.key, "replica-1", T0 + timedelta(minutes=1))
        await store.settle_outbox(sending.key, "replica-1", OutboxState.SENT, None, None)
        await store.record_digest(second.id, "slack:U2", T0, DigestSnapshot(T0, 3, 2, 1, 0))
        await store.save_address(EVA, '{"conversation": {"id": "a:1"}, "serviceUrl": "x"}')
        draft = DraftFile("d.docx", "application/octet-stream", bytes(range(256)) * 4)
        await store.save_drafts(second.id, [draft], T0)  # binary: BLOB and BYTEA both ways
        await store.new_draft_version(second.id, T0, {"respondents": 2, "open": []}, "ab12", 7)
        await store.save_workspace("slack", "T1", "Ateliers Fair & Co", T0)
        asked = Approval(second.id, 1, BOB, "ab12", LEAD, T0)
        await store.commit_turn(Turn(EventKey("slack", "Ev3"), Effects(approvals=(asked,)), at=T0))
        said = replace(asked, decision=Verdict.CHANGES, comment="Meer over lonen", decided_at=T0)
        await store.commit_turn(Turn(EventKey("slack", "Ev4"), Effects(approvals=(said,)), at=T0))
        proposed = Decision(
            campaign_id=second.id,
            subject="theme:child-labour",
            state=DecisionState.PROPOSED,
            decided_by=ANN,
            decided_by_name="Ann de Vries",
            decided_at=T0,
            choices=("age-check", "remediation-plan"),
            own=('Wij bezoeken elke "nieuwe" fabriek 🚧 zelf.',),
        )
        mission = Decision(
            campaign_id=second.id,
            subject="mission",
            state=DecisionState.CONFIRMED,
            decided_by=LEAD,
            decided_by_name="Lea",
            decided_at=T0,
            text="Wij maken kleding\nzonder schade.",
        )
        decided = Effects(decisions=(proposed, mission))
        await store.commit_turn(Turn(EventKey("slack", "Ev5"), decided, at=T0))
        await store.mark_first_version(second.id, 1)
        await store.update_budget("slack:T1", lambda _: BUDGET)
        return [first.id, second.id]
    finally:
        await store.close()


async def seen_through_the_store(url: str, campaign_ids: list[int]) -> dict[str, Any]:
    """What the bot sees of an installation, read through the Store API without changing it."""
    store = await open_store(url)
    try:
        return {
            "people": [await store.people(k.platform, k.tenant) for k in (ANN, EVA)],
            "roles": await store.roles(),
            "campaigns": [await store.get_campaign(i) for i in campaign_ids],
            "latest": await store.latest_campaign(),
            "participants": [await store.participants(i) for i in campaign_ids],
            "answers": [await store.answers(i) for i in campaign_ids],
            "state": await store.load_state(ANN),
            "seen": [await store.seen("slack", e) for e in ("Ev1", "Ev2", "Ev3")],
            "owners": await store.theme_owners(),
            "owner_answers": await store.owner_answers(),
            "person_data": [await store.person_data(k) for k in EVERYONE],
            "outbox": [await store.outbox_counts(i) for i in campaign_ids],
            "digest": await store.last_digest(campaign_ids[1], "slack:U2"),
            "address": await store.address(EVA),
            "decisions": [await store.decisions(i) for i in campaign_ids],
        }
    finally:
        await store.close()


async def claimed_work(url: str) -> tuple[Any, ...]:
    """The jobs, invitations and budget the copy carried, as replicas would claim them (this
    changes the store, so it comes last)."""
    store = await open_store(url)
    try:
        later = T0 + timedelta(days=30)
        return (
            await store.claim_jobs(later, later + timedelta(minutes=5), "replica-2", 10),
            await store.claim_outbox(later, later + timedelta(minutes=5), "replica-2", 10),
            await store.update_budget("slack:T1", lambda b: b or SendBudget(0, 0, 0)),
        )
    finally:
        await store.close()


async def next_campaign_id(url: str) -> int:
    store = await open_store(url)
    try:
        return (
            await store.create_campaign(
                **CAMPAIGN, started_at=T0, language="nl", deadline=None, audience=[]
            )
        ).id
    finally:
        await store.close()


async def rows_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the bookkeeping ones (schema and roster versions), sorted,
    straight from the database."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            tables = [
                t
                for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not t.startswith("sqlite_") and t not in NOT_COPIED
            ]
            return {t: sorted(db.execute(f"SELECT * FROM {t}"), key=repr) for t in tables}
    con = await asyncpg.connect(url)
    try:
        tables = [
            t
            for (t,) in await con.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
            if t not in NOT_COPIED
        ]
        # Columns in SQLite's order: a column added by a migration comes last in both.
        return {
            t: sorted((tuple(r) for r in await con.fetch(f"SELECT * FROM {t}")), key=repr)
            for t in tables
        }
    finally:
        await con.close()


async def test_an_installation_goes_to_postgresql_and_back_unchanged(
    tmp_path: Path, pg_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'imvo.db'}"
    back = f"sqlite:///{tmp_path / 'back' / 'imvo.db'}"
    ids = await fill(source)
    reported: list[tuple[str, int]] = []

    copied = await copy_store(source, pg_url, force=False, progress=lambda *p: reported.append(p))

    source_rows = await rows_of(source)
    assert copied == {t: len(rows) for t, rows in source_rows.items()}
    assert reported == list(copied.items())
    assert list(copied).index("campaigns") < list(copied).index("answers")
    # Every table holds rows (a table a migration adds needs some in `fill`), so every table's
    # copy is checked.
    assert sum(copied.values()) > 30 and all(copied.values())
    assert await rows_of(pg_url) == source_rows
    seen = await seen_through_the_store(source, ids)
    assert await seen_through_the_store(pg_url, ids) == seen
    assert seen["answers"][1][0].text == "Omdat het moet.\nEcht."

    assert await copy_store(pg_url, back, force=False) == copied
    assert await rows_of(back) == source_rows
    assert await seen_through_the_store(back, ids) == seen

    work = await claimed_work(source)
    assert work[0] and work[1] and work[2] == BUDGET
    assert await claimed_work(pg_url) == work
    assert await claimed_work(back) == work
    # New campaigns continue after the copied ones, on both kinds of target.
    assert await next_campaign_id(pg_url) == max(ids) + 1
    assert await next_campaign_id(back) == max(ids) + 1


@pytest.mark.parametrize("backend", list(BACKENDS))
async def test_a_non_empty_target_is_refused_unless_forced(tmp_path: Path, backend: str) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    ids = await fill(source)
    async with BACKENDS[backend](tmp_path) as target:
        for _ in range(4):  # more campaigns than the source has, with higher ids
            await next_campaign_id(target)
        before = await rows_of(target)

        with pytest.raises(CopyError) as refused:
            await copy_store(source, target, force=False)
        assert not isinstance(refused.value, CopyFailed)
        assert str(refused.value).endswith(
            "is not empty (campaigns holds 4 rows); add --force to replace its contents"
        )
        assert await rows_of(target) == before

        await copy_store(source, target, force=True)
        assert await rows_of(target) == await rows_of(source)
        assert await next_campaign_id(target) == max(ids) + 1


async def test_a_failed_copy_leaves_the_target_as_it_was(tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    await fill(source)
    await next_campaign_id(pg_url)
    before = await rows_of(pg_url)
    # SQLite keeps what PostgreSQL's BIGINT column refuses. By the time jobs are copied,
    # --force has emptied the target and campaigns are in: the rollback must undo both.
    with closing(sqlite3.connect(tmp_path / "source.db")) as db, db:
        db.execute("UPDATE jobs SET campaign_id = 'not a number' WHERE kind = 'digest'")

    with pytest.raises(CopyFailed, match="failed at table jobs and was rolled back") as failed:
        await copy_store(source, pg_url, force=True)
    assert "\n" not in str(failed.value) and "integer" in str(failed.value)
    assert await rows_of(pg_url) == before


async def test_counts_that_differ_roll_the_copy_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = (f"sqlite:///{tmp_path / name}" for name in ("source.db", "target.db"))
    await fill(source)
    await next_campaign_id(target)
    before = await rows_of(target)
    insert = _SqliteTables.insert

    async def lossy(self: _SqliteTables, table: str, columns: Any, rows: Any) -> None:
        await insert(self, table, columns, rows[:-1] if table == "answers" else rows)

    monkeypatch.setattr(_SqliteTables, "insert", lossy)
    with pytest.raises(CopyFailed) as failed:
        await copy_store(source, target, force=True)
    assert "verification failed" in str(failed.value)
    assert "answers has 3 rows in the source, 3 were read and 2 are in the target" in str(
        failed.value
    )
    assert await rows_of(target) == before


async def test_refusals_before_anything_changes(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    await fill(source)
    cases = {
        f"sqlite:///{tmp_path / 'source.db'}": "the same database",
        f"sqlite:///{tmp_path / 'x' / '..' / 'source.db'}": "the same database",
        "sqlite:///:memory:": "in-memory database",
    }
    for target, message in cases.items():
        with pytest.raises(CopyError, match=message):
            await copy_store(source, target, force=True)
    with pytest.raises(CopyError, match="does not exist"):
        await copy_store(f"sqlite:///{tmp_path / 'typo.db'}", source, force=True)
    assert not (tmp_path / "typo.db").exists()

    other = tmp_path / "other.db"
    await (await open_store(f"sqlite:///{other}")).close()
    with closing(sqlite3.connect(other)) as db, db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("ALTER TABLE persons ADD COLUMN nickname TEXT")
    with pytest.raises(CopyError, match=r"different tables \(only in the target: notes\)"):
        await copy_store(source, f"sqlite:///{other}", force=True)
    with closing(sqlite3.connect(other)) as db, db:
        db.execute("DROP TABLE notes")
    with pytest.raises(CopyError, match=r"persons has different col.*only in the target: nick"):
        await copy_store(source, f"sqlite:///{other}", force=True)


async def test_the_same_postgresql_schema_is_recognised_however_it_is_spelled(
    pg_url: str,
) -> None:
    await fill(pg_url)
    parts = urlsplit(pg_url)
    spelled = urlunsplit(parts._replace(netloc=parts.netloc.replace("127.0.0.1", "localhost")))
    assert spelled != pg_url
    with pytest.raises(CopyError, match="the same database"):
        await copy_store(pg_url, spelled, force=True)


# The command line


def test_the_command_copies_refuses_and_forces(tmp_path: Path) -> None:
    assert run(["demo", "--out", "demo", "--lang", "en"], tmp_path).returncode == 0
    source = "sqlite:///demo/imvo-demo.db"
    args = ["db", "copy", "--from", source, "--to", "sqlite:///copy.db"]

    copied = run(args, tmp_path)
    assert copied.returncode == 0, copied.stderr
    lines = copied.stdout.splitlines()
    assert "campaigns: 1 row" in lines and "send_budgets: 0 rows" in lines
    assert lines[-1].startswith("Copied ") and lines[-1].endswith(
        f"rows in {len(lines) - 1} tables from {source} to sqlite:///copy.db; counts verified."
    )

    refused = run(args, tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        "imvo-bot db copy: the target sqlite:///copy.db is not empty (campaigns holds 1 row);"
        " add --force to replace its contents\n"
    )
    forced = run([*args, "--force"], tmp_path)
    assert forced.returncode == 0 and forced.stdout == copied.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["db", "copy", "--from", "sqlite:///a.db"], "the following arguments are required: --to"),
        (["db", "copy", "--from", "sqlite:///a.db", "--to", "sqlite:///b.db"], "does not exist"),
        (["db", "copy", "--from", "mysql://x", "--to", "sqlite:///b.db"], "unsupported"),
        (["db", "move"], "invalid choice: 'move'"),
    ],
)
def test_wrong_arguments_give_one_line_and_exit_2(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_help_explains_the_command(tmp_path: Path) -> None:
    result = run(["db", "copy", "--help"], tmp_path)
    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    assert "usage: imvo-bot db copy [-h] --from URL --to URL [--force]" in out
    assert "the source too" in out and "Exit codes: 0" in out
    assert run(["db", "--help"], tmp_path).returncode == 0


async def test_a_password_is_never_printed(tmp_path: Path, pg_url: str) -> None:
    parts = urlsplit(pg_url)
    # The test server trusts local connections and ignores a password it is not asked for.
    password = parts.password or "s3cret-pw"
    user = parts.username or "postgres"
    with_password = urlunsplit(
        parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 5432}")
    )
    await fill(f"sqlite:///{tmp_path / 'imvo.db'}")
    copy = ["db", "copy", "--from", "sqlite:///imvo.db", "--to"]

    bad = run(["db", "copy", "--from", "imvo.db", "--to", with_password], tmp_path)
    assert bad.returncode == 2 and "not a database URL" in bad.stderr
    copied = run([*copy, with_password], tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert f"to postgresql://{user}@{parts.hostname}" in copied.stdout
    refused = run([*copy, with_password], tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    nobody = urlunsplit(parts._replace(netloc=f"{user}:{password}@127.0.0.1:1"))
    unreachable = run([*copy, nobody], tmp_path)
    assert unreachable.returncode == 2

    with closing(sqlite3.connect(tmp_path / "imvo.db")) as db, db:
        db.execute("UPDATE jobs SET campaign_id = 'x' WHERE kind = 'digest'")
    failed = run([*copy, with_password, "--force"], tmp_path)
    assert failed.returncode == 1 and "rolled back" in failed.stderr

    for result in (bad, copied, refused, unreachable, failed):
        assert len(result.stderr.strip().splitlines()) == (result.returncode != 0)
        assert password not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
