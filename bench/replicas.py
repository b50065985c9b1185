"""Benchmark: fan-out with one and with two `imvo-bot serve` replicas on one PostgreSQL database.

A campaign for PEOPLE colleagues (`/imvo start all`) through a local fake Slack Web API, first
with its rate limit off, then with a workspace budget for chat.postMessage (token bucket, HTTP
429 with Retry-After when exceeded). The replicas share the outbox (leased claims) and one send
budget in the database, so two replicas must deliver everything once and together stay within
the limit one replica keeps. Prints messages per second, duplicates, losses and 429 answers.

    python bench/replicas.py                          # 5,000 people, limit 50/s
    python bench/replicas.py --people 1000 --limit 20
    IMVO_TEST_POSTGRES_URL=postgresql://me@db/bench python bench/replicas.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import serve, wait_healthy  # noqa: E402
from slack_ack import LimitedSlack  # noqa: E402

from tests.fake_slack import FakeSlack, signed  # noqa: E402
from tests.stores import postgres_server_url, with_search_path  # noqa: E402

SECRET = "bench-secret"


def invitations(fake: FakeSlack) -> Counter[str]:
    """Poll invitations per DM channel (they carry the invitation metadata)."""
    return Counter(
        channel
        for channel, messages in list(fake.history.items())
        for m in list(messages)
        if (m.get("metadata") or {}).get("event_type") == "imvo_invitation"
    )


async def one_run(people: int, replicas: int, limit: float, tmp: Path) -> dict[str, float]:
    server = postgres_server_url()
    schema = f"imvo_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f"CREATE SCHEMA {schema}")
    fake = LimitedSlack(per_second=limit)
    runner, fake_port = await serve(fake.app())
    fake.base = f"http://127.0.0.1:{fake_port}/"
    fake.add_user("ULEAD", "Sanne")
    for i in range(people - 1):
        fake.add_user(f"U{i:05d}", f"Person {i}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_"))}
    env.update(
        {
            "IMVO_DATABASE_URL": with_search_path(server, schema),
            "IMVO_ADMINS": "slack:ULEAD",
            "IMVO_LANGUAGE": "en",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base + "api/",
            "PYTHONPATH": str(ROOT),
        }
    )
    processes, ports = [], []
    for n in range(replicas):
        port = 20000 + os.getpid() % 5000 + n
        log = (tmp / f"replica-{replicas}-{limit:.0f}-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", str(port)],
                cwd=tmp,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    try:
        for port in ports:
            await wait_healthy(port)
        body = urlencode(
            {
                "command": "/imvo",
                "text": "start all",
                "user_id": "ULEAD",
                "team_id": "T1",
                "channel_id": "DULEAD",
                "trigger_id": "trig1",
                "response_url": f"{fake.base}respond/r1",
            }
        )
        headers = signed(body, SECRET, content_type="application/x-www-form-urlencoded")
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{ports[0]}/slack/events"
            async with http.post(url, data=body.encode(), headers=headers) as response:
                assert response.status == 200, response.status
        deadline = started + (people / limit * 3 if limit else 120) + 60
        while time.monotonic() < deadline and len(invitations(fake)) < people:
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        await asyncio.sleep(2)  # anything sent late would show up as a duplicate now
        got = invitations(fake)
        return {
            "rate": len(got) / elapsed,
            "seconds": elapsed,
            "duplicates": sum(n - 1 for n in got.values()),
            "lost": people - len(got),
            "refused": fake.refused,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
        await runner.cleanup()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def main_async(args: argparse.Namespace) -> int:
    print(f"Fan-out to {args.people:,} people through a fake Slack Web API, PostgreSQL store")
    columns = ("replicas", "limit", "msgs/s", "seconds", "dupl.", "lost", "429s")
    print(" ".join(f"{c:>{w}}" for c, w in zip(columns, (8, 10, 8, 8, 6, 5, 6), strict=True)))
    failed = False
    with tempfile.TemporaryDirectory(prefix="imvo-replicas-") as tmp:
        for limit in (0.0, args.limit):
            for replicas in (1, 2):
                r = await one_run(args.people, replicas, limit, Path(tmp))
                shown = "off" if not limit else f"{limit:.0f}/s"
                print(
                    f"{replicas:>8} {shown:>10} {r['rate']:>8.1f} {r['seconds']:>8.1f}"
                    f" {r['duplicates']:>6.0f} {r['lost']:>5.0f} {r['refused']:>6.0f}",
                    flush=True,
                )
                failed |= bool(r["duplicates"] or r["lost"])
    print("target: 0 duplicates and 0 lost in every run; with the limit on, two replicas")
    print("together near (not above) the limit one replica reaches")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=50.0, help="chat.postMessage per second")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
