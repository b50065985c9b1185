"""Erasure that is complete: one list of every table naming a person (`storage/person_tables.py`)
drives both `erase_person` and the export, and a table added to the schema without being listed
fails here. Run on SQLite and PostgreSQL with an installation that has a row in every table."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.domain import PersonKey
from bot.flows.privacy import export_json
from storage import open_store
from storage.person_tables import KEY, NOT_PERSONAL, PERSON_TABLES
from tests.test_db_copy import EVERYONE, fill, rows_of

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# A column that names a person: a user id, or a recipient (`platform:user_id`).
NAMING = re.compile(r"(^|_)user_id$|^recipient$")


def schema(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")] for t in tables}


async def test_every_table_is_either_listed_as_personal_or_said_not_to_be(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'schema.db'}")
    await store.close()
    tables = schema(tmp_path / "schema.db")
    listed = {entry.table for entry in PERSON_TABLES}
    unclassified = set(tables) - listed - set(NOT_PERSONAL)
    assert not unclassified, (
        f"tables {sorted(unclassified)} are neither in PERSON_TABLES (erased and exported with a "
        "person) nor in NOT_PERSONAL (with the reason they hold no one): list them in "
        "storage/person_tables.py"
    )
    for table, columns in tables.items():
        naming = {c for c in columns if NAMING.search(c)}
        covered = {c for e in PERSON_TABLES if e.table == table for c in e.columns}
        assert naming <= covered, f"{table}.{sorted(naming - covered)} names a person"
    for entry in PERSON_TABLES:
        assert set(entry.columns) | set(entry.exported) <= set(tables[entry.table]), entry


def traces(rows: dict[str, list[tuple[Any, ...]]], key: PersonKey) -> list[str]:
    """Where `key` is still named: a value that is its user id, or ends in `:user_id`."""
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            for value in row:
                text = value if isinstance(value, str) else ""
                if text == key.user_id or text.endswith(f":{key.user_id}"):
                    found.append(f"{table}: {row}")
    return found


@pytest.mark.parametrize("who", range(len(EVERYONE)))
async def test_erasing_a_person_leaves_no_row_that_names_them(store_url: str, who: int) -> None:
    await fill(store_url)
    key = EVERYONE[who]
    others = [k for k in EVERYONE if k != key]
    before = await rows_of(store_url)
    assert traces(before, key), "the installation names everyone somewhere"
    store = await open_store(store_url)
    try:
        exported = json.loads(export_json(await store.person_data(key), NOW))
        erasure = await store.erase_person(key)
        assert erasure.total > 0
        assert (await store.person_data(key)).records == ()
    finally:
        await store.close()
    after = await rows_of(store_url)
    assert traces(after, key) == []
    # Everyone else's rows are untouched (but for rows that were the erased person's own, such
    # as an ownership they held by someone else's invitation), and shared rows stay.
    theirs = {t: [r for r in rows if not traces({t: [r]}, key)] for t, rows in before.items()}
    for other in others:
        assert len(traces(after, other)) >= len(traces(theirs, other)), other
    assert len(after["campaigns"]) == len(before["campaigns"])
    # The export named every table the erasure reached, beyond the typed fields.
    typed = {"persons", "roles", "participants", "answers", "conversation_state", "owner_answers"}
    reached = {t for t in before if traces({t: before[t]}, key)} - typed
    assert reached - {"theme_owners"} <= set(exported["other_records"]), reached


def test_find_keys_searches_every_table_keyed_by_a_person() -> None:
    keyed = {entry.table for entry in PERSON_TABLES if entry.columns == KEY}
    assert {"persons", "answers", "outbox", "jobs", "addresses"} <= keyed
