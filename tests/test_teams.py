"""Teams end to end: the real CloudAdapter over HTTP on 127.0.0.1 with Teams-shaped activities,
against a local fake Bot Framework connector that records what the bot sends."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.server import Server, build_server, check_unauthenticated
from bot.core.domain import PersonKey
from bot.core.settings import Settings, SettingsError
from tests.fake_teams import FakeConnector, activity
from tests.web import listen


@dataclass
class Teams:
    fake: FakeConnector
    fake_url: str
    server: Server
    url: str
    http: aiohttp.ClientSession

    async def post(
        self, body: Any, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        data = body if isinstance(body, str) else json.dumps(body)
        response = await self.http.post(
            self.url + "api/messages",
            data=data.encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        await response.read()
        if self.server.teams is not None:
            await self.server.teams.drain()
        return response

    def install(self, user: str, name: str, locale: str = "en-US") -> dict[str, Any]:
        member = {"id": f"29:{user}", "name": name, "aadObjectId": user}
        return activity("conversationUpdate", self.fake_url, user=user, name=name, locale=locale,
                        members_added=[member])  # fmt: skip


async def make(tmp_path: Path, app_id: str = "") -> tuple[Teams, list[Any]]:
    fake = FakeConnector()
    fake_runner, fake_url = await listen(fake.app())
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'teams.db'}",
        draft_dir=tmp_path / "drafts",
        admins=("teams:aad-lead",),
        language="en",
        anonymity_min=1,  # a handful of fake colleagues: their words may show in the draft
        teams_app_id=app_id,
        teams_app_password="secret" if app_id else "",
    )
    server = await build_server(settings)
    runner, url = await listen(server.web)
    http = aiohttp.ClientSession()
    return Teams(fake, fake_url.rstrip("/"), server, url, http), [http, runner, fake_runner]


async def close(world: Teams, cleanup: list[Any]) -> None:
    """Closes what `make` opened."""
    await cleanup[0].close()
    await cleanup[1].cleanup()
    await world.server.app.close()
    await cleanup[2].cleanup()


@pytest.fixture
async def teams(tmp_path: Path) -> AsyncIterator[Teams]:
    world, cleanup = await make(tmp_path)
    yield world
    await close(world, cleanup)


def cards(activities: list[dict[str, Any]]) -> str:
    return json.dumps(activities)


async def answers(t: Teams, user: str) -> dict[str, Any]:
    store = t.server.app.store
    campaign = await store.latest_campaign()
    assert campaign is not None
    stored = await store.answers_of(campaign.id, PersonKey("teams", "tenant-1", user))
    return {a.question_id: a for a in stored}


async def test_install_welcome_start_card_answers_and_redelivery(teams: Teams) -> None:
    assert (await teams.post(teams.install("aad-lead", "Sanne"))).status in (200, 201)
    assert (await teams.post(teams.install("aad-anna", "Anna"))).status in (200, 201)
    assert "I am the IMVO bot" in cards(teams.fake.to("conv-aad-anna"))

    start = activity("message", teams.fake_url, user="aad-lead", name="Sanne", text="start all")
    assert (await teams.post(start)).status in (200, 201)
    assert "has started for 2 people" in cards(teams.fake.to("conv-aad-lead"))
    poll = teams.fake.to("conv-aad-anna")[-1]
    card = poll["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert "1/9" in json.dumps(card)
    submit = next(a for a in card.get("actions", []) if a["type"] == "Action.Submit")
    assert submit["title"] == "Send"  # from content/, in the person's language
    # Teams merges the card's inputs (the ChoiceSet "value") into the submitted data.
    data = {**submit["data"], "value": "sales"}
    click = activity("message", teams.fake_url, value=data, activity_id="act-click-1")
    click["replyToId"] = "act-card-7"
    await teams.post(click)
    assert teams.fake.updated and teams.fake.updated[-1][1] == "act-card-7"
    assert (
        "attachments" not in teams.fake.updated[-1][2]
        or not teams.fake.updated[-1][2]["attachments"]
    )
    first = await answers(teams, "aad-anna")
    assert first["discipline"].choices == ("sales",)
    sent_before = len(teams.fake.sent)
    await teams.post(click)  # Teams redelivers the same activity id
    assert len(teams.fake.sent) == sent_before

    await teams.post(activity("message", teams.fake_url, text="We make [x](http://evil) clothes"))
    assert (await answers(teams, "aad-anna"))["mission"].text == "We make [x](http://evil) clothes"
    assert "](http://evil)" not in cards(teams.fake.to("conv-aad-anna")[-3:])


async def test_unauthenticated_mode_only_talks_to_loopback(teams: Teams) -> None:
    forged = activity("message", "https://evil.example.com", text="help")
    response = await teams.post(forged)
    assert response.status == 403
    assert teams.fake.sent == []
    assert (
        await teams.server.app.store.get_person(PersonKey("teams", "tenant-1", "aad-anna")) is None
    )


async def test_hostile_activities_get_4xx_never_5xx(teams: Teams) -> None:
    assert (await teams.post("{not json")).status == 400
    assert (await teams.post({"no": "type"})).status == 400
    odd = activity("someUnknownType", teams.fake_url)
    assert (await teams.post(odd)).status < 500
    broken = activity("message", teams.fake_url, text="help")
    broken["from"] = "not an account"
    assert (await teams.post(broken)).status < 500
    huge = activity("message", teams.fake_url, text="x" * 100_000)
    assert (await teams.post(huge)).status < 500
    assert "100,000 characters; the limit is 4,000" in cards(teams.fake.to("conv-aad-anna"))


async def test_with_credentials_a_missing_or_forged_token_gets_401(tmp_path: Path) -> None:
    world, cleanup = await make(tmp_path, app_id="00000000-0000-0000-0000-000000000001")
    try:
        body = activity("message", "https://smba.trafficmanager.net/emea/", text="start all")
        assert (await world.post(body)).status == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."}
        assert (await world.post(body, forged)).status == 401
        assert world.fake.sent == []
        assert await world.server.app.store.latest_campaign() is None
    finally:
        await close(world, cleanup)


def test_refuses_to_serve_unauthenticated_on_a_public_host() -> None:
    with pytest.raises(SettingsError, match="IMVO_ALLOW_UNAUTHENTICATED"):
        check_unauthenticated(Settings(), "0.0.0.0")
    check_unauthenticated(Settings(), "127.0.0.1")
    check_unauthenticated(Settings(allow_unauthenticated=True), "0.0.0.0")
    check_unauthenticated(Settings(teams_app_id="x"), "0.0.0.0")


async def test_the_draft_reaches_the_lead_through_a_file_consent_card(teams: Teams) -> None:
    import io

    import docx

    await teams.post(teams.install("aad-lead", "Sanne"))
    await teams.post(teams.install("aad-anna", "Anna"))
    await teams.post(
        activity("message", teams.fake_url, user="aad-lead", name="Sanne", text="start all")
    )
    await teams.post(
        activity("message", teams.fake_url, value={"imvo": "q:discipline", "value": "hr"})
    )
    await teams.post(activity("message", teams.fake_url, text="Our mission is fair fashion."))
    await teams.post(
        activity("message", teams.fake_url, user="aad-lead", name="Sanne", text="draft")
    )
    consents = [
        a["attachments"][0]
        for a in teams.fake.to("conv-aad-lead")
        if a.get("attachments") and a["attachments"][0]["contentType"].endswith("file.consent")
    ]
    assert {c["name"].rsplit(".", 1)[1] for c in consents} == {"docx", "md", "xlsx"}
    word = next(c for c in consents if c["name"].endswith(".docx"))
    accept = activity("invoke", teams.fake_url, user="aad-lead", name="Sanne")
    accept["name"] = "fileConsent/invoke"
    accept["value"] = {
        "type": "fileUpload",
        "action": "accept",
        "context": word["content"]["acceptContext"],
        "uploadInfo": {
            "name": word["name"],
            "uploadUrl": f"{teams.fake_url}/upload/{word['name']}",
            "contentUrl": "https://contoso.sharepoint.com/draft.docx",
            "uniqueId": "u1",
            "fileType": "docx",
        },
    }
    # The accept may land on another replica, without the draft folder: the file comes from the
    # database.
    shutil.rmtree(teams.server.app.services.settings.draft_dir)
    response = await teams.post(accept)
    assert response.status == 200
    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(teams.fake.uploads[word["name"]])).paragraphs
    )
    assert "Our mission is fair fashion." in text
    info = teams.fake.to("conv-aad-lead")[-1]["attachments"][0]
    assert info["contentType"].endswith("file.info")

    forged = dict(accept, value=dict(accept["value"], context={"path": "/etc/passwd"}))
    forged["id"] = "forged-1"
    assert (await teams.post(forged)).status == 400
    elsewhere = dict(accept["value"]["uploadInfo"], uploadUrl="https://evil.example/upload")
    forged = dict(accept, id="forged-2", value=dict(accept["value"], uploadInfo=elsewhere))
    assert (await teams.post(forged)).status == 400  # unauthenticated: loopback uploads only

    gone = dict(accept, id="accept-2", value=dict(accept["value"], context={"draft": 99999}))
    assert (await teams.post(gone)).status == 200
    assert "no longer kept" in cards(teams.fake.to("conv-aad-lead")[-1:])
    refused = dict(accept["value"]["uploadInfo"], uploadUrl=f"{teams.fake_url}/refuse/x")
    again = dict(accept, id="accept-3", value=dict(accept["value"], uploadInfo=refused))
    assert (await teams.post(again)).status == 200
    assert "Teams did not take the file" in cards(teams.fake.to("conv-aad-lead")[-1:])


async def test_a_message_in_a_team_channel_never_moves_the_personal_chat(teams: Teams) -> None:
    await teams.post(teams.install("aad-anna", "Anna"))
    store = teams.server.app.store
    key = PersonKey("teams", "tenant-1", "aad-anna")
    personal = await store.address(key)
    assert personal is not None and "conv-aad-anna" in personal

    channel = activity("message", teams.fake_url, text="<at>IMVO bot</at> help")
    channel["conversation"] = {
        "id": "19:team-general@thread.tacv2",
        "conversationType": "channel",
        "tenantId": "tenant-1",
    }
    assert (await teams.post(channel)).status in (200, 201)
    assert await store.address(key) == personal  # the poll still goes to the personal chat
    assert "What I can do" in cards(teams.fake.to("19:team-general@thread.tacv2"))

    team_install = teams.install("aad-bram", "Bram")
    team_install["conversation"] = dict(channel["conversation"])
    await teams.post(team_install)
    assert await store.address(PersonKey("teams", "tenant-1", "aad-bram")) is None


async def test_start_all_in_a_team_channel_reaches_the_team_members(teams: Teams) -> None:
    await teams.post(teams.install("aad-lead", "Sanne"))
    team = "19:team-1@thread.tacv2"
    teams.fake.team_members[team] = [
        {"id": "29:aad-kim", "name": "Kim", "aadObjectId": "aad-kim", "userPrincipalName": "kim@x"},
        {
            "id": "29:aad-lead",
            "name": "Sanne",
            "aadObjectId": "aad-lead",
            "userPrincipalName": "s@x",
        },
    ]
    start = activity("message", teams.fake_url, user="aad-lead", name="Sanne",
                     text="<at>IMVO bot</at> start all")  # fmt: skip
    start["conversation"] = {"id": team, "conversationType": "channel", "tenantId": "tenant-1"}
    start["channelData"] = {"tenant": {"id": "tenant-1"}, "team": {"id": team}}
    assert (await teams.post(start)).status in (200, 201)
    assert [c["members"][0]["id"] for c in teams.fake.created] == ["29:aad-kim"]
    store = teams.server.app.store
    assert await store.address(PersonKey("teams", "tenant-1", "aad-kim")) is not None
    kim = teams.fake.to("conv-new-29:aad-kim")
    assert kim and "1/9" in json.dumps(kim[-1])


async def test_a_personal_install_welcomes_once_and_start_all_reaches_the_person(
    teams: Teams,
) -> None:
    # A personal install: Teams adds only the bot (the person is `from`), then sends an
    # installationUpdate; either may come again.
    bot = {"id": "28:imvo-bot", "name": "IMVO bot"}
    added = activity("conversationUpdate", teams.fake_url, user="aad-bram", name="Bram",
                     locale="nl-NL", members_added=[bot])  # fmt: skip
    installed = activity("installationUpdate", teams.fake_url, user="aad-bram", name="Bram",
                         locale="nl-NL") | {"action": "add"}  # fmt: skip
    for body in (added, installed, added, installed):
        assert (await teams.post(body)).status in (200, 201)
    welcomes = teams.fake.to("conv-aad-bram")
    assert len(welcomes) == 1 and "IMVO" in cards(welcomes)
    assert teams.fake.to("conv-aad-bram")[0]["text"].startswith(("Hoi", "Welkom", "Hallo"))

    await teams.post(teams.install("aad-lead", "Sanne"))
    start = activity("message", teams.fake_url, user="aad-lead", name="Sanne", text="start all")
    await teams.post(start)
    assert "has started for 2 people" in cards(teams.fake.to("conv-aad-lead"))  # Sanne, Bram
    assert "1/9" in cards(teams.fake.to("conv-aad-bram")[1:])


async def test_universal_actions_answer_and_refresh_the_card(teams: Teams) -> None:
    await teams.post(teams.install("aad-lead", "Sanne"))
    await teams.post(teams.install("aad-anna", "Anna"))
    start = activity("message", teams.fake_url, user="aad-lead", name="Sanne", text="start all")
    await teams.post(start)
    card = teams.fake.to("conv-aad-anna")[-1]["attachments"][0]["content"]
    submit = next(a for a in card.get("actions", []) if a["type"] == "Action.Submit")
    execute = activity("invoke", teams.fake_url, activity_id="inv-1") | {
        "name": "adaptiveCard/action",
        "value": {
            "action": {"type": "Action.Execute", "verb": "answer",
                       "data": {**submit["data"], "value": "sales"}},
            "trigger": "manual",
        },
    }  # fmt: skip
    response = await teams.post(execute)
    assert response.status == 200
    refreshed = await response.json()
    assert refreshed["statusCode"] == 200
    assert refreshed["type"] == "application/vnd.microsoft.card.adaptive"
    assert "sales" in json.dumps(refreshed["value"]) and "actions" not in refreshed["value"]
    assert (await answers(teams, "aad-anna"))["discipline"].choices == ("sales",)
    assert "2/9" in cards(teams.fake.to("conv-aad-anna")[-1:])
    sent = len(teams.fake.sent)
    assert (await teams.post(execute)).status == 200  # redelivered: no second effect
    assert len(teams.fake.sent) == sent

    forged = execute | {"id": "inv-2", "value": {"action": {"data": "x"}}}
    response = await teams.post(forged)
    assert response.status == 400
    assert (await response.json())["statusCode"] == 400
