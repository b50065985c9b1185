"""Benchmark: Teams activity latency and proactive fan-out, all on 127.0.0.1.

1. Latency: message activities at RATE per second for SECONDS against a real `imvo-bot serve`
   (unauthenticated, loopback connector), beside a bare aiohttp handler. Target p99 < 500 ms.
2. Fan-out: PEOPLE installed colleagues get the poll proactively while the fake connector
   allows LIMIT proactive messages per second (HTTP 429 + Retry-After above it). Target: >= 90 %
   of that rate, 0 duplicates, 0 lost.

    python bench/teams_ack.py
    python bench/teams_ack.py --seconds 10 --people 300
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
)

from tests.fake_teams import FakeConnector, activity  # noqa: E402


class LimitedConnector(FakeConnector):
    """The fake connector with a per-app budget for every message the bot sends (a proactive
    message to a stored conversation is posted as a reply to its last activity, so both count)."""

    def __init__(self) -> None:
        super().__init__()
        self.per_second = 0.0
        self.tokens = 0.0
        self.refilled = time.monotonic()
        self.refused = 0

    async def post(self, request: web.Request) -> web.Response:
        if self.per_second:
            now = time.monotonic()
            self.tokens = min(
                self.per_second, self.tokens + (now - self.refilled) * self.per_second
            )
            self.refilled = now
            if self.tokens < 1:
                self.refused += 1
                return web.json_response(
                    {"error": "throttled"}, status=429, headers={"Retry-After": "1"}
                )
            self.tokens -= 1
        return await super().post(request)


async def blast(url: str, bodies: list[str], rate: float) -> list[float]:
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:

        async def one(body: str) -> None:
            started = time.perf_counter()
            headers = {"Content-Type": "application/json"}
            async with http.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                if response.status >= 500:
                    raise RuntimeError(f"HTTP {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        tasks = []
        for n, body in enumerate(bodies):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return latencies


async def main_async(args: argparse.Namespace) -> int:
    fake = LimitedConnector()
    fake_runner, fake_port = await serve(fake.app())
    service = f"http://127.0.0.1:{fake_port}"
    bare = web.Application()

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    bare.router.add_post("/api/messages", ok)
    bare_runner, bare_port = await serve(bare)
    tmp = tempfile.mkdtemp(prefix="imvo-teams-bench-")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_", "Microsoft"))
    }
    env.update(
        {
            "IMVO_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "IMVO_ADMINS": "teams:aad-lead",
            "PYTHONPATH": str(ROOT),
        }
    )
    log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115 - kept open for the process
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(args.port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{args.port}/api/messages"
    try:
        await wait_healthy(args.port)
        users = ["aad-lead"] + [f"aad-{i:05d}" for i in range(args.people)]
        installs = [
            json.dumps(
                activity(
                    "conversationUpdate",
                    service,
                    user=u,
                    name=u,
                    members_added=[{"id": f"29:{u}", "name": u, "aadObjectId": u}],
                )
            )
            for u in users
        ]
        await blast(url, installs, 200)
        talkers = [
            f"aad-{i % max(1, args.people):05d}" for i in range(int(args.rate * args.seconds))
        ]
        bodies = [
            json.dumps(activity("message", service, user=u, name=u, text=f"hello {n}"))
            for n, u in enumerate(talkers)
        ]
        bot_lat = await blast(url, bodies, args.rate)
        bare_lat = await blast(f"http://127.0.0.1:{bare_port}/api/messages", bodies, args.rate)
        p50, p99 = p50_p99(bot_lat)
        b50, b99 = p50_p99(bare_lat)
        print(
            f"activity latency, {args.rate:.0f}/s for {args.seconds:.0f} s ({len(bot_lat)} in all)"
        )
        print(f"  imvo-bot serve : p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   (target p99 < 500 ms)")
        print(f"  bare aiohttp   : p50 {b50:6.1f} ms   p99 {b99:6.1f} ms")

        fake.sent.clear()
        fake.per_second = args.limit
        fake.tokens = args.limit
        started = time.monotonic()
        await blast(
            url,
            [
                json.dumps(
                    activity("message", service, user="aad-lead", name="Lead", text="start all")
                )
            ],
            1,
        )
        wanted = {f"conv-aad-{i:05d}" for i in range(args.people)}

        def delivered() -> list[str]:
            return [c for c, a in fake.sent if a.get("attachments")]

        polls, elapsed = await measure_fan_out(wanted, delivered, started, args.limit)
        duplicates, lost = report_fan_out(
            "proactive fan-out", wanted, polls, elapsed, args.limit, fake.refused
        )
        return 0 if p99 < 500 and duplicates == 0 and lost == 0 else 1
    finally:
        stop_server(server)
        await bare_runner.cleanup()
        await fake_runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="activities per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument(
        "--limit", type=float, default=50.0, help="proactive messages per second allowed"
    )
    parser.add_argument("--port", type=int, default=39782)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
