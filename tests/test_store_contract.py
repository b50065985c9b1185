"""The storage contract: one suite that every `bot.core.ports.Store` must pass.

The `store_url` and `store` fixtures (tests/conftest.py) run each test once per backend in
`tests.stores.BACKENDS`: a fresh, empty store per test; tests open (and reopen) stores with
`open_store`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.domain import (
    Answer,
    CampaignState,
    ConversationState,
    Delivery,
    DigestSnapshot,
    DraftFile,
    DraftVersion,
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
    ThemeOwner,
)
from bot.core.ports import Store
from bot.core.turns import Effects, EventKey, Turn
from storage import StoreConfigError, open_store, sqlite_path, sqlite_schema
from storage.files import DirectoryDraftSink
from storage.sql import Count, Plan
from storage.sqlite import SqliteStore
from tests.campaigns import ANN, BOB, LEAD, T0, campaign_at_version, create_campaign
from tests.stores import opened

CEES = PersonKey("slack", "T1", "U3")


async def new_campaign(store: Store, *, platform: str = "slack", tenant: str = "T1") -> int:
    campaign = await create_campaign(
        store, [ANN, BOB], platform=platform, tenant=tenant, deadline=date(2024, 5, 15)
    )
    return campaign.id


def answer(
    campaign_id: int, person: PersonKey, question: str, *choices: str, text: str | None = None
) -> Answer:
    return Answer(campaign_id, person, question, choices=choices, text=text, answered_at=T0)


# people and roles


async def test_upsert_person_keeps_known_fields_when_the_new_value_is_empty(store: Store) -> None:
    first = Person(
        ANN, "Ann de Vries", language="nl", time_zone="Europe/Amsterdam", discipline="HR"
    )
    assert await store.upsert_person(first) == first

    merged = await store.upsert_person(Person(ANN, "", language="en"))

    assert merged == Person(ANN, "Ann de Vries", "en", "Europe/Amsterdam", "HR")
    assert await store.get_person(ANN) == merged
    assert await store.get_person(BOB) is None


async def test_people_of_one_tenant_ordered_by_name_then_id(store: Store) -> None:
    await store.upsert_person(Person(ANN, "Zoë"))
    await store.upsert_person(Person(CEES, "Bram"))
    await store.upsert_person(Person(BOB, "Bram"))
    await store.upsert_person(Person(PersonKey("slack", "T2", "U9"), "Other tenant"))
    await store.upsert_person(Person(PersonKey("teams", "T1", "U1"), "Other platform"))

    people = await store.people("slack", "T1")

    assert [(p.display_name, p.key) for p in people] == [
        ("Bram", BOB),
        ("Bram", CEES),
        ("Zoë", ANN),
    ]


async def test_roles_grant_revoke_and_list(store: Store) -> None:
    assert await store.roles() == []
    assert await store.set_role(BOB, Role.MANAGER, True) is True
    assert await store.set_role(ANN, Role.CSR_LEAD, True) is True
    assert await store.set_role(ANN, Role.CSR_LEAD, True) is False
    assert await store.set_role(ANN, Role.MANAGER, True) is True

    assert await store.roles() == [
        (ANN, Role.CSR_LEAD),
        (ANN, Role.MANAGER),
        (BOB, Role.MANAGER),
    ]

    assert await store.set_role(ANN, Role.CSR_LEAD, False) is True
    assert await store.set_role(ANN, Role.CSR_LEAD, False) is False
    assert await store.set_role(CEES, Role.MANAGER, False) is False
    assert await store.roles() == [(ANN, Role.MANAGER), (BOB, Role.MANAGER)]


async def test_employee_role_is_implicit(store: Store) -> None:
    assert await store.set_role(ANN, Role.EMPLOYEE, True) is False
    assert await store.roles() == []


# campaigns


async def test_campaign_create_get_running_latest_and_close(store: Store) -> None:
    assert await store.latest_campaign() is None
    assert await store.running_campaign("slack", "T1") is None

    first = await store.create_campaign(
        platform="slack",
        tenant="T1",
        started_by=LEAD,
        started_at=T0,
        language="nl",
        deadline=date(2024, 5, 15),
        audience=[ANN, BOB],
    )
    assert first.running and first.state is CampaignState.RUNNING
    assert (first.started_by, first.started_at, first.language) == (LEAD, T0, "nl")
    assert first.deadline == date(2024, 5, 15) and first.closed_at is None
    assert await store.get_campaign(first.id) == first
    assert await store.get_campaign(first.id + 1000) is None
    assert await store.running_campaign("slack", "T1") == first
    assert await store.running_campaign("slack", "T2") is None

    other = await store.create_campaign(
        platform="teams",
        tenant="X",
        started_by=PersonKey("teams", "X", "aad-1"),
        started_at=T0 + timedelta(days=1),
        language="en",
        deadline=None,
        audience=[],
    )
    assert other.id > first.id and other.deadline is None
    assert await store.latest_campaign() == other

    closed_at = T0 + timedelta(days=2)
    assert await store.close_campaign(first.id, closed_at) is True
    assert await store.close_campaign(first.id, closed_at + timedelta(hours=1)) is False
    reread = await store.get_campaign(first.id)
    assert reread is not None and not reread.running and reread.closed_at == closed_at
    assert await store.running_campaign("slack", "T1") is None
    assert await store.running_campaign("teams", "X") == other


async def test_running_campaign_is_the_newest_running_one(store: Store) -> None:
    await new_campaign(store)
    newest = await new_campaign(store)
    running = await store.running_campaign("slack", "T1")
    assert running is not None and running.id == newest


async def test_participants_and_delivery(store: Store) -> None:
    cid = await new_campaign(store)

    people = await store.participants(cid)
    assert [p.person for p in people] == [ANN, BOB]
    assert all(p.invited_at == T0 and not p.delivered and p.finished_at is None for p in people)

    await store.mark_delivery(cid, ANN, Delivery(ok=True))
    await store.mark_delivery(cid, BOB, Delivery(ok=False, error="channel_not_found"))
    by_person = {p.person: p for p in await store.participants(cid)}
    assert by_person[ANN].delivered and by_person[ANN].delivery_error is None
    assert not by_person[BOB].delivered and by_person[BOB].delivery_error == "channel_not_found"

    # a retry that succeeds clears the error
    await store.mark_delivery(cid, BOB, Delivery(ok=True))
    bob = await store.participation(cid, BOB)
    assert bob is not None and bob.delivered and bob.delivery_error is None
    assert await store.participation(cid, CEES) is None
    assert await store.participants(cid + 1000) == []


# conversation turns


async def test_commit_turn_applies_everything(store: Store) -> None:
    cid = await new_campaign(store)
    later = T0 + timedelta(minutes=5)
    state = ConversationState(ANN, cid, step=2, phase=Phase.WHY, updated_at=later)
    turn = Turn(
        EventKey("slack", "Ev1"),
        Effects(
            state=state,
            answers=(answer(cid, ANN, "q1", "a", "b"), answer(cid, ANN, "q2", text="Omdat")),
            person=Person(ANN, "Ann", language="nl"),
        ),
        at=later,
    )

    assert await store.seen("slack", "Ev1") is False
    assert await store.commit_turn(turn) is not None

    assert await store.seen("slack", "Ev1") is True
    assert await store.seen("teams", "Ev1") is False
    assert await store.load_state(ANN) == state
    assert await store.load_state(BOB) is None
    assert await store.answers_of(cid, ANN) == list(turn.effects.answers)
    assert await store.get_person(ANN) == Person(ANN, "Ann", language="nl")


async def test_a_repeated_event_changes_nothing(store: Store) -> None:
    cid = await new_campaign(store)
    event = EventKey("slack", "Ev1")
    first = Turn(
        event,
        Effects(
            state=ConversationState(ANN, cid, step=1, phase=Phase.ASKING, updated_at=T0),
            answers=(answer(cid, ANN, "q1", "a"),),
        ),
        at=T0,
    )
    assert await store.commit_turn(first) is not None

    redelivered = Turn(
        event,
        Effects(
            state=ConversationState(ANN, cid, step=5, phase=Phase.DONE, updated_at=T0),
            answers=(answer(cid, ANN, "q1", "z"), answer(cid, ANN, "q9", "x")),
            person=Person(ANN, "Someone else"),
            finished=(cid, ANN),
        ),
        at=T0 + timedelta(hours=1),
    )
    assert await store.commit_turn(redelivered) is None

    assert await store.load_state(ANN) == first.effects.state
    assert await store.answers(cid) == list(first.effects.answers)
    assert await store.get_person(ANN) is None
    ann = await store.participation(cid, ANN)
    assert ann is not None and ann.finished_at is None


async def test_concurrent_redeliveries_apply_once(store: Store) -> None:
    cid = await new_campaign(store)
    turns = [
        Turn(EventKey("slack", "Ev1"), Effects(answers=(answer(cid, ANN, "q1", str(i)),)), at=T0)
        for i in range(10)
    ]
    results = await asyncio.gather(*(store.commit_turn(t) for t in turns))
    assert sorted(r is not None for r in results) == [False] * 9 + [True]
    assert len(await store.answers(cid)) == 1


async def test_a_turn_without_event_always_applies(store: Store) -> None:
    cid = await new_campaign(store)
    for step in (1, 2):
        state = ConversationState(BOB, cid, step=step, phase=Phase.ASKING, updated_at=T0)
        assert await store.commit_turn(Turn(None, Effects(state=state), at=T0)) is not None
        assert await store.load_state(BOB) == state


async def test_a_new_answer_replaces_the_earlier_one(store: Store) -> None:
    cid = await new_campaign(store)
    await store.commit_turn(Turn(None, Effects(answers=(answer(cid, ANN, "q1", "a"),))))
    replacement = Answer(cid, ANN, "q1", text="Liever niet", skipped=True, answered_at=T0)
    await store.commit_turn(Turn(None, Effects(answers=(replacement,))))

    assert await store.answers_of(cid, ANN) == [replacement]
    assert not (await store.answers_of(cid, ANN))[0].has_content


async def test_answers_of_one_person_and_campaign_order(store: Store) -> None:
    cid = await new_campaign(store)
    other = await new_campaign(store)
    bob_early = Answer(cid, BOB, "q1", choices=("x",), answered_at=T0)
    ann_late = Answer(cid, ANN, "q1", choices=("y",), answered_at=T0 + timedelta(seconds=1))
    ann_early = Answer(cid, ANN, "q2", text="vroeg", answered_at=T0)
    elsewhere = Answer(other, ANN, "q1", choices=("z",), answered_at=T0)
    await store.commit_turn(
        Turn(None, Effects(answers=(ann_late, bob_early, ann_early, elsewhere)))
    )

    assert await store.answers(cid) == [ann_early, bob_early, ann_late]
    assert await store.answers_of(cid, ANN) == [ann_early, ann_late]
    assert await store.answers_of(other, ANN) == [elsewhere]
    assert await store.answers_of(cid, CEES) == []


async def test_finishing_marks_the_participant(store: Store) -> None:
    cid = await new_campaign(store)
    done = T0 + timedelta(hours=3)
    turn = Turn(EventKey("slack", "Ev9"), Effects(finished=(cid, ANN)), at=done)
    assert await store.commit_turn(turn) is not None

    by_person = {p.person: p for p in await store.participants(cid)}
    assert by_person[ANN].finished_at == done
    assert by_person[BOB].finished_at is None


# theme owners


async def test_theme_owners_are_set_replaced_and_ordered(store: Store) -> None:
    assert await store.theme_owners() == []
    water = ThemeOwner("water-chemicals-energy", ANN, OwnerState.PROPOSED, T0, "Ann")
    child = ThemeOwner("child-labour", BOB, OwnerState.ACCEPTED, T0, "Bob")
    await store.set_theme_owner(water)
    await store.set_theme_owner(child)
    assert await store.theme_owners() == [child, water]

    taken_over = ThemeOwner("water-chemicals-energy", CEES, OwnerState.ACCEPTED, T0, "Cees")
    await store.set_theme_owner(taken_over)
    assert await store.theme_owners() == [child, taken_over]


# durability and values


async def test_migrate_twice_is_harmless(store: Store) -> None:
    await store.upsert_person(Person(ANN, "Ann"))
    await store.migrate()
    await store.migrate()
    assert await store.get_person(ANN) == Person(ANN, "Ann")


async def test_data_survives_close_and_reopen(store_url: str) -> None:
    first = await open_store(store_url)
    cid = await new_campaign(first)
    await first.set_role(ANN, Role.CSR_LEAD, True)
    await first.commit_turn(
        Turn(EventKey("slack", "Ev1"), Effects(answers=(answer(cid, ANN, "q1", "a"),)), at=T0)
    )
    await first.close()

    again = await open_store(store_url)
    try:
        assert (await again.get_campaign(cid)) is not None
        assert await again.roles() == [(ANN, Role.CSR_LEAD)]
        assert await again.seen("slack", "Ev1")
        assert await again.answers(cid) == [answer(cid, ANN, "q1", "a")]
    finally:
        await again.close()


async def test_datetimes_come_back_aware_and_equal(store: Store) -> None:
    amsterdam = timezone(timedelta(hours=2))
    local = datetime(2024, 5, 1, 11, 30, 15, 123456, tzinfo=amsterdam)
    campaign = await create_campaign(store, [ANN], started_at=local)
    state = ConversationState(ANN, campaign.id, step=0, phase=Phase.ASKING, updated_at=local)
    await store.commit_turn(
        Turn(
            None, Effects(state=state, answers=(Answer(campaign.id, ANN, "q1", answered_at=local),))
        )
    )
    await store.set_theme_owner(ThemeOwner("child-labour", ANN, OwnerState.PROPOSED, local))

    reread = await store.get_campaign(campaign.id)
    loaded = await store.load_state(ANN)
    stored_answer = (await store.answers(campaign.id))[0]
    owner = (await store.theme_owners())[0]
    values = [
        reread.started_at if reread else None,
        loaded.updated_at if loaded else None,
        stored_answer.answered_at,
        owner.since,
    ]
    for value in values:
        assert value == local
        assert value is not None and value.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.close_campaign(1, datetime(2024, 5, 1, 9, 0))


# SQLite specifics


async def test_sqlite_uses_wal_and_a_failed_turn_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    store = await open_store(f"sqlite:///{path}")
    try:
        broken = Turn(
            EventKey("slack", "Ev1"),
            Effects(
                state=ConversationState(ANN, None, step=3, phase=Phase.ASKING, updated_at=T0),
                answers=(answer(999, ANN, "q1", "a"),),  # foreign key: campaign 999 does not exist
            ),
        )
        with pytest.raises(sqlite3.IntegrityError):
            await store.commit_turn(broken)
        # nothing of the turn was kept, so a redelivery of the event can still apply it
        assert not await store.seen("slack", "Ev1")
        assert await store.load_state(ANN) is None
    finally:
        await store.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_sqlite_reopen_applies_only_newer_steps_and_refuses_a_newer_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    await (await open_store(url)).close()

    newer = [*sqlite_schema.MIGRATIONS, ["CREATE TABLE extra (id INTEGER PRIMARY KEY)"]]
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", newer)
    store = await open_store(url)
    await store.migrate()
    await store.close()

    with closing(sqlite3.connect(tmp_path / "m.db")) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_version ORDER BY 1")]
        assert db.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
    assert versions == list(range(1, len(newer) + 1))

    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", newer[:1])
    store = await SqliteStore.open(str(tmp_path / "m.db"))
    try:
        with pytest.raises(sqlite_schema.SchemaVersionError):
            await store.migrate()
    finally:
        await store.close()
    with pytest.raises(StoreConfigError, match="newer"):
        await open_store(url)


async def test_sqlite_in_memory_store() -> None:
    store = await open_store("sqlite:///:memory:")
    try:
        await store.upsert_person(Person(ANN, "Ann"))
        assert [p.key for p in await store.people("slack", "T1")] == [ANN]
    finally:
        await store.close()
    assert isinstance(store, SqliteStore)


# database URLs


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///imvo.db", "imvo.db"),
        ("sqlite:///data/imvo.db", "data/imvo.db"),
        ("sqlite:////var/lib/imvo/imvo.db", "/var/lib/imvo/imvo.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("SQLITE:///my%20bot.db", "my bot.db"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert sqlite_path(url) == path


async def test_open_store_creates_folders_for_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_store("sqlite:///nested/dir/imvo.db")
    await store.close()
    assert (tmp_path / "nested" / "dir" / "imvo.db").is_file()


async def test_an_unreachable_postgresql_is_refused_in_one_line_without_the_password() -> None:
    with pytest.raises(StoreConfigError, match="cannot open the PostgreSQL database") as caught:
        await open_store("postgresql://imvo:secret@127.0.0.1:1/imvo")
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["mysql://root:secret@db/imvo", "imvo.db", "sqlite://", "sqlite:///", ""]
)
async def test_other_urls_are_refused_in_one_line(url: str) -> None:
    with pytest.raises(StoreConfigError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "sqlite:///" in message and "secret" not in message
    assert isinstance(caught.value, ValueError)


# draft folder


async def test_draft_sink_writes_files_per_campaign(tmp_path: Path) -> None:
    sink = DirectoryDraftSink(tmp_path / "drafts")
    files = [
        DraftFile("imvo-beleid.md", "text/markdown", b"# Beleid\n"),
        DraftFile("imvo-beleid.docx", "application/octet-stream", b"PK\x03\x04"),
    ]

    paths = await sink.save(7, files)

    folder = (tmp_path / "drafts" / "campaign-7").resolve()
    assert paths == (str(folder / "imvo-beleid.md"), str(folder / "imvo-beleid.docx"))
    assert all(Path(p).is_absolute() for p in paths)
    assert Path(paths[0]).read_bytes() == b"# Beleid\n"

    # saving again replaces the files and leaves no temporary files behind
    await sink.save(7, [DraftFile("imvo-beleid.md", "text/markdown", b"v2")])
    assert Path(paths[0]).read_bytes() == b"v2"
    assert sorted(p.name for p in folder.iterdir()) == ["imvo-beleid.docx", "imvo-beleid.md"]


@pytest.mark.parametrize("name", ["../escape.md", "sub/file.md", "a\\b.md", ".hidden", ""])
async def test_draft_sink_refuses_unsafe_names(tmp_path: Path, name: str) -> None:
    sink = DirectoryDraftSink(tmp_path)
    with pytest.raises(ValueError):
        await sink.save(1, [DraftFile("ok.md", "text/markdown", b"x"), DraftFile(name, "x", b"")])
    assert list(tmp_path.iterdir()) == []


async def test_offered_follow_ups_are_kept_with_the_state(store: Store) -> None:
    campaign_id = await new_campaign(store)
    state = ConversationState(ANN, campaign_id, 4, Phase.ASKING, T0, frozenset({"legislation"}))
    assert await store.commit_turn(Turn(None, Effects(state=state), at=T0))
    assert await store.load_state(ANN) == state


async def test_sqlite_upgrade_from_version_1_keeps_conversations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    campaign_id = (await campaign_at_version(url, 1, [ANN, BOB])).id
    with closing(sqlite3.connect(tmp_path / "v1.db")) as db, db:
        db.execute(
            "INSERT INTO conversation_state (platform, tenant, user_id, campaign_id, step, phase,"
            " updated_at) VALUES ('slack', 'T1', 'U1', ?, 3, 'why', ?)",
            (campaign_id, T0.isoformat()),
        )
    async with opened(url) as store:
        state = await store.load_state(ANN)
    assert state == ConversationState(ANN, campaign_id, 3, Phase.WHY, T0, frozenset())


async def test_what_waits_for_a_reply_is_kept_with_the_state(store: Store) -> None:
    campaign_id = await new_campaign(store)
    asked = T0 + timedelta(minutes=3, microseconds=17)
    state = ConversationState(
        ANN, campaign_id, 4, Phase.ASKING, T0, frozenset({"legislation"}), asked, "legislation"
    )
    assert await store.commit_turn(Turn(None, Effects(state=state), at=T0))
    assert await store.load_state(ANN) == state
    assert (await store.person_view(ANN, campaign_id, None, False)).state == state

    answered = replace(state, forget_asked=None, offer=None)
    assert await store.commit_turn(Turn(None, Effects(state=answered), at=T0))
    assert await store.load_state(ANN) == answered


# The conversation state as version 14 kept it: forget-me's question and an offer as marks among
# the follow-ups shown.
V14_OFFERED = '["legislation", "~forget:2024-05-01T09:05:00.000123+00:00", "~offer:resistance"]'


async def test_sqlite_upgrade_to_version_15_moves_the_marks_into_their_columns(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'v14.db'}"
    campaign_id = (await campaign_at_version(url, 14, [ANN, BOB])).id
    with closing(sqlite3.connect(tmp_path / "v14.db")) as db, db:
        db.executemany(
            "INSERT INTO conversation_state (platform, tenant, user_id, campaign_id, step, phase,"
            " updated_at, offered) VALUES ('slack', 'T1', ?, ?, 3, 'asking', ?, ?)",
            [
                ("U1", campaign_id, T0.isoformat(), V14_OFFERED),
                ("U2", campaign_id, T0.isoformat(), '["resistance", "~forget:not a time"]'),
            ],
        )
    async with opened(url) as store:
        ann = await store.load_state(ANN)
        ann_view = (await store.person_view(ANN, campaign_id, None, False)).state
        bob = await store.load_state(BOB)
    asked = datetime(2024, 5, 1, 9, 5, 0, 123, tzinfo=UTC)
    expected = ConversationState(
        ANN, campaign_id, 3, Phase.ASKING, T0, frozenset({"legislation"}), asked, "resistance"
    )
    assert ann == ann_view == expected
    assert bob == ConversationState(
        BOB, campaign_id, 3, Phase.ASKING, T0, frozenset({"resistance"})
    )


async def _ann_with_everything(store: Store) -> int:
    campaign_id = await new_campaign(store)
    await store.upsert_person(Person(ANN, "Ann", "nl", "Europe/Amsterdam", "sales"))
    await store.set_role(ANN, Role.MANAGER, True)
    await store.set_theme_owner(ThemeOwner("living-wage", ANN, OwnerState.ACCEPTED, T0, "Ann"))
    answers = (
        Answer(campaign_id, ANN, "mission", (), "Fair clothes.", False, T0),
        Answer(campaign_id, BOB, "mission", (), "Bob's view.", False, T0),
    )
    state = ConversationState(ANN, campaign_id, 2, Phase.ASKING, T0)
    assert await store.commit_turn(Turn(None, Effects(state=state, answers=answers), at=T0))
    return campaign_id


async def test_person_data_holds_everything_about_one_person(store: Store) -> None:
    campaign_id = await _ann_with_everything(store)
    data = await store.person_data(ANN)
    assert data.person is not None and data.person.display_name == "Ann"
    assert data.roles == (Role.MANAGER,)
    assert [p.campaign_id for p in data.participations] == [campaign_id]
    assert [a.text for a in data.answers] == ["Fair clothes."]
    assert data.state is not None and data.state.step == 2
    assert [o.theme for o in data.ownerships] == ["living-wage"]


async def test_erase_person_removes_only_that_person(store: Store) -> None:
    campaign_id = await _ann_with_everything(store)
    erased = await store.erase_person(ANN)
    assert (erased.answers, erased.roles, erased.ownerships) == (1, 1, 1)
    assert (erased.participations, erased.state, erased.profile) == (1, 1, 1)
    data = await store.person_data(ANN)
    assert data.person is None and not data.answers and not data.roles and data.state is None
    assert not data.participations and not data.ownerships
    assert [a.text for a in await store.answers(campaign_id)] == ["Bob's view."]
    assert [p.person for p in await store.participants(campaign_id)] == [BOB]
    assert (await store.erase_person(ANN)).total == 0


async def test_erasing_a_person_drops_their_pending_jobs(store: Store) -> None:
    await store.schedule([Job("reminder:1:ann:1", JobKind.REMINDER, T0, ANN, None)])
    await store.schedule([Job("reminder:1:bob:1", JobKind.REMINDER, T0, BOB, None)])
    await store.erase_person(ANN)
    assert [j.person for j in await store.claim_jobs(T0, T0, "r1", 10)] == [BOB]


async def test_find_keys_across_tenants(store: Store) -> None:
    await _ann_with_everything(store)
    await store.upsert_person(Person(PersonKey("slack", "T2", "U1"), "Ann elsewhere"))
    assert await store.find_keys("slack", "U1") == [ANN, PersonKey("slack", "T2", "U1")]
    assert await store.find_keys("teams", "U1") == []


async def test_owner_invitations_answers_and_removal(store: Store) -> None:
    invited = ThemeOwner("child-labour", BOB, OwnerState.PROPOSED, T0, "Bob", invited_by=LEAD)
    await store.set_theme_owner(invited)
    assert await store.theme_owners() == [invited]
    answers = (
        OwnerAnswer("child-labour", BOB, "practice", "We check ages.", False, T0),
        OwnerAnswer("child-labour", BOB, "risk", None, True, T0),
    )
    assert await store.commit_turn(Turn(None, Effects(owner_answers=answers), at=T0))
    again = OwnerAnswer("child-labour", BOB, "practice", "We check ages twice.", False, T0)
    assert await store.commit_turn(Turn(None, Effects(owner_answers=(again,)), at=T0))
    assert [a.text for a in await store.owner_answers()] == ["We check ages twice.", None]
    assert await store.owner_answers(ANN) == []
    assert len((await store.person_data(BOB)).owner_answers) == 2
    assert await store.remove_theme_owner("child-labour")
    assert not await store.remove_theme_owner("child-labour")
    assert await store.theme_owners() == []
    assert (await store.erase_person(BOB)).answers == 2
    assert await store.owner_answers() == []


async def test_jobs_are_scheduled_once_run_once_and_can_move(store: Store) -> None:
    first = Job("reminder:1:U1:1", JobKind.REMINDER, T0 + timedelta(hours=2), ANN, 1)
    later = Job("digest:U0:2024-05-06", JobKind.DIGEST, T0 + timedelta(days=5), LEAD, 1)
    lease = timedelta(minutes=1)

    async def claim(at: datetime, owner: str = "r1") -> list[Job]:
        return await store.claim_jobs(at, at + lease, owner, 10)

    assert await store.schedule([first, later]) == 2
    assert await store.schedule([replace(first, run_at=T0)]) == 0  # the same reason: ignored
    assert await claim(T0 + timedelta(hours=1)) == []
    assert await claim(T0 + timedelta(hours=2)) == [first]
    await store.reschedule_job(first.key, T0 + timedelta(days=1))  # also releases the claim
    assert await claim(T0 + timedelta(hours=3)) == []
    due = await claim(T0 + timedelta(days=6))
    assert [j.key for j in due] == [first.key, later.key]
    assert await store.finish_job(first.key, "sent", T0, "r1")
    assert not await store.finish_job(first.key, "sent", T0, "r1")  # done already
    assert not await store.finish_job(later.key, "sent", T0, "r2")  # r1 holds it
    assert await claim(T0 + timedelta(days=6), "r2") == []  # r1's lease still runs


async def raw_execute(store: Store, statement: str) -> None:
    """Runs one statement as the store runs its own plans (to plant a row no method writes)."""

    def plan() -> Plan[int]:
        changed = yield Count(statement)
        return int(changed)

    await store._apply(plan())  # type: ignore[attr-defined]


def digest(responded: int) -> DigestSnapshot:
    return DigestSnapshot(T0, invited=5, responded=responded, finished=1, owners_accepted=0)


async def test_the_last_digest_per_campaign_and_recipient(store: Store) -> None:
    campaign_id = await new_campaign(store)
    assert await store.last_digest(campaign_id, "slack:U0") is None
    await store.record_digest(campaign_id, "slack:U0", T0, digest(1))
    await store.record_digest(campaign_id, "slack:U0", T0, digest(2))
    await store.record_digest(campaign_id, "", T0, digest(3))
    assert await store.last_digest(campaign_id, "slack:U0") == digest(2)
    assert await store.last_digest(campaign_id, "") == digest(3)


async def test_an_unreadable_digest_snapshot_reads_as_none(store: Store) -> None:
    """A snapshot written by an older version that can no longer be read costs only the
    digest's "what changed" line, never the digest."""
    campaign_id = await new_campaign(store)
    await store.record_digest(campaign_id, "slack:U0", T0, digest(1))
    await store.record_digest(campaign_id, "slack:U1", T0, digest(1))
    statement = "UPDATE digests SET snapshot = 'not json' WHERE recipient = 'slack:U0'"
    await raw_execute(store, statement)
    assert await store.last_digest(campaign_id, "slack:U0") is None
    assert await store.last_digest(campaign_id, "slack:U1") == digest(1)


async def test_addresses_are_kept_replaced_and_erased(store: Store) -> None:
    assert await store.address(ANN) is None
    await store.save_address(ANN, '{"conversation": {"id": "a"}}')
    await store.save_address(ANN, '{"conversation": {"id": "b"}}')
    assert await store.address(ANN) == '{"conversation": {"id": "b"}}'
    await store.erase_person(ANN)
    assert await store.address(ANN) is None


async def test_prune_forgets_only_what_is_past_retention(store: Store) -> None:
    old, recent = T0, T0 + timedelta(days=40)
    cutoff = T0 + timedelta(days=10)
    for n in range(7):
        await store.commit_turn(Turn(EventKey("slack", f"old{n}"), at=old))
    await store.commit_turn(Turn(EventKey("slack", "new"), at=recent))
    # Two jobs done long ago, one done recently, one still pending.
    jobs = [Job(f"j{n}", JobKind.REMINDER, old, ANN, 1) for n in range(4)]
    await store.schedule(jobs)
    claimed = await store.claim_jobs(old, old + timedelta(minutes=1), "me", 10)
    assert len(claimed) == 4
    for key, at in (("j0", old), ("j1", old), ("j2", recent)):
        assert await store.finish_job(key, "sent", at, "me")
    # A closed campaign's settled invitations go; a running campaign's stay.
    closed, running = await new_campaign(store), await new_campaign(store, tenant="T2")
    await store.enqueue([OutboxItem(f"i{closed}:{p}", closed, p, next_at=old) for p in (ANN, BOB)])
    await store.enqueue([OutboxItem(f"i{running}:{ANN}", running, ANN, next_at=old)])
    for item in await store.claim_outbox(old, old + timedelta(minutes=1), "me", 10):
        await store.settle_outbox(item.key, "me", OutboxState.SENT, None, None)
    await store.close_campaign(closed, old)

    first = await store.prune(cutoff, batch=5)  # batches: at most 5 of each kind at once
    assert first == {"events": 5, "jobs": 2, "sends": 2, "drafts": 0}
    assert await store.prune(cutoff, batch=5) == {"events": 2, "jobs": 0, "sends": 0, "drafts": 0}
    assert await store.prune(cutoff, batch=5) == {"events": 0, "jobs": 0, "sends": 0, "drafts": 0}
    assert await store.seen("slack", "new")
    assert not await store.seen("slack", "old0")
    assert await store.outbox_counts(running) == {"sent": 1}
    assert await store.outbox_counts(closed) == {}
    # The job done recently and the pending one are still there: a pending one can be claimed.
    await store.release_claims("me")
    assert [j.key for j in await store.claim_jobs(recent, recent, "you", 10)] == ["j3"]
    # A pruned event id is a new event again: its redelivery window is long over.
    assert await store.commit_turn(Turn(EventKey("slack", "old0"), at=recent)) is not None


async def test_drafts_are_kept_for_every_replica_until_retention(store: Store) -> None:
    campaign = await new_campaign(store)
    word = DraftFile("d.docx", "application/vnd.openxmlformats", bytes(range(256)) * 100)
    markdown = DraftFile("d.md", "text/markdown", "# Beleid ✓\n".encode())
    ids = await store.save_drafts(campaign, [word, markdown], T0)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert await store.draft_file(ids[0]) == word  # bytes come back exactly
    assert await store.draft_file(ids[1]) == markdown
    assert await store.draft_file(max(ids) + 100) is None
    later = await store.save_drafts(campaign, [markdown], T0 + timedelta(days=40))
    gone = await store.prune(T0 + timedelta(days=10), batch=100)
    assert gone["drafts"] == 2
    assert await store.draft_file(ids[0]) is None
    assert await store.draft_file(later[0]) == markdown


async def test_each_compile_is_the_next_version_of_its_campaigns_draft(store: Store) -> None:
    first, other = await new_campaign(store), await new_campaign(store, tenant="T2")
    assert await store.last_draft_version(first) is None
    assert await store.new_draft_version(first, T0, {"respondents": 1}) == 1
    assert await store.new_draft_version(first, T0, {"respondents": 3}, "f00d", 12) == 2
    assert await store.new_draft_version(other, T0, {}) == 1  # counted per campaign
    # Typed on the way out: the figures, and the Word file an approval is asked for.
    assert await store.last_draft_version(first) == DraftVersion(2, {"respondents": 3}, "f00d", 12)
    assert await store.last_draft_version(other) == DraftVersion(1, {})
