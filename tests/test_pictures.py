"""A card's pictures (the charts of a manager digest) on every platform: Slack uploads them into
the DM after the card, Teams sends them as inline images after it, the console names them. The
card is the message: a picture that cannot be shown never fails its delivery, which would have
the outbox or a job send the card again."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.console.transport import ConsoleTransport, console_key, render
from adapters.server import Server, build_server
from adapters.teams.render import CONTENT_TYPE
from bot.core.domain import PersonKey
from bot.core.messages import Card, CardSection, Picture
from bot.core.settings import Settings
from tests.fake_slack import FakeSlack
from tests.test_slack import SECRET
from tests.test_teams import Teams, close, make
from tests.web import listen

PNG = b"\x89PNG\r\n\x1a\n"


def png(size: int) -> bytes:
    """PNG-looking bytes that do not compress: what matters here is their size and identity."""
    return PNG + os.urandom(size - len(PNG))


def digest_card(*pictures: Picture) -> Card:
    return Card(
        title="IMVO digest",
        sections=(CardSection(title="Responses", fields=(("Answered", "12 of 20"),)),),
        fallback="IMVO digest: 12 of 20 answered",
        pictures=pictures,
    )


RESPONSES = Picture("responses.png", png(12_000), "Responses per week: 3, 5, 4")
THEMES = Picture("themes.png", png(15_000), "Mentions per theme: wages 7, safety 4")


# ---------------------------------------------------------------- Slack


@dataclass
class Slack:
    fake: FakeSlack
    server: Server

    async def send(self, user: str, card: Card, ref: str = "") -> Any:
        """Through the router to the outbox's Slack client, as a digest or invitation goes."""
        to = PersonKey("slack", "T1", user)
        return await self.server.app.services.transport.send(to, card, ref)


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Slack]:
    fake = FakeSlack()
    fake_runner, fake_url = await listen(fake.app())
    fake.base = fake_url
    fake.add_user("UBRAM", "Bram")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'slack.db'}",
        draft_dir=tmp_path / "drafts",
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_url + "api/",
        language="en",
    )
    server = await build_server(settings)
    yield Slack(fake, server)
    await server.app.close()
    await fake_runner.cleanup()


async def test_slack_uploads_a_cards_pictures_once_into_the_dm_after_the_card(
    slack: Slack,
) -> None:
    delivery = await slack.send("UBRAM", digest_card(RESPONSES, THEMES), ref="digest-1")
    assert delivery.ok
    fake = slack.fake
    posts = fake.posts_to("DUBRAM")
    assert len(posts) == 1
    assert posts[0]["metadata"]["event_payload"] == {"ref": "digest-1"}  # the card carries it
    methods = [c.method for c in fake.calls]
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")
    completed = fake.called("files.completeUploadExternal")
    assert len(completed) == 1  # one upload, both files in it
    assert completed[0]["channel_id"] == "DUBRAM"
    ids = [f["id"] for f in completed[0]["files"]]
    shared = {fake.announced[i]["filename"]: fake.uploads[i] for i in ids}
    assert shared == {"responses.png": RESPONSES.data, "themes.png": THEMES.data}
    first = fake.announced[ids[0]]
    assert first["alt_txt"] == RESPONSES.alt
    assert completed[0]["files"][0]["title"] == RESPONSES.alt


async def test_slack_upload_of_an_overlong_alt_text_is_shortened_not_refused(
    slack: Slack,
) -> None:
    long = Picture("long.png", png(2_000), "figure " * 400)
    assert (await slack.send("UBRAM", digest_card(long))).ok
    (announced,) = slack.fake.announced.values()
    assert len(announced["alt_txt"]) <= 1000 and announced["alt_txt"].endswith("…")


@pytest.mark.parametrize(
    "refusal",
    [
        {"refusing": {"files.getUploadURLExternal": {"error": "not_allowed"}}},
        {"refusing": {"files.completeUploadExternal": {"error": "invalid_channel"}}},
        {"rate_limited_for": {"files.getUploadURLExternal": 1}},  # the outbox's client: no wait
    ],
    ids=["refused", "refused-at-completion", "rate-limited"],
)
async def test_a_refused_slack_upload_leaves_the_card_delivered_once(
    slack: Slack, refusal: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in refusal.items():
        setattr(slack.fake, name, value)
    with caplog.at_level(logging.WARNING, logger="imvo.slack"):
        delivery = await slack.send("UBRAM", digest_card(RESPONSES, THEMES), ref="digest-2")
    assert delivery.ok
    assert len(slack.fake.posts_to("DUBRAM")) == 1
    asked = len(slack.fake.called("files.getUploadURLExternal"))
    completed = len(slack.fake.called("files.completeUploadExternal"))
    assert asked <= 2 and completed <= 1  # one attempt, nothing tried again
    assert "picture(s) of a card were not uploaded to DUBRAM" in caplog.text


async def test_a_slack_card_without_pictures_uploads_nothing(slack: Slack) -> None:
    assert (await slack.send("UBRAM", digest_card())).ok
    assert len(slack.fake.posts_to("DUBRAM")) == 1
    assert not [c for c in slack.fake.calls if c.method.startswith("files.")]


# ---------------------------------------------------------------- Teams

ANNA = PersonKey("teams", "tenant-1", "aad-anna")
CONVERSATION = "conv-aad-anna"


@pytest.fixture
async def teams(tmp_path: Path) -> AsyncIterator[Teams]:
    world, cleanup = await make(tmp_path)
    await world.post(world.install("aad-anna", "Anna"))  # stores where Anna can be reached
    world.fake.sent.clear()  # the welcome
    yield world
    await close(world, cleanup)


async def send_teams(t: Teams, card: Card) -> Any:
    return await t.server.app.services.transport.send(ANNA, card)


def is_image(activity: dict[str, Any]) -> bool:
    return any(a.get("contentType") == "image/png" for a in activity.get("attachments") or [])


def is_card(activity: dict[str, Any]) -> bool:
    return any(a.get("contentType") == CONTENT_TYPE for a in activity.get("attachments") or [])


async def test_teams_sends_a_cards_pictures_as_inline_images_after_it(teams: Teams) -> None:
    big = Picture("big.png", png(40_000), "Answers per discipline: sales 4, hr 3")
    assert (await send_teams(teams, digest_card(RESPONSES, big, THEMES))).ok
    sent = teams.fake.to(CONVERSATION)
    assert len(sent) == 4
    card, first, instead, last = sent
    assert is_card(card)
    assert is_image(first) and is_image(last) and not is_image(instead)
    for activity, picture in ((first, RESPONSES), (last, THEMES)):
        (attachment,) = activity["attachments"]
        prefix, encoded = attachment["contentUrl"].split(",", 1)
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(encoded) == picture.data
        assert attachment["name"] == picture.name
        assert activity["text"] == picture.alt
    # Too big for one activity: its figures arrive in words.
    assert instead["text"] == big.alt and not instead.get("attachments")
    assert all(len(json.dumps(a).encode()) <= 28_000 for a in sent)


async def test_a_failing_teams_picture_leaves_the_card_delivered(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    teams.fake.refusing = lambda a: 403 if a.get("text") == RESPONSES.alt else None
    with caplog.at_level(logging.WARNING, logger="imvo.teams"):
        delivery = await send_teams(teams, digest_card(RESPONSES, THEMES))
    assert delivery.ok
    sent = teams.fake.to(CONVERSATION)
    assert len([a for a in sent if is_card(a)]) == 1
    assert [status for status, _ in teams.fake.refused] == [403]  # not tried again
    assert [a["text"] for a in sent if is_image(a)] == [THEMES.alt]  # the next one still goes
    assert "picture (1 of 2) was not sent: 403" in caplog.text


async def test_a_throttled_teams_picture_is_tried_once_more(teams: Teams) -> None:
    throttled = [429]
    teams.fake.refusing = lambda a: throttled.pop() if is_image(a) and throttled else None
    assert (await send_teams(teams, digest_card(RESPONSES))).ok
    sent = teams.fake.to(CONVERSATION)
    assert [status for status, _ in teams.fake.refused] == [429]
    assert len(sent) == 2 and is_card(sent[0]) and sent[1]["text"] == RESPONSES.alt


async def test_when_teams_keeps_throttling_the_other_pictures_are_left(teams: Teams) -> None:
    teams.fake.refusing = lambda a: 429 if is_image(a) else None
    assert (await send_teams(teams, digest_card(RESPONSES, THEMES))).ok
    assert [is_card(a) for a in teams.fake.to(CONVERSATION)] == [True]
    assert [s for s, _ in teams.fake.refused] == [429, 429]  # the first, and once more


async def test_a_teams_card_without_pictures_is_one_activity(teams: Teams) -> None:
    assert (await send_teams(teams, digest_card())).ok
    sent = teams.fake.to(CONVERSATION)
    assert len(sent) == 1 and is_card(sent[0])


# ---------------------------------------------------------------- console


def test_the_console_names_each_picture_after_the_card() -> None:
    nameless = Picture("trend.png", b"", "")
    card = digest_card(RESPONSES, Picture("t.png", b"", "Mentions\nper theme:  wages 7"), nameless)
    assert render(card) == "\n".join(
        [
            card.plain(),
            "[📊 Responses per week: 3, 5, 4]",
            "[📊 Mentions per theme: wages 7]",
            "[📊 trend.png]",
        ]
    )
    assert render(digest_card()) == digest_card().plain()  # without pictures: as before


async def test_the_console_shows_the_chart_lines_to_the_person_at_the_terminal() -> None:
    shown: list[str] = []
    me = console_key("bram")
    transport = ConsoleTransport(me=me, show=lambda m: shown.append(render(m)))
    assert (await transport.send(me, digest_card(THEMES))).ok
    assert shown[0].endswith("\n[📊 Mentions per theme: wages 7, safety 4]")
