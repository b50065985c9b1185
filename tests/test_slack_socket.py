"""`imvo-bot slack-socket`: the same app over Socket Mode, against a local fake server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.slack.socket import check_socket_settings, run_socket_mode
from bot.core.settings import Settings, SettingsError
from tests.fake_slack import FakeSlack
from tests.web import listen


async def wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_events_and_commands_arrive_over_the_socket_and_are_acknowledged(
    tmp_path: Path,
) -> None:
    fake = FakeSlack()
    runner, url = await listen(fake.app())
    fake.base = url
    fake.add_user("ULEAD", "Sanne")
    fake.add_user("UANNA", "Anna")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'socket.db'}",
        draft_dir=tmp_path / "drafts",
        admins=("slack:ULEAD",),
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=url + "api/",
        language="en",
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(run_socket_mode(settings, stop))
    try:
        await wait_for(lambda: fake.called("apps.connections.open"))
        fake.to_socket.append(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/imvo",
                    "text": "start <@UANNA|anna>",
                    "user_id": "ULEAD",
                    "team_id": "T1",
                    "trigger_id": "t1",
                    "response_url": url + "respond/r1",
                },
            }
        )
        await wait_for(lambda: any(a.get("envelope_id") == "env-1" for a in fake.from_socket))
        await wait_for(lambda: fake.posts_to("DUANNA"))
        fake.to_socket.append(
            {
                "envelope_id": "env-2",
                "type": "events_api",
                "accepts_response_payload": False,
                "payload": {
                    "type": "event_callback",
                    "team_id": "T1",
                    "event_id": "EvS1",
                    "event": {
                        "type": "message",
                        "channel_type": "im",
                        "channel": "DUANNA",
                        "user": "UANNA",
                        "text": "3",
                        "ts": "5.0",
                    },
                },
            }
        )
        await wait_for(lambda: any(a.get("envelope_id") == "env-2" for a in fake.from_socket))
        await wait_for(lambda: len(fake.posts_to("DUANNA")) >= 3)
        assert "[2/9]" in str(fake.posts_to("DUANNA")[-1]["blocks"])
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
        await runner.cleanup()


def test_socket_mode_needs_both_tokens() -> None:
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        check_socket_settings(Settings(slack_bot_token="xoxb-1"))
    with pytest.raises(SettingsError, match="xapp-"):
        check_socket_settings(Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-2"))
