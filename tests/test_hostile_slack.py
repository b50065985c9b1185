"""The Slack endpoint under hostile input: correctly signed bodies of every wrong shape get a
clear 4xx (or Slack's 200 with nothing done), never a 5xx, and change nothing; any malformed
signature header gets 401."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.fake_slack import form
from tests.stores import sqlite_rows
from tests.test_slack import World, world  # noqa: F401 - the fixture

FORM = "application/x-www-form-urlencoded"


def snapshot(w: World) -> dict[str, list[str]]:
    return sqlite_rows(w.server.app.services.settings.database_url)


def message(**event: Any) -> str:
    base = {"type": "message", "channel_type": "im", "channel": "DUANNA", "user": "UANNA",
            "text": "hello", "ts": "1.0"}  # fmt: skip
    body = {"type": "event_callback", "team_id": "T1", "event_id": "EvH", "event": base | event}
    return json.dumps(body)


def click(**changes: Any) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": "UANNA", "team_id": "T1"},
        "team": {"id": "T1"},
        "channel": {"id": "DUANNA"},
        "actions": [{"action_id": "q:discipline|0", "value": "sales", "action_ts": "1.5"}],
    }
    return form(payload | changes)


JSON = "application/json"
CALLBACK = '{"type":"event_callback","event":'
DEEP = [[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]
START_FORM = {"callback_id": "imvo_start"}


def submitted(view: Any) -> str:
    return form({"type": "view_submission", "user": {"id": "UANNA"}, "view": view})


def envelope(**fields: Any) -> str:
    return json.dumps({"type": "event_callback"} | fields)


BODIES: list[tuple[str, str, str]] = [
    ("[]", JSON, "400"),
    ("null", JSON, "400"),
    ("[{}]", JSON, "400"),
    ("true", JSON, "400"),
    ('"text"', JSON, "400"),
    ("{}", JSON, "400"),
    ('{"type": 7}', JSON, "400"),
    (CALLBACK + "[" * 1000 + "]" * 1000 + "}", JSON, "2xx4xx"),
    (CALLBACK + "[" * 100_000, JSON, "400"),
    (message(user=["U1"]), JSON, "200"),
    (message(channel={"user": "U1"}), JSON, "200"),
    (message(text={"a": 1}), JSON, "200"),
    (message(user="<!channel>"), JSON, "200"),
    (envelope(team_id=["T1"], event={}), JSON, "400"),
    (envelope(event={"type": "reaction_added"}), JSON, "200"),
    (json.dumps({"type": "app_rate_limited", "minute_rate_limited": 1}), JSON, "200"),
    (json.dumps({"type": "url_verification"}), JSON, "400"),
    ("payload=%5B%5D", FORM, "400"),
    ("payload=null", FORM, "400"),
    ("payload=%7Bbroken", FORM, "400"),
    (click(actions="x"), FORM, "400"),
    (click(actions=[]), FORM, "400"),
    (click(actions=[{"action_id": "a\x00b"}]), FORM, "400"),
    (click(user="UANNA"), FORM, "400"),
    (click(message={"ts": "1.0", "blocks": DEEP}), FORM, "400"),
    (submitted("x"), FORM, "400"),
    (submitted(START_FORM), FORM, "400"),
    (
        submitted(
            START_FORM | {"state": {"values": {"people": {"people": {"selected_users": "U"}}}}}
        ),
        FORM,
        "400",
    ),
    (form({"type": "shortcut", "user": {"id": "UANNA"}}), FORM, "200"),
    ("command=%2Fimvo&user_id=UANNA", FORM, "400"),
    ("command=%2Fimvo&user_id=UANNA&team_id=T1&user_id=UBRAM", FORM, "400"),
    ("command=%2Fother&user_id=UANNA&team_id=T1", FORM, "200"),
    ("\u00ff\u00fe", FORM, "400"),
]


@pytest.mark.parametrize(("body", "content_type", "expected"), BODIES)
async def test_signed_bodies_of_the_wrong_shape_change_nothing(
    world: World,  # noqa: F811
    body: str,
    content_type: str,
    expected: str,
) -> None:
    before = snapshot(world)
    response = await world.post(body, content_type=content_type)
    if expected == "2xx4xx":
        assert response.status < 500
    else:
        assert response.status == int(expected), (response.status, await response.text())
    assert "Traceback" not in await response.text()
    assert snapshot(world) == before
    assert world.fake.called("chat.postMessage") == []
    assert (await world.dm("UANNA", "hello")).status == 200  # still up and answering


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=é"},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v1=abc"},
        {"X-Slack-Signature": "v0=" + "0" * 64},
    ],
)
async def test_every_malformed_signature_header_gets_401(
    world: World,  # noqa: F811
    headers: dict[str, str],
) -> None:
    before = snapshot(world)
    async with world.http.post(
        world.url + "slack/events",
        data=message().encode(),
        headers={"Content-Type": "application/json", **headers},
    ) as response:
        assert response.status == 401
    assert snapshot(world) == before
    assert world.fake.called("chat.postMessage") == []


async def test_a_listener_that_fails_gets_a_clear_answer_with_an_error_id(
    world: World,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    await world.server.app.store.close()  # the database goes away mid-flight
    response = await world.dm("UANNA", "hello")
    assert response.status == 503  # Slack delivers it again later
    assert response.headers["Retry-After"]
    body = json.loads(await response.text())
    assert body["error_id"] and body["error_id"] in caplog.text
    assert "Traceback" not in json.dumps(body)


async def test_huge_bodies_get_413(world: World) -> None:  # noqa: F811
    body = message(text="x" * 2_000_000)
    response = await world.post(body)
    assert response.status == 413
    async with aiohttp.ClientSession() as http, http.get(world.url + "healthz") as health:
        assert health.status == 200
