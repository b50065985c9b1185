"""Slack end to end: the real Bolt app over HTTP on 127.0.0.1 with signed requests, against a
local fake Slack Web API that records every call."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import docx
import pytest

from adapters.server import Server, build_server
from bot.core.settings import Settings
from bot.core.turns import invitation_key as outbox_key
from tests.fake_slack import FakeSlack, dm_event, form, signed
from tests.web import listen

SECRET = "s3cret-signing"


@dataclass
class World:
    fake: FakeSlack
    server: Server
    url: str
    http: aiohttp.ClientSession
    events: int = 0

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/json",
        when: float | None = None,
        retry: int | None = None,
        secret: str = SECRET,
    ) -> aiohttp.ClientResponse:
        headers = signed(body, secret, when, retry, content_type)
        response = await self.http.post(
            self.url + "slack/events", data=body.encode(), headers=headers
        )
        await response.read()
        assert self.server.slack is not None
        await self.server.slack.drain()
        return response

    async def dm(
        self, user: str, text: str, event_id: str | None = None, retry: int | None = None
    ) -> aiohttp.ClientResponse:
        self.events += 1
        body = dm_event(user, text, event_id or f"Ev{self.events}")
        return await self.post(body, retry=retry)

    async def command(self, user: str, text: str) -> aiohttp.ClientResponse:
        self.events += 1
        from urllib.parse import urlencode

        body = urlencode(
            {
                "command": "/imvo",
                "text": text,
                "user_id": user,
                "team_id": "T1",
                "channel_id": "D" + user,
                "trigger_id": f"trig{self.events}",
                "response_url": f"{self.fake.base}respond/r{self.events}",
            }
        )
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def click(
        self, user: str, action_id: str, value: str, message: dict[str, Any] | None = None
    ) -> aiohttp.ClientResponse:
        self.events += 1
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "channel": {"id": "D" + user},
            "trigger_id": f"trig{self.events}",
            "message": message or {"ts": "1.000", "text": "q", "blocks": []},
            "actions": [
                {
                    "action_id": action_id,
                    "value": value,
                    "type": "button",
                    "action_ts": f"{self.events}.5",
                    "text": {"type": "plain_text", "text": value},
                }
            ],
        }
        return await self.post(form(payload), content_type="application/x-www-form-urlencoded")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = FakeSlack()
    fake_runner, fake_url = await listen(fake.app())
    fake.base = fake_url
    fake.add_user("ULEAD", "Sanne")
    fake.add_user("UANNA", "Anna")
    fake.add_user("UBRAM", "Bram", locale="nl-NL")
    fake.add_user("UBOTX", "Helper", is_bot=True)
    fake.channels["CTEAM"] = ["UANNA", "UBRAM", "UBOTX"]
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'slack.db'}",
        draft_dir=tmp_path / "drafts",
        admins=("slack:ULEAD",),
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_url + "api/",
        language="en",
        anonymity_min=1,  # a handful of fake colleagues: their words may show in the draft
    )
    server = await build_server(settings)
    assert server.slack is not None
    await server.slack.drain()  # the start's own work (learning the workspace's name) is done
    runner, url = await listen(server.web)
    async with aiohttp.ClientSession() as http:
        yield World(fake, server, url, http)
    await runner.cleanup()
    await server.app.close()
    await fake_runner.cleanup()


def blocks_text(params: dict[str, Any]) -> str:
    return json.dumps(params.get("blocks") or []) + str(params.get("text"))


async def answers(world: World, user: str) -> dict[str, Any]:
    store = world.server.app.store
    campaign = await store.latest_campaign()
    assert campaign is not None
    from bot.core.domain import PersonKey

    return {
        a.question_id: a
        for a in await store.answers_of(campaign.id, PersonKey("slack", "T1", user))
    }


async def test_health_and_url_verification(world: World) -> None:
    async with world.http.get(world.url + "healthz") as response:
        assert response.status == 200 and (await response.json())["slack"] is True
    response = await world.post(json.dumps({"type": "url_verification", "challenge": "abc123"}))
    assert response.status == 200


async def test_health_says_503_when_the_database_does_not_answer(world: World) -> None:
    async with world.http.get(world.url + "healthz") as response:
        assert (await response.json())["database"] == "ok"
    await world.server.app.store.close()  # as if the database went away
    async with world.http.get(world.url + "healthz") as response:
        assert response.status == 503
        assert await response.json() == {"ok": False, "database": "unreachable", "slack": True}


async def test_bad_or_stale_signatures_get_401_and_change_nothing(world: World) -> None:
    body = dm_event("ULEAD", "start all", "EvX")
    assert (await world.post(body, secret="wrong")).status == 401
    assert (await world.post(body, when=time.time() - 6 * 60)).status == 401
    assert await world.server.app.store.latest_campaign() is None
    assert world.fake.called("chat.postMessage") == []


async def test_a_whole_campaign_through_slack(world: World) -> None:
    response = await world.command("ULEAD", "start <@UANNA|anna> <#CTEAM|team> deadline 2099-12-31")
    assert response.status == 200
    started = " ".join(json.dumps(r) for r in world.fake.responses)
    assert "has started for 2 people" in started  # Anna once, Bram via the channel, no bot
    opened = {p["users"] for p in world.fake.called("conversations.open")}
    assert opened == {"UANNA", "UBRAM"}
    first = world.fake.posts_to("DUANNA")[-1]
    assert "[1/9]" in blocks_text(first)
    buttons = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons and buttons[0]["action_id"] == "q:discipline|0"
    bram = world.fake.posts_to("DUBRAM")
    assert "Hoi" in blocks_text(bram[0])  # Bram's locale is Dutch

    message = {"ts": "99.1", "text": "q", "blocks": first["blocks"]}
    await world.click("UANNA", buttons[2]["action_id"], buttons[2]["value"], message)
    assert (await answers(world, "UANNA"))["discipline"].choices == ("sales",)
    update = world.fake.called("chat.update")[-1]
    assert update["ts"] == "99.1"
    assert all(b["type"] != "actions" for b in update["blocks"])  # cannot be clicked again

    await world.dm("UANNA", "We make &lt;!channel&gt; clothes &amp; more", event_id="EvMission")
    assert (await answers(world, "UANNA"))["mission"].text == "We make <!channel> clothes & more"
    posts_before = len(world.fake.called("chat.postMessage"))
    again = await world.dm(
        "UANNA", "We make &lt;!channel&gt; clothes &amp; more", event_id="EvMission", retry=1
    )
    assert again.status == 200
    assert len(world.fake.called("chat.postMessage")) == posts_before  # redelivery: no effect
    for post in world.fake.called("chat.postMessage"):
        assert "<!channel>" not in blocks_text(post)

    await world.dm("UANNA", "x" * 100_000)
    refusal, asked_again = world.fake.posts_to("DUANNA")[-2:]
    assert "100,000 characters; the limit is 4,000" in blocks_text(refusal)
    assert "[3/9]" in blocks_text(asked_again)
    assert "goals" not in await answers(world, "UANNA")

    await world.command("ULEAD", "draft")
    assert world.fake.called("files.getUploadURLExternal")
    completed = world.fake.called("files.completeUploadExternal")[-1]
    assert completed["channel_id"] == "DULEAD"
    docx_bytes = next(data for data in world.fake.uploads.values() if data[:2] == b"PK")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(docx_bytes)).paragraphs)
    assert "We make <!channel> clothes & more" in text


async def test_hostile_requests_get_4xx_or_a_clear_answer_never_5xx(world: World) -> None:
    assert (await world.post("{not json")).status < 500
    odd = {
        "type": "view_submission",
        "user": {"id": "UANNA"},
        "view": {"callback_id": "imvo_start"},
    }
    response = await world.post(form(odd), content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status < 500
    assert (
        await world.post("payload=%7Bbroken", content_type="application/x-www-form-urlencoded")
    ).status < 500
    response = await world.click("UANNA", "no-such-action-without-bar", "x")
    assert response.status == 200
    response = await world.click("UANNA", "q:discipline|0", "purchasing")  # no campaign at all
    assert response.status == 200
    assert "not taking part in a running poll" in blocks_text(world.fake.posts_to("DUANNA")[-1])
    response = await world.command("UANNA", "start all")
    assert "Only a CSR lead" in json.dumps(world.fake.responses[-1])
    assert await world.server.app.store.latest_campaign() is None


async def test_fan_out_honours_rate_limits_and_sends_each_poll_once(world: World) -> None:
    for i in range(12):
        world.fake.add_user(f"UP{i:02d}", f"Person {i}")
    world.fake.channels["CBIG"] = [f"UP{i:02d}" for i in range(12)]
    world.fake.rate_limited_for = {"chat.postMessage": 3}  # three 429s with Retry-After: 1
    outbox = world.server.app.services.outbox
    assert outbox is not None
    outbox.pace.start_rate = 50.0
    started = time.monotonic()
    await world.command("ULEAD", "start <#CBIG|big>")
    assert world.server.app.services.outbox is not None
    await world.server.app.services.outbox.run()
    posts = [
        p["channel"]
        for p in world.fake.called("chat.postMessage")
        if p["channel"].startswith("DUP")
    ]
    assert sorted(posts) == sorted(f"DUP{i:02d}" for i in range(12))  # each exactly once
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    rate = await outbox.pace.rate("slack:T1")
    assert rate is not None and rate < 50.0  # the workspace budget slowed down


async def test_app_home_shows_progress_and_role_actions(world: World) -> None:
    await world.command("ULEAD", "start <@UANNA>")

    async def home(user: str) -> str:
        world.events += 1
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "event_id": f"EvHome{world.events}",
                "event": {"type": "app_home_opened", "user": user, "tab": "home"},
            }
        )
        assert (await world.post(body)).status == 200
        published = world.fake.called("views.publish")[-1]
        assert published["user_id"] == user
        return json.dumps(published["view"])

    anna = await home("UANNA")
    assert (
        "question 1 of 9" in anna
        and "Continue the poll" in anna
        and "Compile the draft" not in anna
    )
    lead = await home("ULEAD")
    assert "Compile the draft" in lead
    # A click in the Home tab has no channel: the answer goes to the person's DM.
    payload = {
        "type": "block_actions",
        "user": {"id": "UANNA", "team_id": "T1"},
        "team": {"id": "T1"},
        "view": {"type": "home"},
        "actions": [{"action_id": "cmd|0", "value": "continue", "action_ts": "77.1"}],
    }
    await world.post(form(payload), content_type="application/x-www-form-urlencoded")
    assert "[1/9]" in blocks_text(world.fake.posts_to("DUANNA")[-1])
    payload["user"] = {"id": "UANNA", "team_id": "T1"}
    payload["actions"] = [{"action_id": "cmd|2", "value": "draft", "action_ts": "77.2"}]
    await world.post(form(payload), content_type="application/x-www-form-urlencoded")
    assert "Only a CSR lead" in blocks_text(world.fake.posts_to("DUANNA")[-1])


async def test_start_without_arguments_opens_a_form_that_starts_the_campaign(world: World) -> None:
    await world.command("ULEAD", "start")
    opened = world.fake.called("views.open")[-1]
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == "imvo_start"
    assert {b.get("block_id") for b in view["blocks"]} >= {
        "people",
        "channels",
        "everyone",
        "deadline",
    }
    assert await world.server.app.store.latest_campaign() is None

    submission = {
        "type": "view_submission",
        "user": {"id": "ULEAD", "team_id": "T1"},
        "team": {"id": "T1"},
        "view": {
            "type": "modal",
            "id": "V1",
            "hash": "h1",
            "callback_id": "imvo_start",
            "state": {
                "values": {
                    "people": {
                        "people": {"type": "multi_users_select", "selected_users": ["UANNA"]}
                    },
                    "channels": {"channels": {"selected_conversations": []}},
                    "everyone": {"everyone": {"selected_options": []}},
                    "deadline": {"deadline": {"selected_date": "2099-06-30"}},
                }
            },
        },
    }
    response = await world.post(form(submission), content_type="application/x-www-form-urlencoded")
    assert response.status == 200
    campaign = await world.server.app.store.latest_campaign()
    assert campaign is not None and str(campaign.deadline) == "2099-06-30"
    assert "[1/9]" in blocks_text(world.fake.posts_to("DUANNA")[-1])
    assert "has started for 1 person." in " ".join(
        blocks_text(p) for p in world.fake.posts_to("DULEAD")
    )


async def test_digest_in_slack_and_the_weekly_digest_by_dm(world: World) -> None:
    from bot.core.domain import PersonKey, Role

    store = world.server.app.store
    await world.command("ULEAD", "start <@UANNA> <@UBRAM>")
    await world.command("ULEAD", "digest")
    assert (
        "IMVO digest" in json.dumps(world.fake.responses[-1])
        or "digest" in json.dumps(world.fake.responses[-1]).lower()
    )
    manager = PersonKey("slack", "T1", "UBRAM")
    await store.set_role(manager, Role.MANAGER, True)
    campaign = await store.latest_campaign()
    assert campaign is not None
    from bot.reporting.digest_delivery import deliver_digest

    person = await store.get_person(manager)
    assert person is not None
    delivery = await deliver_digest(world.server.app.services, campaign, person)
    assert delivery.ok
    assert "#1" in blocks_text(world.fake.posts_to("DUBRAM")[-1])


async def test_an_invitation_in_doubt_is_looked_up_in_the_dm_before_it_is_sent(
    world: World,
) -> None:
    """A replica died mid-send: the replica taking over asks Slack (the DM's history, by the
    invitation's metadata) and sends only what did not arrive."""
    store = world.server.app.store
    await world.command("ULEAD", "start <@UANNA> <@UBRAM>")
    outbox = world.server.app.services.outbox
    assert outbox is not None
    await outbox.run()
    campaign = await store.latest_campaign()
    assert campaign is not None
    assert len(world.fake.posts_to("DUANNA")) == 1 and len(world.fake.posts_to("DUBRAM")) == 1
    # Pretend both invitations were again in flight at a replica that then died: Anna's had
    # reached Slack (it carries the invitation's reference), Bram's had not.
    past = datetime.now(UTC) - timedelta(hours=1)
    keys = {p.person.user_id: p.person for p in await store.participants(campaign.id)}
    anna_ref = outbox_key(campaign.id, keys["UANNA"])
    bram_ref = outbox_key(campaign.id, keys["UBRAM"])
    world.fake.history["DUBRAM"] = []  # as if Bram's never arrived
    assert world.fake.history["DUANNA"][0]["metadata"]["event_payload"] == {"ref": anna_ref}
    assert world.fake.history["DUANNA"][0]["blocks"][0]["block_id"] == anna_ref
    del world.fake.history["DUANNA"][0]["metadata"]  # a workspace that leaves metadata out
    for key in (anna_ref, bram_ref):
        with sqlite3.connect(world.server.app.services.settings.database_url[10:]) as db:
            db.execute(
                "UPDATE outbox SET state = 'sending', owner = 'dead', lease_until = ?"
                " WHERE key = ?",
                (past.isoformat(timespec="microseconds"), key),
            )
    before = len(world.fake.called("chat.postMessage"))
    await outbox.run()
    assert len(world.fake.posts_to("DUANNA")) == 1  # found in the DM: not sent again
    assert len(world.fake.posts_to("DUBRAM")) == 2  # not found: sent now
    assert len(world.fake.called("chat.postMessage")) == before + 1
    assert await store.outbox_counts(campaign.id) == {"sent": 2}
    assert len(world.fake.called("conversations.history")) == 2


async def test_a_platform_refusal_during_a_command_is_explained_and_changes_nothing(
    world: World,
) -> None:
    world.fake.refusing["users.list"] = {"error": "missing_scope", "needed": "users:read"}
    response = await world.command("ULEAD", "start all")
    assert response.status == 200
    said = json.dumps(world.fake.responses[-1])
    assert "Slack refused to list the workspace's people" in said
    assert "missing_scope" in said and "users:read" in said and "reinstall" in said
    assert await world.server.app.store.latest_campaign() is None

    world.fake.refusing = {"conversations.members": {"error": "ratelimited"}}
    await world.command("ULEAD", "start <#CTEAM|team>")
    assert "try again in a minute" in json.dumps(world.fake.responses[-1])
    assert await world.server.app.store.latest_campaign() is None

    world.fake.refusing = {"conversations.members": {"error": "channel_not_found"}}
    await world.command("ULEAD", "start <#CGONE|gone>")
    assert "not recognised: &lt;#CGONE|gone&gt;" in json.dumps(world.fake.responses[-1])


async def test_the_workspace_name_is_remembered_for_the_drafts_cover(world: World) -> None:
    store = world.server.app.store
    assert await store.workspace_name("slack", "T1") == "Ateliers Fair & Co"
    assert await store.workspace_name("slack", "T-other") == ""
