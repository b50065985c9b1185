"""Property-based fuzzing of both endpoints with valid credentials (a Slack signature; Teams in
its loopback mode): valid payloads with any field replaced by any JSON value, arbitrary JSON
and form bodies, deep nesting, huge bodies, and text full of Unicode edge cases, mentions,
links and formulas.

For every request: no 5xx; a rejected request (4xx) changes nothing in the database; and
nothing that reaches the fake platforms carries an unescaped `<!channel>`, a mention the bot
did not make, a Markdown link or a formula a person typed. The server is still healthy at the
end. Bounded by `max_examples`, so the whole module runs in well under a minute.

    IMVO_FUZZ_RANDOM=1 IMVO_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.server import Server, build_server
from bot.core.settings import Settings
from tests.fake_slack import FakeSlack, signed
from tests.fake_teams import FakeConnector, activity
from tests.json_paths import paths, replaced
from tests.stores import sqlite_rows
from tests.web import listen

SECRET = "fuzz-secret"
# CI runs the same examples every time (a red build must be reproducible); explore further with
# IMVO_FUZZ_RANDOM=1 and more examples, e.g. IMVO_FUZZ_EXAMPLES=2000.
EXAMPLES = int(os.environ.get("IMVO_FUZZ_EXAMPLES", "150"))
RANDOM = os.environ.get("IMVO_FUZZ_RANDOM") == "1"
SHOWN = ("text", "summary", "attachments")  # what people see of a Teams activity

# Text a hostile person might type: platform mentions, links, formulas, direction marks,
# zero-width joiners, NUL and other controls, lone surrogates (escaped in JSON), emoji.
NASTY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@UEVIL1>",
    "[click](http://evil.example)",
    '=HYPERLINK("http://evil.example")',
    "+cmd|' /C calc'!A0",
    "\u202eevil",
    "\u200d\u200d",
    "\x00",
    "\x1b[31m",
    "\ud800",
    "🏳️‍🌈" * 3,
    "*bold* _it_ ~s~ `code`",
    "&lt;!channel&gt;",
    "{name}",
    "%s%n",
]
# The Web API calls that put text in front of people.
SAYING = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
                    "views.open", "files.completeUploadExternal"})  # fmt: skip
# What must never reach a platform unescaped: Slack's special mentions and a mention the bot did
# not make; in both, a Markdown link a person typed. (Formulas matter in the spreadsheet export,
# which tests/test_draft.py checks.) Teams has no `<!channel>` syntax; it is plain text there.
FORBIDDEN = {
    "slack": ("<!channel>", "<!here>", "<!everyone>", "<@UEVIL1>", "](http://evil.example)"),
    "teams": ("](http://evil.example)", "<at>"),
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(NASTY),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
texts = st.lists(st.sampled_from(NASTY) | st.text(max_size=20), max_size=4).map("".join)


# A click carries Slack's copy of the bot's own message (`message`), which the bot puts back
# without its buttons; only Slack, holding the signing secret, can send it, so it is not text a
# person typed and is left out of the mutations that check escaping.
PLATFORM_COPIES = ("message",)


@st.composite
def mutated(draw: st.DrawFn, templates: list[Any]) -> Any:
    """A valid payload with one field (or the whole) replaced by any JSON value or nasty text."""
    template = draw(st.sampled_from(templates))
    mutable = [p for p in paths(template) if not (p and p[0] in PLATFORM_COPIES and len(p) > 1)]
    path = draw(st.sampled_from(mutable))
    return replaced(template, path, draw(json_values | texts))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)  # lone surrogates travel as \\ud800


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# ----------------------------------------------------------------------- the servers


@dataclass
class Endpoint:
    loop: asyncio.AbstractEventLoop
    server: Server
    url: str
    http: aiohttp.ClientSession
    db: Path
    outbound: Callable[[], str]  # everything the bot sent to the fake platform, as text
    fake_url: str
    platform: str

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def rows(self) -> dict[str, list[str]]:
        return sqlite_rows(self.db)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async def send() -> int:
            async with self.http.post(self.url + path, data=body, headers=headers) as response:
                await response.read()
                status = response.status
            for adapter in (self.server.slack, self.server.teams):
                if adapter is not None:
                    await adapter.drain()
            return status

        return int(self.run(send()))

    def healthy(self) -> bool:
        async def check() -> bool:
            async with self.http.get(self.url + "healthz") as response:
                return response.status == 200

        return bool(self.run(check()))


def _endpoint(tmp: Path, platform: str) -> Iterator[Endpoint]:
    loop = asyncio.new_event_loop()
    fake_slack, fake_teams = FakeSlack(), FakeConnector()
    fake = fake_slack if platform == "slack" else fake_teams
    fake_runner, fake_url = loop.run_until_complete(listen(fake.app()))
    fake_slack.base = fake_url
    for user in ("UANNA", "ULEAD"):
        fake_slack.add_user(user, user.title())
    db = tmp / f"{platform}.db"
    options: dict[str, Any] = {"database_url": f"sqlite:///{db}", "draft_dir": tmp / "drafts"}
    if platform == "slack":
        options |= {
            "slack_bot_token": "xoxb-fuzz",
            "slack_signing_secret": SECRET,
            "slack_api_url": fake_url + "api/",
        }
    server = loop.run_until_complete(build_server(Settings(language="en", **options)))
    if server.slack is not None:
        loop.run_until_complete(server.slack.drain())  # the start's own work is done
    runner, url = loop.run_until_complete(listen(server.web))
    http = aiohttp.ClientSession(loop=loop)

    def outbound() -> str:
        if platform == "slack":
            said = [c for c in fake_slack.calls if c.method in SAYING]
            return json.dumps([(c.method, c.params) for c in said] + fake_slack.responses)
        # What people see of an activity (its envelope, `from` and `recipient`, is addressing).
        shown = [a for _, a in fake_teams.sent] + [u for *_, u in fake_teams.updated]
        return json.dumps([{k: a.get(k) for k in SHOWN} for a in shown])

    yield Endpoint(loop, server, url, http, db, outbound, fake_url.rstrip("/"), platform)
    loop.run_until_complete(http.close())
    loop.run_until_complete(runner.cleanup())
    loop.run_until_complete(server.app.close())
    loop.run_until_complete(fake_runner.cleanup())
    loop.close()


@pytest.fixture(scope="module")
def slack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    yield from _endpoint(tmp_path_factory.mktemp("slack-fuzz"), "slack")


@pytest.fixture(scope="module")
def teams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    yield from _endpoint(tmp_path_factory.mktemp("teams-fuzz"), "teams")


def _check(endpoint: Endpoint, path: str, body: bytes, headers: dict[str, str]) -> None:
    before = endpoint.rows()
    status = endpoint.post(path, body, headers)
    assert status < 500, (status, body[:300])
    if status >= 400:
        assert endpoint.rows() == before, body[:300]
    sent = endpoint.outbound()
    for forbidden in FORBIDDEN[endpoint.platform]:
        at = max(0, sent.find(forbidden) - 150)
        assert forbidden not in sent, (forbidden, sent[at : at + 300])


# ----------------------------------------------------------------------- Slack

SLACK_EVENT = {
    "type": "event_callback",
    "team_id": "T1",
    "event_id": "Ev1",
    "event": {
        "type": "message",
        "channel_type": "im",
        "channel": "DUANNA",
        "user": "UANNA",
        "text": "hello",
        "ts": "1.0",
    },
}
SLACK_HOME = {
    "type": "event_callback",
    "team_id": "T1",
    "event_id": "Ev2",
    "event": {"type": "app_home_opened", "user": "UANNA", "tab": "home"},
}
SLACK_CLICK = {
    "type": "block_actions",
    "user": {"id": "UANNA", "team_id": "T1"},
    "team": {"id": "T1"},
    "channel": {"id": "DUANNA"},
    "message": {"ts": "1.0", "text": "q", "blocks": [{"type": "section"}]},
    "actions": [{"action_id": "q:discipline|0", "value": "sales", "action_ts": "2.0"}],
}
SLACK_FORM = {
    "type": "view_submission",
    "user": {"id": "UANNA", "team_id": "T1"},
    "view": {
        "id": "V1",
        "hash": "h1",
        "callback_id": "imvo_start",
        "state": {"values": {"people": {"people": {"selected_users": ["UANNA"]}}}},
    },
}
SLACK_COMMAND = {
    "command": "/imvo",
    "text": "help",
    "user_id": "UANNA",
    "team_id": "T1",
    "trigger_id": "t1",
    "response_url": "http://127.0.0.1:9/respond",
}

_counter = iter(range(10**9))


def _fresh_ids(value: Any) -> Any:
    """A new event id per example, so every valid one is handled rather than deduplicated."""
    n = next(_counter)
    if isinstance(value, dict) and isinstance(value.get("event_id"), str):
        value = {**value, "event_id": f"Ev{n}"}
    if isinstance(value, dict) and isinstance(value.get("actions"), list):
        value = {**value, "trigger_id": f"t{n}"}
    return value


def slack_post(slack: Endpoint, body: str, content_type: str) -> None:
    _check(slack, "slack/events", body.encode(), signed(body, SECRET, content_type=content_type))


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(mutated([SLACK_EVENT, SLACK_HOME]))
def test_slack_events_of_any_shape(slack: Endpoint, payload: Any) -> None:
    slack_post(slack, dumps(_fresh_ids(payload)), "application/json")


@FUZZ
@given(mutated([SLACK_CLICK, SLACK_FORM]))
def test_slack_interactions_of_any_shape(slack: Endpoint, payload: Any) -> None:
    body = urlencode({"payload": dumps(_fresh_ids(payload))})
    slack_post(slack, body, "application/x-www-form-urlencoded")


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from([*SLACK_COMMAND, "payload", "ssl_check", "x"]),
        texts | st.text(),
        max_size=7,
    )
)
def test_slack_forms_of_any_shape(slack: Endpoint, fields: dict[str, str]) -> None:
    body = urlencode({**SLACK_COMMAND, **fields}, encoding="utf-8", errors="surrogatepass")
    slack_post(slack, body, "application/x-www-form-urlencoded")


@FUZZ
@given(
    st.one_of(
        json_values.map(dumps),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.integers(1, 5000).map(deep),
        st.integers(1, 5000).map(lambda n: '{"type":"event_callback","event":' + deep(n) + "}"),
    ),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
)
def test_slack_bodies_of_any_kind(slack: Endpoint, body: str, content_type: str) -> None:
    slack_post(slack, body, content_type)


def test_slack_huge_bodies_and_still_healthy(slack: Endpoint) -> None:
    for size in (1_100_000, 5_000_000):
        body = dumps({**SLACK_EVENT, "event": {**SLACK_EVENT["event"], "text": "x" * size}})
        headers = signed(body, SECRET)
        assert slack.post("slack/events", body.encode(), headers) == 413
    assert slack.healthy()


# ----------------------------------------------------------------------- Teams


def _teams_templates(service_url: str) -> list[Any]:
    message = activity("message", service_url, text="hello")
    click = activity("message", service_url, value={"imvo": "q:discipline", "value": "sales"})
    install = activity("conversationUpdate", service_url,
                       members_added=[{"id": "29:aad-anna", "name": "Anna"}])  # fmt: skip
    invoke = activity("invoke", service_url) | {
        "name": "adaptiveCard/action",
        "value": {"action": {"type": "Action.Execute", "data": {"imvo": "q:x", "value": "y"}}},
    }
    return [message, click, install, invoke]


def teams_post(teams: Endpoint, body: str) -> None:
    _check(teams, "api/messages", body.encode(), {"Content-Type": "application/json"})


@FUZZ
@given(st.data())
def test_teams_activities_of_any_shape(teams: Endpoint, data: st.DataObject) -> None:
    payload = data.draw(mutated(_teams_templates(teams.fake_url)))
    if isinstance(payload, dict) and isinstance(payload.get("id"), str):
        payload = {**payload, "id": f"act-{next(_counter)}"}
    teams_post(teams, dumps(payload))


@FUZZ
@given(
    st.one_of(
        json_values.map(dumps),
        st.integers(1, 5000).map(deep),
        st.integers(1, 5000).map(lambda n: '{"type":"message","value":' + deep(n) + "}"),
    )
)
def test_teams_bodies_of_any_kind(teams: Endpoint, body: str) -> None:
    teams_post(teams, body)


def test_teams_still_healthy(teams: Endpoint) -> None:
    assert teams.healthy()
