"""Slack inbound as pure translation, on recorded payloads (`tests/payloads/slack`, described in
`tests/payloads/README.md`): each body through the edge as Slack posts it, then through
`adapters.slack.inbound`, gives exactly the neutral event named here, or nothing to do. A
mangled payload gives the edge's refusal or nothing to do, never an exception."""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import edge, inbound
from adapters.slack.inbound import FormAsked, HomeOpened, Ignored, Inbound, Shown, Step, bare
from bot.core.messages import Clicked, Commanded, Said, StartRequested
from tests.json_paths import paths, replaced, without
from tests.test_slack import World, world  # noqa: F401 - the fixture

PAYLOADS = Path(__file__).parent / "payloads" / "slack"
FORM = "application/x-www-form-urlencoded"
START_WORDS = frozenset({"start"})  # content/*/messages.toml, commands.start
INTERACTIONS = ("block_actions", "view_submission")

ANNA, BRAM, LEAD = bare("T1", "UANNA"), bare("T1", "UBRAM"), bare("T1", "ULEAD")
NOT_OWN_DM = Ignored("not a person's own direct message")


def read(name: str) -> str:
    return (PAYLOADS / name).read_text(encoding="utf-8").rstrip("\n")


def posted(name: str) -> tuple[str, str]:
    """The body as Slack posts it, and its content type."""
    text = read(name)
    if name.endswith(".txt"):
        return text, FORM
    if json.loads(text).get("type") in INTERACTIONS:
        return urlencode({"payload": text}), FORM
    return text, "application/json"


def parsed(name: str) -> dict[str, Any]:
    """The body as Socket Mode delivers it: already a JSON object."""
    text = read(name)
    if name.endswith(".txt"):
        return dict(parse_qsl(text, keep_blank_values=True))
    value: dict[str, Any] = json.loads(text)
    return value


def blocks_of(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(read(name))["message"]["blocks"])


def click(
    name: str, who: Any, action: str, value: str, n: int, label: str, index: str = ""
) -> Inbound:
    """What a recorded click on one of the bot's buttons in a DM is expected to give."""
    user = who.key.user_id
    action_id = f"{action}|{index}"
    event = Clicked(f"action:1700000{n:03d}.000100:{user}:{action_id}", who, action, value)
    shown = Shown(f"1700000{n:03d}.000001", _text(name), blocks_of(name), label)
    return Inbound(event, "D" + user, shown)


def _text(name: str) -> str:
    return str(json.loads(read(name))["message"]["text"])


EXPECTED: dict[str, Step | int] = {
    # ---- events
    "message_im.json": Inbound(Said("Ev01DM", ANNA, "We make durable clothes & more"), "DUANNA"),
    "thread_reply.json": Inbound(Said("Ev06THREAD", ANNA, "2,3"), "DUANNA"),
    "message_changed.json": NOT_OWN_DM,
    "message_deleted.json": NOT_OWN_DM,
    "bot_message.json": NOT_OWN_DM,
    "file_share.json": NOT_OWN_DM,
    "channel_message.json": NOT_OWN_DM,
    "authorizations_dm.json": Inbound(
        Said("Ev08AUTH", BRAM, "Wij maken duurzame kleding"), "DUBRAM"
    ),
    "enterprise_grid_dm.json": Inbound(Said("Ev09GRID", bare("T1", "WANNA"), "skip"), "DWANNA"),
    "app_home_opened.json": HomeOpened(ANNA),
    "app_home_messages_tab.json": Ignored("the App Home's messages tab"),
    "url_verification.json": Ignored("no payload the bot handles"),  # Bolt answers it
    # ---- clicks on every kind of button and select the bot sends
    "block_actions_poll_button.json": click(
        "block_actions_poll_button.json", ANNA, "q:discipline", "sales", 1, "Sales", "2"
    ),
    "block_actions_static_select.json": click(
        "block_actions_static_select.json",
        ANNA,
        "q:drivers",
        "legislation",
        2,
        "Legislation",
        "select",
    ),
    "block_actions_owner_accept.json": click(
        "block_actions_owner_accept.json", BRAM, "own:living-wage", "accept", 3, "Accept", "0"
    ),
    "block_actions_owner_decline.json": click(
        "block_actions_owner_decline.json", BRAM, "own:living-wage", "decline", 4, "Decline", "1"
    ),
    "block_actions_approval_request.json": click(
        "block_actions_approval_request.json",
        LEAD,
        "approval-request",
        "request",
        5,
        "Ask for approval",
        "0",
    ),
    "block_actions_approval_approve.json": click(
        "block_actions_approval_approve.json", BRAM, "approval:1:2", "approve", 6, "Approve", "0"
    ),
    "block_actions_forget_confirm.json": click(
        "block_actions_forget_confirm.json",
        ANNA,
        "forget",
        "yes:2030-01-01T10:00:00+00:00",
        7,
        "Yes, erase",
        "0",
    ),
    "block_actions_guidance_list.json": click(
        "block_actions_guidance_list.json",
        ANNA,
        "guide",
        "living-wage",
        8,
        "Living wage (Bram)",
        "2",
    ),
    "block_actions_guidance_part.json": click(
        "block_actions_guidance_part.json",
        ANNA,
        "guide:living-wage",
        "examples",
        9,
        "Examples",
        "0",
    ),
    "block_actions_guidance_topic.json": click(
        "block_actions_guidance_topic.json",
        ANNA,
        "guide-topic",
        "legislation",
        10,
        "Show the overview",
        "0",
    ),
    "block_actions_unknown_action.json": Ignored("an action id this bot never made"),
    # In the App Home: no channel (answered in the DM), no message to take the buttons off.
    "block_actions_home.json": Inbound(
        Clicked("action:1700000012.000100:UANNA:cmd|0", ANNA, "cmd", "continue")
    ),
    # ---- the start form and `/imvo`
    "view_submission_start.json": Inbound(
        StartRequested(
            "view:V1START:1700000013.Xyz9",
            LEAD,
            ("<@UANNA>", "<@UBRAM>", "<#CTEAM>"),
            everyone=False,
            deadline=date(2099, 6, 30),
        )
    ),
    "slash_command.txt": Inbound(
        Commanded(
            "command:14000.111.abcdef14",
            LEAD,
            "start <@UANNA|anna> <#CTEAM|team> deadline 2099-12-31",
        ),
        ephemeral=True,
    ),
    "slash_command_start.txt": FormAsked(LEAD, "15000.111.abcdef15"),
    "slash_command_bare.txt": Inbound(
        Commanded("command:16000.111.abcdef16", LEAD, "help"), ephemeral=True
    ),
    "slash_command_other.txt": 200,  # another app's command: the edge answers, quietly
}
FILES = sorted(p.name for p in PAYLOADS.iterdir())


def test_every_recorded_payload_has_its_expectation() -> None:
    assert len(FILES) >= 15
    assert set(FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", FILES)
def test_a_recorded_payload_translates_to_exactly_its_event(name: str) -> None:
    body, content_type = posted(name)
    verdict = edge.inspect(body.encode(), content_type)
    expected = EXPECTED[name]
    if isinstance(expected, int):  # refused or answered at the edge: nothing reaches Bolt
        assert verdict.status == expected and verdict.payload is None
        return
    assert verdict.passes, verdict.reason
    assert verdict.text == body  # Bolt gets the very text that was checked
    assert inbound.translate(verdict.payload, START_WORDS) == expected


@pytest.mark.parametrize("name", FILES)
def test_socket_mode_bodies_get_the_same_checks_and_translation(name: str) -> None:
    body, content_type = posted(name)
    over_http = edge.inspect(body.encode(), content_type)
    over_socket = edge.inspect_parsed(parsed(name))
    assert over_socket.status == over_http.status
    assert over_socket.payload == over_http.payload or _same_callback(over_socket, over_http)
    assert inbound.translate(over_socket.payload, START_WORDS) == inbound.translate(
        over_http.payload, START_WORDS
    )


def _same_callback(a: edge.Verdict, b: edge.Verdict) -> bool:
    # An envelope holds its event as raw JSON, which differs in spacing between the two paths.
    if not isinstance(a.payload, edge.Callback) or not isinstance(b.payload, edge.Callback):
        return False
    return a.payload.event == b.payload.event and a.payload.envelope.event_id == (
        b.payload.envelope.event_id
    )


def test_the_typed_payload_is_decoded_once_and_kept() -> None:
    """The verdict carries the decoded value: nothing in the adapter decodes the body again."""
    body, content_type = posted("block_actions_poll_button.json")
    verdict = edge.inspect(body.encode(), content_type)
    assert isinstance(verdict.payload, edge.Interaction)
    assert verdict.payload.actions[0].action_id == "q:discipline|2"


def test_inbound_is_pure() -> None:
    """No network, no store, no Bolt: inbound.py imports none of them."""
    source = Path(inbound.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    forbidden = (
        "slack_bolt",
        "slack_sdk",
        "aiohttp",
        "storage",
        "asyncio",
        "adapters.slack.people",
    )
    assert not [m for m in imported if m.startswith(forbidden)], imported


# ---------------------------------------------------------------- mangled payloads


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "im", "home", "message", "block_actions", "x|0", "q:a|select", "T1"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=6,
)


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, Any]:
    """A recorded payload with one field replaced by any JSON value, or taken out."""
    name = draw(st.sampled_from(FILES))
    payload = parsed(name)
    path = draw(st.sampled_from(paths(payload)))
    if path and draw(st.booleans()):
        return name, without(payload, path)
    return name, replaced(payload, path, draw(json_values))


def _post_form(name: str, payload: Any) -> str:
    if name.endswith(".txt"):
        fields = payload if isinstance(payload, dict) else {"x": payload}
        return urlencode(
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        )
    return urlencode({"payload": json.dumps(payload)})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_a_mangled_payload_is_refused_or_nothing_to_do_never_an_exception(
    case: tuple[str, Any],
) -> None:
    name, payload = case
    if name.endswith(".txt") or (isinstance(payload, dict) and payload.get("type") in INTERACTIONS):
        verdicts = [edge.inspect(_post_form(name, payload).encode(), FORM)]
    else:
        verdicts = [edge.inspect(json.dumps(payload).encode(), "application/json")]
    if isinstance(payload, dict):
        verdicts.append(edge.inspect_parsed(payload))
    for verdict in verdicts:
        if not verdict.passes:
            assert verdict.status in (200, 400) and verdict.payload is None
            continue
        step = inbound.translate(verdict.payload, START_WORDS)
        assert isinstance(step, Inbound | HomeOpened | FormAsked | Ignored)
        if isinstance(step, Inbound):
            assert step.event.event_id and step.event.person.key.user_id


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        [],
        "text",
        {"type": "block_actions"},
        {"type": "event_callback"},
        {"type": "event_callback", "event": {"type": "message"}},
        {"type": "event_callback", "event": {"type": "app_home_opened"}},
        {"type": "view_submission", "user": {"id": "UANNA"}, "view": {}},
        {"command": "/imvo"},
    ],
)
def test_unknown_shapes_give_the_edges_refusal_or_nothing_to_do(payload: Any) -> None:
    verdict = edge.inspect_parsed(payload if isinstance(payload, dict) else {"x": payload})
    if verdict.passes:
        assert isinstance(inbound.translate(verdict.payload, START_WORDS), Ignored)
    else:
        assert verdict.status in (200, 400) and verdict.payload is None


# ---------------------------------------------------------------- through the real app


async def test_recorded_payloads_through_the_real_app_are_answered_never_5xx(
    world: World,  # noqa: F811
) -> None:
    """Every recorded body, signed and posted to the real server (Bolt and the listeners)."""
    await world.command("ULEAD", "start <@UANNA> <@UBRAM>")
    for name in FILES:
        body, content_type = posted(name)
        if name.endswith(".txt"):  # answer to the fake's response_url, not hooks.slack.com
            fields = dict(parse_qsl(body, keep_blank_values=True))
            fields["response_url"] = f"{world.fake.base}respond/{name}"
            body = urlencode(fields)
        response = await world.post(body, content_type=content_type)
        assert response.status == 200, (name, response.status, await response.text())
    replies = " ".join(json.dumps(p) for p in world.fake.called("chat.postMessage"))
    assert "[2/9]" in replies  # Anna's click on "Sales" answered the first question
    assert world.fake.called("views.publish")[-1]["user_id"] == "UANNA"
    assert world.fake.called("views.open")  # `/imvo start` alone opened the form


async def test_a_known_persons_answer_asks_slack_for_no_profile(
    world: World,  # noqa: F811
) -> None:
    """The hot path: a person's profile is looked up once; their next answers use it."""
    await world.dm("UANNA", "help")
    await world.dm("UANNA", "help")
    await world.dm("UANNA", "status")
    asked = [p for p in world.fake.called("users.info") if p.get("user") == "UANNA"]
    assert len(asked) == 1


async def test_after_a_restart_a_stored_profile_asks_slack_for_nothing(
    world: World,  # noqa: F811
) -> None:
    """The profile cache is empty after a restart; a person the store knows is taken from it,
    so their first answer still needs no `users.info` before the acknowledgement."""
    await world.dm("UANNA", "help")
    assert world.server.slack is not None
    world.server.slack.people._cache.clear()  # as a new process would start
    before = len(world.fake.called("users.info"))
    posts = len(world.fake.called("chat.postMessage"))
    await world.dm("UANNA", "help")
    assert len(world.fake.called("users.info")) == before
    assert len(world.fake.called("chat.postMessage")) > posts  # answered all the same
    assert world.server.slack.people._cache[("T1", "UANNA")].display_name == "Anna"
