"""Two `imvo-bot serve` replicas on one PostgreSQL database, against a fake Slack Web API.

A campaign for 500 people starts on replica A; A is killed with SIGKILL in the middle of the
fan-out. Replica B takes over A's claims once their lease has run out, asks Slack (the DM's
history) about the invitations A was sending when it died, and sends the rest. Meanwhile people
answer through either replica. Everyone gets the poll exactly once, and every answer that a
replica acknowledged is stored.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from storage import open_store
from tests.fake_slack import FakeSlack, dm_event, signed
from tests.stores import postgres_schema_url
from tests.web import listen

ROOT = Path(__file__).resolve().parents[1]
SECRET = "replica-secret"
PEOPLE = 499  # plus the lead: 500 in the campaign
KILL_AFTER = 150  # invitations delivered before replica A is killed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(database: str, fake: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment of an `imvo-bot serve` process on `database` against `fake`: this
    process's own, without any IMVO_ or SLACK_ setting of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_"))}
    env.update(
        {
            "IMVO_DATABASE_URL": database,
            "IMVO_ADMINS": "slack:ULEAD",
            "IMVO_LANGUAGE": "en",
            "SLACK_BOT_TOKEN": "xoxb-replicas",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base + "api/",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


class Replica:
    """One `imvo-bot serve` process."""

    def __init__(self, name: str, env: dict[str, str], tmp_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = tmp_path / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
            cwd=tmp_path,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}/"

    async def healthy(self, http: aiohttp.ClientSession) -> None:
        for _ in range(200):
            assert self.process.poll() is None, f"replica {self.name} exited"
            try:
                async with http.get(self.url + "healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"replica {self.name} never answered /healthz")

    def tail(self) -> str:
        lines = (self.log_path.read_text(errors="replace")).splitlines()
        return f"--- replica {self.name} ---\n" + "\n".join(lines[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()


async def post(
    http: aiohttp.ClientSession, replica: Replica, body: str, content_type: str
) -> int | None:
    """Posts a signed Slack request; the status, or None when the replica did not answer."""
    headers = signed(body, SECRET, content_type=content_type)
    try:
        async with http.post(
            replica.url + "slack/events", data=body.encode(), headers=headers
        ) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return None


def slash(user: str, text: str, n: int, fake: FakeSlack) -> str:
    return urlencode(
        {
            "command": "/imvo",
            "text": text,
            "user_id": user,
            "team_id": "T1",
            "channel_id": "D" + user,
            "trigger_id": f"trig{n}",
            "response_url": f"{fake.base}respond/r{n}",
        }
    )


def invitations(fake: FakeSlack) -> Counter[str]:
    """How many poll invitations each DM channel holds (they carry the invitation metadata)."""
    return Counter(
        channel
        for channel, messages in list(fake.history.items())
        for m in list(messages)
        if (m.get("metadata") or {}).get("event_type") == "imvo_invitation"
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    runner, fake.base = await listen(fake.app())
    fake.post_delay = 0.2  # a realistic round trip, so that sends are in flight at the kill
    fake.add_user("ULEAD", "Sanne")
    for i in range(PEOPLE):
        fake.add_user(f"U{i:04d}", f"Person {i}")
    yield fake
    await runner.cleanup()


async def test_a_replica_killed_mid_fan_out_loses_and_doubles_nothing(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with postgres_schema_url() as database:
        env = serve_env(database, fake, IMVO_LEASE_SECONDS="3")
        a = Replica("a", env, tmp_path)
        b = Replica("b", env, tmp_path)
        try:
            async with aiohttp.ClientSession() as http:
                await asyncio.gather(a.healthy(http), b.healthy(http))
                acked = await run_campaign(http, fake, a, b)
        except AssertionError as failure:
            a.stop()
            b.stop()
            logs = "\n".join(r.tail() for r in (a, b))
            raise AssertionError(f"{failure}\n{logs}") from None
        finally:
            a.stop()
            b.stop()
        store = await open_store(database)
        try:
            campaign = await store.latest_campaign()
            assert campaign is not None
            people = await store.participants(campaign.id)
            assert len(people) == PEOPLE + 1
            answered = {a.person.user_id for a in await store.answers(campaign.id)}
            counts = await store.outbox_counts(campaign.id)
        finally:
            await store.close()
    assert counts == {"sent": PEOPLE + 1}, counts
    assert acked <= answered, f"acknowledged but not stored: {sorted(acked - answered)}"


async def run_campaign(
    http: aiohttp.ClientSession, fake: FakeSlack, a: Replica, b: Replica
) -> set[str]:
    """Starts the campaign on A, kills A mid fan-out, answers through both; returns the people
    whose answer a replica acknowledged."""
    acked: set[str] = set()
    form = "application/x-www-form-urlencoded"
    assert await post(http, a, slash("ULEAD", "start all", 1, fake), form) == 200
    killed = False
    answering: set[str] = set()
    everyone = {f"DU{i:04d}" for i in range(PEOPLE)} | {"DULEAD"}
    deadline = time.monotonic() + 240  # generous: CI machines are busy
    turn = 0
    while time.monotonic() < deadline:
        got = invitations(fake)
        if not killed and sum(got.values()) >= KILL_AFTER:
            a.process.send_signal(signal.SIGKILL)  # mid fan-out, mid answers
            a.process.wait()
            killed = True
        # Everyone who has the poll answers its first question, through either replica.
        for channel in sorted(set(got) - answering)[:20]:
            answering.add(channel)
            user = channel[1:]
            turn += 1
            target = b if killed or turn % 2 else a
            status = await post(http, target, dm_event(user, "1", f"Ev{user}"), "application/json")
            if status == 200:
                acked.add(user)
            elif status is None and target is a:
                answering.discard(channel)  # A died under this request: answer again via B
        if killed and set(got) >= everyone and answering >= everyone:
            await asyncio.sleep(1)  # the last sends' answers from Slack are on their way
            break
        await asyncio.sleep(0.05)
    assert killed, "the fan-out ended before the replica could be killed"
    got = invitations(fake)
    assert set(got) == everyone, f"{len(everyone - set(got))} people never got the poll"
    doubled = {c: n for c, n in got.items() if n > 1}
    assert not doubled, f"the poll was sent twice to {doubled}"
    assert len(acked) > KILL_AFTER
    print(
        f"\nkilled A after {KILL_AFTER}; {len(fake.called('conversations.history'))} invitations"
        f" in doubt looked up; {len(acked)} answers acknowledged"
    )
    return acked
