"""The load `bench/slack_ack.py` sends: the fake Web API with a send limit, signed direct
messages ("hello n" from people in no campaign, or answers to the waiting poll question), the
slash command that starts a campaign, and the two ways of sending them (a fixed rate, a closed
loop)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fake_slack import FakeSlack, signed

SECRET = "bench-secret"


class LimitedSlack(FakeSlack):
    """The fake Web API with a workspace budget for chat.postMessage."""

    def __init__(self, per_second: float) -> None:
        super().__init__()
        self.per_second = per_second
        self.tokens = per_second
        self.refilled = time.monotonic()
        self.refused = 0
        self.posts = 0
        self.last_post = 0.0  # time.perf_counter() of the latest chat.postMessage

    def _take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.per_second, self.tokens + (now - self.refilled) * self.per_second)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.posts += 1
            self.last_post = time.perf_counter()
        if (
            request.match_info["method"] == "chat.postMessage"
            and self.per_second
            and not self._take()
        ):
            self.refused += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        return await super().api(request)

    async def settled(self, quiet: float = 0.5) -> float:
        """Waits until no message was posted for `quiet` seconds; returns when the last came."""
        while time.perf_counter() - self.last_post < quiet:
            await asyncio.sleep(0.05)
        return self.last_post


async def load(url: str, rate: int, seconds: float, body_for: Any) -> list[float]:
    """Fires requests at `rate` per second; returns each one's latency in ms."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:

        async def one(n: int) -> None:
            body = body_for(n)
            started = time.perf_counter()
            async with http.post(url, data=body.encode(), headers=signed(body, SECRET)) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies


async def closed_loop(
    url: str, seconds: float, clients: int, body_for: Any
) -> tuple[int, float, float]:
    """`clients` clients, each sending its next request as soon as the last was answered, for
    `seconds`: how many were answered, when the first was sent and when the last answered."""
    done = 0
    stop = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client(first: int) -> None:
            nonlocal done
            n = first
            while time.perf_counter() < stop:
                body = body_for(n)
                async with http.post(url, data=body.encode(), headers=signed(body, SECRET)) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"HTTP {r.status}")
                done += 1
                n += clients

        began = time.perf_counter()
        await asyncio.gather(*(client(1_000_000 + c) for c in range(clients)))
        return done, began, time.perf_counter()


def message(team: str, user: str, event_id: str, text: str, ts: str) -> str:
    """A signed-to-be Events API body: a direct message from `user`."""
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": team,
            "event_id": event_id,
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "ts": ts,
            },
        }
    )


def dm(n: int) -> str:
    """ "hello n" from one of 50 people in no campaign."""
    user = f"UL{n % 50:02d}"
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": f"EvB{n}",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": f"hello {n}",
                "ts": f"{n}.0",
            },
        }
    )


# Each answerer answers this many steps of the poll with "1" (a pick for a choice question, a
# text otherwise; the poll has 9 questions and 4 "why"s), all within it.
STEPS = 9


class Answers:
    """Bodies that answer the question waiting for a person (a campaign in workspace `team` was
    started for `people` and their invitation delivered). Each call takes the next person in
    turn, so a person's answers are far apart and never two at once."""

    def __init__(self, team: str, people: list[str], tag: str) -> None:
        self.team, self.people, self.tag = team, people, tag
        self.sent = 0

    @property
    def beyond(self) -> int:
        """Bodies sent after every person had answered STEPS times (no longer answers)."""
        return max(0, self.sent - len(self.people) * STEPS)

    def __call__(self, n: int) -> str:
        k = self.sent
        self.sent += 1
        user = self.people[k % len(self.people)]
        return message(self.team, user, f"EvA{self.tag}{k}", "1", f"{k}.5")


def slash(user: str, team: str, text: str, base: str, n: int) -> str:
    return urlencode(
        {
            "command": "/imvo",
            "text": text,
            "user_id": user,
            "team_id": team,
            "trigger_id": f"tb{n}",
            "response_url": f"{base}respond/b{n}",
        }
    )


async def post_form(url: str, body: str) -> None:
    async with aiohttp.ClientSession() as http:
        headers = signed(body, SECRET, content_type="application/x-www-form-urlencoded")
        async with http.post(url, data=body.encode(), headers=headers) as r:
            assert r.status == 200, r.status


def add_people(fake: FakeSlack, team: str, prefix: str, count: int, channel: str) -> list[str]:
    """`count` people in workspace `team`, all in `channel`, and their lead `prefix`LEAD."""
    people = [f"{prefix}{i:05d}" for i in range(count)]
    for user in people:
        fake.add_user(user, f"Person {user}", team=team)
    fake.add_user(f"{prefix}LEAD", "Lead", team=team)
    fake.channels[channel] = people
    return people


async def invite(fake: LimitedSlack, url: str, team: str, prefix: str, people: list[str]) -> None:
    """Starts a campaign in `team` for `people` and waits until every invitation arrived."""
    channel = next(c for c, members in fake.channels.items() if members is people)
    await post_form(url, slash(f"{prefix}LEAD", team, f"start <#{channel}|x>", fake.base, 0))
    wanted = {"D" + u for u in people}
    deadline = time.monotonic() + 60 + len(people) / 20
    while not wanted <= fake.history.keys():
        if time.monotonic() > deadline:
            raise RuntimeError("the invitations did not all arrive")
        await asyncio.sleep(0.2)
