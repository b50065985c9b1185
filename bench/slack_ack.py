"""Benchmark: Slack acknowledgement latency and fan-out throughput, all on 127.0.0.1.

1. Ack latency: signed Slack DM events at RATE per second for SECONDS against a real
   `imvo-bot serve` process (its Web API pointed at a local fake), and the same load against a
   bare aiohttp server in a process of its own beside it. Prints p50/p99. Target: p99 under
   250 ms.
   Then the closed-loop maximum: CLIENTS clients each sending the next request as soon as the
   last was answered, for SECONDS, against both; prints requests per second and the ratio.
   Target: the bot at least half of bare aiohttp. A second anchor, slack-bolt alone with a
   listener that does nothing, shows what Bolt costs and what the bot's own work costs.
2. Fan-out: a campaign for PEOPLE colleagues through the same server while the fake Web API
   enforces a chat.postMessage limit (token bucket, HTTP 429 with Retry-After when exceeded).
   Prints the delivery rate against the rate the limit allows (target >= 90 %), duplicates
   and losses (target 0 and 0).

    python bench/slack_ack.py                      # 200/s for 30 s, 2,000 people at 20/s
    python bench/slack_ack.py --seconds 10 --people 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    measure_fan_out,
    p50_p99,
    report_fan_out,
    serve,
    stop_server,
    wait_healthy,
    wait_listening,
)

from tests.fake_slack import FakeSlack, signed  # noqa: E402

SECRET = "bench-secret"


class LimitedSlack(FakeSlack):
    """The fake Web API with a workspace budget for chat.postMessage."""

    def __init__(self, per_second: float) -> None:
        super().__init__()
        self.per_second = per_second
        self.tokens = per_second
        self.refilled = time.monotonic()
        self.refused = 0

    def _take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.per_second, self.tokens + (now - self.refilled) * self.per_second)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def api(self, request: web.Request) -> web.Response:
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


async def closed_loop(url: str, seconds: float, clients: int, body_for: Any) -> float:
    """Requests per second that `clients` clients get answered, each sending its next request
    as soon as the last was answered."""
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
    return done / (time.perf_counter() - began)


BARE_SERVER = """
import sys
from aiohttp import web

async def ok(request):
    await request.read()
    return web.Response(text="")

app = web.Application()
app.router.add_post("/slack/events", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""

# The second anchor: slack-bolt alone (signature checked, an event listener that does nothing),
# mounted in aiohttp as `imvo-bot serve` mounts it. What the bot costs beyond Bolt is ours.
BOLT_SERVER = """
import sys
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

port, secret, api = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bolt = AsyncApp(
    client=AsyncWebClient(token="xoxb-bench", base_url=api),
    signing_secret=secret,
    process_before_response=True,
)

@bolt.event("message")
async def message(event):
    pass

async def events(request):
    return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

app = web.Application()
app.router.add_post("/slack/events", events)
web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
"""


# "30,000 deliveries per hour per workspace" (Slack's app_rate_limited page).
SLACK_EVENTS_PER_HOUR = 30_000


def dm(n: int) -> str:
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


async def main_async(args: argparse.Namespace) -> int:
    fake = LimitedSlack(per_second=0)
    fake_runner, fake_port = await serve(fake.app())
    fake.base = f"http://127.0.0.1:{fake_port}/"
    for i in range(50):
        fake.add_user(f"UL{i:02d}", f"Load {i}")
    fake.add_user("ULEAD", "Lead")
    for i in range(args.people):
        fake.add_user(f"UP{i:05d}", f"Person {i}")
    fake.channels["CALL"] = [f"UP{i:05d}" for i in range(args.people)]

    # The anchor: a bare aiohttp server, in a process of its own as the bot is.
    bare_port = args.port + 1
    bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)])
    bolt_port = args.port + 2
    bolt = subprocess.Popen(
        [sys.executable, "-c", BOLT_SERVER, str(bolt_port), SECRET, fake.base + "api/"]
    )

    tmp = tempfile.mkdtemp(prefix="imvo-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_"))}
    env.update(
        {
            "IMVO_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "IMVO_ADMINS": "slack:ULEAD",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base + "api/",
            "PYTHONPATH": str(ROOT),
        }
    )
    port = args.port
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(tmp) / "serve.log", "w"),  # noqa: SIM115 - kept open for the process
    )
    print(f"server log: {tmp}/serve.log")
    try:
        await wait_healthy(port)
        await wait_listening(bare_port)
        await wait_listening(bolt_port)
        bot_lat = await load(f"http://127.0.0.1:{port}/slack/events", args.rate, args.seconds, dm)
        bare_lat = await load(
            f"http://127.0.0.1:{bare_port}/slack/events", args.rate, args.seconds, dm
        )
        p50, p99 = p50_p99(bot_lat)
        b50, b99 = p50_p99(bare_lat)
        print(f"ack latency, {args.rate}/s for {args.seconds:.0f} s ({len(bot_lat)} requests)")
        print(f"  imvo-bot serve : p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   (target p99 < 250 ms)")
        print(f"  bare aiohttp   : p50 {b50:6.1f} ms   p99 {b99:6.1f} ms")
        bot_max = await closed_loop(
            f"http://127.0.0.1:{port}/slack/events", args.seconds, args.clients, dm
        )
        bare_max = await closed_loop(
            f"http://127.0.0.1:{bare_port}/slack/events", args.seconds, args.clients, dm
        )
        bolt_max = await closed_loop(
            f"http://127.0.0.1:{bolt_port}/slack/events", args.seconds, args.clients, dm
        )
        ratio = bot_max / bare_max
        print(f"closed-loop maximum, {args.clients} clients for {args.seconds:.0f} s")
        print(f"  imvo-bot serve : {bot_max:7.0f} requests/s")
        print(f"  bare aiohttp   : {bare_max:7.0f} requests/s")
        share = bolt_max / bare_max
        print(f"  Bolt, no work  : {bolt_max:7.0f} requests/s   ({share:.2f} of bare)")
        print(f"  ratio          : {ratio:7.2f}   (target >= 0.5)")
        hourly = SLACK_EVENTS_PER_HOUR / 3600
        print(
            f"  Slack's own event limit: {hourly:.1f} events/s per workspace; "
            f"the bot takes {bot_max / hourly:.0f} x that"
        )

        fake.per_second = args.limit
        fake.tokens = args.limit
        fake.calls.clear()
        body = urlencode(
            {
                "command": "/imvo",
                "text": "start <#CALL|all>",
                "user_id": "ULEAD",
                "team_id": "T1",
                "trigger_id": "tb",
                "response_url": fake.base + "respond/b",
            }
        )
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            headers = signed(body, SECRET, content_type="application/x-www-form-urlencoded")
            async with http.post(
                f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
            ) as r:
                assert r.status == 200, r.status
        wanted = {f"DUP{i:05d}" for i in range(args.people)}

        def delivered() -> list[str]:
            return [p["channel"] for p in fake.called("chat.postMessage")]

        posts, elapsed = await measure_fan_out(wanted, delivered, started, args.limit)
        duplicates, lost = report_fan_out(
            "fan-out", wanted, posts, elapsed, args.limit, fake.refused
        )
        return 0 if p99 < 250 and ratio >= 0.5 and duplicates == 0 and lost == 0 else 1
    finally:
        stop_server(server)
        for anchor in (bare, bolt):
            anchor.terminate()
            anchor.wait(timeout=20)
        await fake_runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="signed requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send them")
    parser.add_argument("--people", type=int, default=2000, help="size of the fan-out")
    parser.add_argument(
        "--limit", type=float, default=20.0, help="the fake's chat.postMessage limit per second"
    )
    parser.add_argument(
        "--port", type=int, default=39781, help="port for imvo-bot serve (+1: bare)"
    )
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
