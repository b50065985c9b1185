"""Teams inbound as translation, on recorded activities (`tests/payloads/teams/`, sources in
`tests/payloads/README.md`): what `adapters.teams.inbound` makes of each, decoded once by the
edge; mangled and unknown activities give "nothing to do", never an exception; and the welcome
writes only through a turn, under the person's lock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from botbuilder.schema import Activity as BotbuilderActivity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.teams import edge
from adapters.teams.connection import reference_of
from adapters.teams.inbound import (
    Acknowledge,
    Handle,
    Ignore,
    Inbound,
    NotAnAnswer,
    ReachTeam,
    Upload,
    Welcome,
    translate,
)
from bot.core.domain import Person, PersonKey
from bot.core.messages import Clicked, Commanded, Said
from bot.core.turns import Turn
from tests.fake_teams import activity
from tests.test_teams import Teams, cards, close, make, teams  # noqa: F401 - the fixture

PAYLOADS = Path(__file__).parent / "payloads" / "teams"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ANNA = PersonKey("teams", TENANT, "6b1a7c4e-2f3d-4e8a-9b0c-1d2e3f4a5b6c")
BRAM = PersonKey("teams", TENANT, "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f")
HERE = '{"conversation": "where replies go"}'
START = frozenset({"start", "begin"})


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def decoded(name: str) -> edge.Activity:
    """A recorded activity as the edge hands it on (it must pass the edge)."""
    verdict = edge.inspect(raw(name))
    assert verdict.passes and verdict.activity is not None, verdict.reason
    return verdict.activity


def inbound(name: str) -> Inbound:
    return translate(decoded(name), HERE, START)


def test_there_are_recorded_activities_of_every_kind_and_each_passes_botbuilder_too() -> None:
    names = sorted(p.name for p in PAYLOADS.glob("*.json"))
    assert len(names) >= 10
    readme = (PAYLOADS.parent / "README.md").read_text()
    for name in names:
        assert f"teams/{name}" in readme, f"{name} has no line in tests/payloads/README.md"
        # botbuilder still parses the same body for itself (token check, replies): it must
        # take every recorded shape, and the conversation reference comes from its parse.
        body = json.loads(raw(name))
        parsed = BotbuilderActivity().deserialize(body)
        assert parsed.type == body["type"]
        assert json.loads(reference_of(parsed))["serviceUrl"] == body["serviceUrl"]


def test_a_personal_message_is_said_with_the_chat_as_the_address() -> None:
    assert inbound("message_personal.json") == Handle(
        Said(
            "1732529221834",
            Person(ANNA, display_name="Anna de Vries", language="nl"),
            "Wij maken duurzame kleding",
            HERE,
        )
    )


def test_a_personal_install_welcomes_the_sender_in_their_language() -> None:
    welcome = inbound("installation_update_add_personal.json")
    assert welcome == Welcome((Person(ANNA, language="nl"),), HERE)
    # Teams adds only the bot to a personal chat; the person is the sender.
    added = inbound("conversation_update_personal_install.json")
    assert added == Welcome((Person(ANNA, language="en"),), HERE)


def test_an_uninstall_changes_nothing() -> None:
    assert isinstance(inbound("installation_update_remove.json"), Ignore)


def test_the_bot_added_to_a_team_with_others_reaches_the_team_not_the_channel() -> None:
    # Several members added, the bot among them: never a welcome into the channel; each member
    # gets a personal chat (ReachTeam), and no channel address is kept for anyone.
    assert inbound("conversation_update_team_install_members_added.json") == ReachTeam(TENANT)


def test_colleagues_added_to_or_removed_from_a_team_change_nothing() -> None:
    assert isinstance(inbound("conversation_update_team_members_added.json"), Ignore)
    assert isinstance(inbound("conversation_update_team_members_removed.json"), Ignore)


def test_a_universal_action_is_a_click_answered_by_the_invoke_response() -> None:
    result = inbound("invoke_adaptive_card_action.json")
    assert result == Handle(
        Clicked(
            "f:6f9c2e5b-8a1d-4f4c-b7e0-3a6d9c2f5b8e",
            Person(ANNA, display_name="Anna de Vries", language="en"),
            "q:discipline",
            "sales",
            HERE,
        ),
        universal=True,
    )


def test_an_action_submit_is_a_click_and_its_card_is_marked_answered() -> None:
    result = inbound("message_action_submit.json")
    assert isinstance(result, Handle) and isinstance(result.event, Clicked)
    assert (result.event.action, result.event.value) == ("q:discipline", "hr")
    assert result.answered_card == "1732529330112"
    assert result.event.address == HERE and not result.universal and not result.reach_team


def test_a_submit_with_nothing_picked_is_the_empty_answer() -> None:
    result = inbound("message_action_submit_nothing_picked.json")
    assert isinstance(result, Handle) and result.answered_card is None
    assert result.event == Said(
        "1732529361044", Person(ANNA, display_name="Anna de Vries", language="en"), "", HERE
    )


@pytest.mark.parametrize(
    "name", ["invoke_file_consent_accept.json", "invoke_file_consent_decline.json"]
)
def test_a_file_consent_answer_goes_to_the_uploader_as_sent(name: str) -> None:
    result = inbound(name)
    assert isinstance(result, Upload)
    assert result.person == Person(ANNA, display_name="Anna de Vries", language="en")
    assert result.value == json.loads(raw(name))["value"]


def test_a_channel_mention_is_a_command_that_never_moves_the_personal_chat() -> None:
    result = inbound("message_channel_mention.json")
    assert result == Handle(
        Commanded(
            "1732529604471", Person(BRAM, display_name="Bram Jansen", language="nl"), "help", None
        )
    )


def test_start_in_a_channel_reaches_the_team_first() -> None:
    result = inbound("message_channel_mention_start.json")
    assert isinstance(result, Handle) and result.reach_team
    assert isinstance(result.event, Commanded) and result.event.text == "start all"
    assert result.event.address is None


@pytest.mark.parametrize(
    "name",
    [
        "message_reaction.json",
        "typing.json",
        "event_meeting_start.json",
        "unknown_activity_type.json",
    ],
)
def test_activities_the_bot_does_not_act_on_are_nothing_to_do(name: str) -> None:
    assert isinstance(inbound(name), Ignore)


def test_an_invoke_the_bot_does_not_offer_is_acknowledged() -> None:
    assert inbound("invoke_compose_extension_query.json") == Acknowledge()


def test_a_universal_action_that_is_not_ours_is_not_an_answer() -> None:
    body = json.loads(raw("invoke_adaptive_card_action.json"))
    body["value"] = {"action": {"type": "Action.Execute", "data": "x"}, "trigger": "manual"}
    forged = msgspec.json.decode(json.dumps(body), type=edge.Activity)
    assert translate(forged, HERE) == NotAnAnswer()


def test_a_bots_message_and_a_message_without_sender_are_nothing_to_do() -> None:
    body = json.loads(raw("message_personal.json"))
    as_bot = dict(body, **{"from": dict(body["from"], role="bot")})
    for shape in (as_bot, {k: v for k, v in body.items() if k != "from"}):
        assert isinstance(translate(msgspec.convert(shape, edge.Activity), HERE), Ignore)


# ---------------------------------------------------------------- mangled activities

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_NAMES = sorted(p.name for p in PAYLOADS.glob("*.json"))
_KEYS = st.sampled_from(
    ["type", "id", "from", "conversation", "recipient", "channelData", "text", "value", "name",
     "action", "membersAdded", "replyToId", "locale", "serviceUrl"]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    name=st.sampled_from(_NAMES),
    changes=st.lists(st.tuples(_KEYS, st.one_of(st.just(...), _JSON)), max_size=4),
    kind=st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", None]),
)
def test_mangled_activities_translate_without_raising(
    name: str, changes: list[tuple[str, Any]], kind: str | None
) -> None:
    body = json.loads(raw(name))
    if kind is not None:
        body["type"] = kind
    for key, value in changes:
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    verdict = edge.inspect(json.dumps(body).encode())
    if verdict.activity is None:
        assert verdict.status == 400  # refused at the edge: never reaches the translation
        return
    result = translate(verdict.activity, HERE, START)
    assert isinstance(
        result, Ignore | Welcome | ReachTeam | Upload | Acknowledge | NotAnAnswer | Handle
    )
    if verdict.activity.type not in (
        "message",
        "invoke",
        "conversationUpdate",
        "installationUpdate",
    ):
        assert isinstance(result, Ignore)


@given(kind=st.text(max_size=40), value=_JSON)
def test_unknown_types_are_nothing_to_do(kind: str, value: Any) -> None:
    body = json.loads(raw("message_personal.json")) | {"type": kind, "value": value}
    try:
        activity_ = msgspec.convert(body, edge.Activity)
    except msgspec.ValidationError:
        return  # a type the edge refuses (control characters, too long)
    result = translate(activity_, HERE, START)
    if kind not in ("message", "invoke", "conversationUpdate", "installationUpdate"):
        assert isinstance(result, Ignore)


# ---------------------------------------------------------------- the welcome through a turn


async def test_the_welcome_writes_only_through_a_turn_under_the_persons_lock(
    teams: Teams,  # noqa: F811
) -> None:
    store = teams.server.app.store
    held: list[PersonKey] = []
    turns: list[tuple[Turn, bool]] = []
    person_lock, commit_turn = store.person_lock, store.commit_turn

    @asynccontextmanager
    async def watched_lock(key: PersonKey) -> AsyncIterator[None]:
        async with person_lock(key):
            held.append(key)
            try:
                yield
            finally:
                held.remove(key)

    async def watched_commit(turn: Turn) -> Any:
        whose = {turn.effects.person.key} if turn.effects.person is not None else set()
        whose |= {turn.effects.address[0]} if turn.effects.address is not None else set()
        turns.append((turn, bool(whose) and whose <= set(held)))
        return await commit_turn(turn)

    async def direct(*args: Any) -> None:
        raise AssertionError("the welcome wrote to the store outside a turn")

    store.person_lock = watched_lock
    store.commit_turn = watched_commit
    store.upsert_person = store.save_address = direct
    key = PersonKey("teams", "tenant-1", "aad-bram")
    added = activity("conversationUpdate", teams.fake_url, user="aad-bram", name="Bram",
                     members_added=[{"id": "28:imvo-bot", "name": "IMVO bot"}])  # fmt: skip
    installed = activity("installationUpdate", teams.fake_url, user="aad-bram", name="Bram")
    for body in (added, installed | {"action": "add"}):
        assert (await teams.post(body)).status in (200, 201)

    # The first install keeps who Bram is and where to reach him in one turn; the second only
    # moves the address (its reference names the activity it came from). Each under his lock.
    assert 1 <= len(turns) <= 2
    assert all(under_lock and turn.event is None for turn, under_lock in turns), turns
    first = turns[0][0]
    assert first.effects.person is not None and first.effects.person.key == key
    assert first.effects.address is not None and first.effects.address[0] == key
    assert "conv-aad-bram" in first.effects.address[1]
    assert all(
        turn.effects.person is None for turn, _ in turns[1:]
    )  # nothing rewritten that is the same
    assert len(teams.fake.to("conv-aad-bram")) == 1  # welcomed once
    assert "IMVO" in cards(teams.fake.to("conv-aad-bram"))
    assert await store.address(key) == turns[-1][0].effects.address[1]  # type: ignore[index]
