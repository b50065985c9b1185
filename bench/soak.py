"""Benchmark: a simulated week of one campaign for 10,000 people, with the server killed again
and again.

A real `imvo-bot serve` stack (the engine, the Slack adapter, the outbox, the scheduler) runs in
a child process whose clock the driver moves: 30 simulated minutes per step, a week in all. The
fake Slack Web API keeps every DM (so an invitation, reminder or digest in doubt can be
confirmed). Meanwhile:

- the lead starts the campaign for everyone (the fan-out);
- during working hours people answer, a few questions each, some events delivered twice (as
  Slack retries);
- a few people claim a theme (a claim stands after some days); a manager gets the weekly digest;
- reminders go to those who have not finished;
- every 6 simulated hours the server is killed with SIGKILL in the middle of a burst of answers
  and started again; answers it did not acknowledge are delivered again, as Slack would.

It prints the sends per kind, duplicates, lost answers (acknowledged but not stored), 5xx
answers, the database's live size at the end of each simulated day (pruning with
IMVO_RETENTION_DAYS=1, so what is pruned shows), and the server's peak RSS.
Targets: 0 duplicates, 0 lost, 0 5xx, a database size that stops growing once pruning starts.

    python bench/soak.py                         # 10,000 people, 8 days (to the second Monday)
    python bench/soak.py --people 500 --days 3   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import serve, wait_healthy  # noqa: E402

from tests.fake_slack import FakeSlack, signed  # noqa: E402

SECRET = "soak-secret"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
STEP = timedelta(minutes=30)
KILL_EVERY = 12  # steps: every 6 simulated hours
THEMES = ("living-wage", "child-labour", "forced-labour", "raw-materials", "animal-welfare")


# ----------------------------------------------------------------------- the child: serve


class FileClock:
    """The simulated time: what the driver last wrote into a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip())


async def child(clock_file: Path, port: int) -> None:
    """`imvo-bot serve` with a simulated clock and a `POST /soak/tick` that runs the scheduler
    once (the driver calls it after each step, instead of a timer)."""
    from adapters.server import build_server
    from bot.core.settings import load_settings

    server = await build_server(load_settings(os.environ), FileClock(clock_file))

    async def tick(request: web.Request) -> web.Response:
        sent = await server.app.bot.scheduler.run_due()
        return web.json_response({"sent": sent})

    server.web.router.add_post("/soak/tick", tick)
    runner = web.AppRunner(server.web, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()  # until killed


# ----------------------------------------------------------------------- the driver


class Server:
    """The child process, started again after each kill."""

    def __init__(self, env: dict[str, str], clock_file: Path, port: int, log: Path) -> None:
        self.env, self.clock_file, self.port, self.log = env, clock_file, port, log
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss_kb = 0
        self.kills = 0

    async def start(self) -> None:
        command = [sys.executable, __file__, "--child", str(self.clock_file), str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        await wait_healthy(self.port, attempts=300)

    def _note_rss(self) -> None:
        assert self.process is not None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def kill(self) -> None:
        assert self.process is not None
        self._note_rss()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self._note_rss()
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Driver:
    def __init__(self, args: argparse.Namespace, fake: FakeSlack, server: Server) -> None:
        self.args, self.fake, self.server = args, fake, server
        self.url = f"http://127.0.0.1:{server.port}/slack/events"
        self.rng = random.Random(11)
        self.users = [f"U{i:05d}" for i in range(args.people)]
        # How many answers each person will give (some none: they get the reminders).
        self.planned = {u: self.rng.choice((0, 1, 2, 3, 3, 5, 9)) for u in self.users}
        self.next_answer = Counter[str]()  # answers acknowledged so far, per person
        self.pending: dict[str, str] = {}  # person -> event id of an answer not acknowledged
        self.statuses = Counter[int]()
        self.events = 0

    async def post(self, http: aiohttp.ClientSession, body: str, content_type: str) -> int:
        headers = signed(body, SECRET, content_type=content_type)
        try:
            async with http.post(self.url, data=body.encode(), headers=headers) as response:
                await response.read()
                self.statuses[response.status] += 1
                return response.status
        except (TimeoutError, aiohttp.ClientError):
            self.statuses[0] += 1  # no answer: the server was killed mid-request
            return 0

    def dm(self, user: str, text: str, event_id: str) -> str:
        event = {"type": "message", "channel_type": "im", "channel": "D" + user, "user": user,
                 "text": text, "ts": f"{time.time():.6f}"}  # fmt: skip
        return json.dumps(
            {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": event}
        )

    def slash(self, user: str, text: str) -> str:
        self.events += 1
        return urlencode({"command": "/imvo", "text": text, "user_id": user, "team_id": "T1",
                          "trigger_id": f"trig{self.events}",
                          "response_url": f"{self.fake.base}respond/r{self.events}"})  # fmt: skip

    def invited(self) -> set[str]:
        return {
            channel[1:]
            for channel, messages in list(self.fake.history.items())
            if any(_ref(m).startswith("invite:") for m in messages)
        }

    async def answer_burst(
        self, http: aiohttp.ClientSession, limit: int, only: set[str] | None = None
    ) -> list[asyncio.Task[Any]]:
        """Starts answers from people who have the poll and still mean to answer (`only`: the
        people whose last answer was not acknowledged, delivered again)."""
        ready = [u for u in self.invited() if self.next_answer[u] < self.planned.get(u, 0)]
        if only is not None:
            ready = [u for u in ready if u in only]
        self.rng.shuffle(ready)
        slots = asyncio.Semaphore(32)

        async def one(user: str) -> None:
            async with slots:
                event_id = self.pending.get(user) or f"Ev{user}-{self.next_answer[user]}"
                self.pending[user] = event_id
                status = await self.post(http, self.dm(user, "1", event_id), "application/json")
                if status == 200:
                    self.pending.pop(user, None)
                    self.next_answer[user] += 1
                    if self.rng.random() < 0.02:  # Slack delivers it once more
                        await self.post(http, self.dm(user, "1", event_id), "application/json")

        return [asyncio.create_task(one(u)) for u in ready[:limit]]


def _ref(message: dict[str, Any]) -> str:
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    return str(payload.get("ref") or "")


PRUNED = ("events_seen", "jobs")  # what retention forgets (besides a closed campaign's sends)


def live_bytes(db: Path) -> tuple[int, dict[str, int]]:
    """The database's pages in use (a deleted row's page is reused, so this is what grows), and
    the rows of the tables retention prunes and of the answers it never prunes."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
        rows = {
            t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in (*PRUNED, "answers")
        }
    return int((pages - free) * size), rows


async def drive(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="imvo-soak-"))
    db = tmp / "soak.db"
    clock_file = tmp / "clock.txt"
    clock_file.write_text(START.isoformat())
    fake = FakeSlack()
    fake_runner, fake_port = await serve(fake.app())
    fake.base = f"http://127.0.0.1:{fake_port}/"
    fake.add_user("ULEAD", "Lead")
    fake.add_user("UMGR", "Manager")
    for i in range(args.people):
        fake.add_user(f"U{i:05d}", f"Person {i}")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_"))}
    env.update({
        "IMVO_DATABASE_URL": f"sqlite:///{db}", "IMVO_ADMINS": "slack:ULEAD",
        "IMVO_LANGUAGE": "en", "IMVO_RETENTION_DAYS": "1", "IMVO_LEASE_SECONDS": "60",
        "IMVO_DRAFT_DIR": str(tmp / "drafts"), "SLACK_BOT_TOKEN": "xoxb-soak",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.base + "api/",
        "PYTHONPATH": str(ROOT),
    })  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "bot", "roles", "grant", "slack:UMGR", "manager"],
        env=env, cwd=tmp, check=True, capture_output=True,
    )  # fmt: skip
    server = Server(env, clock_file, args.port, tmp / "serve.log")
    print(f"working in {tmp} (server log: serve.log)")
    began = time.monotonic()
    await server.start()
    driver = Driver(args, fake, server)
    sizes: list[tuple[int, int]] = []
    try:
        await simulate(args, driver, fake, server, clock_file, db, sizes)
    finally:
        server.stop()
    elapsed = time.monotonic() - began
    await fake_runner.cleanup()
    return report(driver, fake, db, sizes, server, elapsed)


async def simulate(
    args: argparse.Namespace,
    driver: Driver,
    fake: FakeSlack,
    server: Server,
    clock_file: Path,
    db: Path,
    sizes: list[tuple[int, int]],
) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
        deadline = (START + timedelta(days=args.days + 1)).date().isoformat()
        form = "application/x-www-form-urlencoded"
        await driver.post(http, driver.slash("ULEAD", f"start all deadline {deadline}"), form)
        await asyncio.sleep(1)
        print(
            "  the lead hears: "
            + " / ".join(str(r.get("text", ""))[:100] for r in fake.responses[-3:]),
            flush=True,
        )
        for n, user in enumerate(driver.users[: min(len(THEMES), args.people)]):
            await driver.post(http, driver.slash(user, f"claim {THEMES[n]}"), form)
        steps = int(timedelta(days=args.days) / STEP)
        for step in range(1, steps + 1):
            now = START + step * STEP
            clock_file.write_text(now.isoformat())
            async with http.post(f"http://127.0.0.1:{args.port}/soak/tick") as response:
                driver.statuses[response.status] += 1
            working = now.weekday() < 5 and 8 <= now.hour < 16  # 09:00-17:00 in Amsterdam
            tasks = await driver.answer_burst(http, args.burst) if working else []
            if step % KILL_EVERY == 0:
                await asyncio.sleep(0.05)  # mid-burst: answers are in flight
                server.kill()
                await asyncio.gather(*tasks)
                await server.start()
                # What was not acknowledged comes again, as Slack redelivers it.
                tasks = await driver.answer_burst(http, len(driver.pending), set(driver.pending))
            await asyncio.gather(*tasks)
            if now.hour == 23 and now.minute == 30:
                live, rows = live_bytes(db)
                sizes.append((step // 48 + 1, live))
                counts = ", ".join(f"{t} {n:,}" for t, n in rows.items())
                print(
                    f"  day {sizes[-1][0]}: {live / 1e6:6.2f} MB live; rows: {counts}", flush=True
                )
        # Whatever was left unacknowledged at the very end is delivered once more.
        await asyncio.gather(
            *await driver.answer_burst(http, len(driver.pending), set(driver.pending))
        )


def report(
    driver: Driver,
    fake: FakeSlack,
    db: Path,
    sizes: list[tuple[int, int]],
    server: Server,
    elapsed: float,
) -> int:
    posts = [c.params for c in fake.calls if c.method == "chat.postMessage"]
    refs = Counter(str(((p.get("metadata") or {}).get("event_payload") or {}).get("ref") or "")
                   for p in posts)  # fmt: skip
    kinds = Counter(ref.split(":", 1)[0] if ref else "reply" for ref in refs.elements())
    duplicates = sum(n - 1 for ref, n in refs.items() if ref and n > 1)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        # Each acknowledged DM answered one step: a question, or the "why" that follows a pick
        # (kept in the same row as the pick).
        stored = Counter[str]()
        for user, choices, text in con.execute(
            "SELECT user_id, choices, text FROM answers WHERE campaign_id = 1"
        ):
            stored[user] += 1 + (choices not in ("[]", "") and text is not None)
    lost = sum(max(0, n - stored[user]) for user, n in driver.next_answer.items())
    if os.environ.get("SOAK_DEBUG"):
        for user in [u for u, n in driver.next_answer.items() if n > stored[u]][:2]:
            print(user, driver.next_answer[user], stored[user])
            for m in fake.history.get("D" + user, []):
                print("   ", _ref(m), str(m.get("text"))[:110].replace("\n", " "))
    errors = sum(n for status, n in driver.statuses.items() if status >= 500)
    print(f"simulated {driver.args.days} days for {driver.args.people:,} people in {elapsed:.0f} s;"
          f" server killed {server.kills} times")  # fmt: skip
    print("sends per kind: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())))
    acked = sum(driver.next_answer.values())
    print(f"answers acknowledged {acked:,}, stored {sum(stored.values()):,} (questions and whys)")
    print(f"HTTP statuses: {dict(sorted(driver.statuses.items()))} (0: no answer, server killed)")
    print(f"duplicates {duplicates}, lost answers {lost}, 5xx {errors}   (targets 0, 0, 0)")
    if sizes:
        first, last = sizes[0][1], sizes[-1][1]
        days = sizes[-1][0]
        print(f"database live size: day 1 {first / 1e6:.2f} MB, day {days} {last / 1e6:.2f} MB")
    print(f"server peak RSS {server.peak_rss_kb / 1024:.0f} MB")
    return 0 if duplicates == 0 and lost == 0 and errors == 0 else 1


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        asyncio.run(child(Path(sys.argv[2]), int(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=8, help="a week and the next Monday")
    parser.add_argument("--burst", type=int, default=400, help="answers per 30 minutes at most")
    parser.add_argument("--port", type=int, default=0, help="for the server (0: a free one)")
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    return asyncio.run(drive(args))


if __name__ == "__main__":
    sys.exit(main())
