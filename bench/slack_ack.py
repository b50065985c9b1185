"""Benchmark: what answering a Slack event costs `imvo-bot serve`, against anchors, all on
127.0.0.1 (its Web API pointed at a local fake).

1. Ack latency: signed Slack DMs at RATE per second for SECONDS against a real `imvo-bot serve`
   process and against bare aiohttp; p50/p99 for "hello n" DMs from people in no campaign and
   for DMs that answer the waiting poll question (a campaign was started for them through the
   slash command first). Target: p99 under 250 ms.
2. Closed-loop maximum: CLIENTS clients each sending the next request as soon as the last was
   answered, against five servers in processes of their own (`bench/slack_anchors.py`): the
   bot; the fair anchor, the simplest bot that answers (slack-bolt with default settings whose
   listener posts one chat.postMessage to the same fake; slack_sdk then opens an HTTP session
   per call); the same with one shared HTTP session, a stricter anchor; Bolt doing nothing;
   bare aiohttp.
   The servers take turns in slices of SLICE seconds, so a neighbour's load on the machine
   falls on all of them alike. Per server: acknowledgements per second; answers per second
   (until the last reply reached the fake); its process's CPU time per request. Target: the bot
   at least 0.9 x the answering Bolt with default settings on the poll answers.
3. SQL statements per answer on the Slack path (the served wiring, traced in this process).
   Target: at most 4.
4. Fan-out: a campaign for PEOPLE colleagues while the fake enforces a chat.postMessage limit
   (token bucket, HTTP 429 with Retry-After). Prints the delivery rate against the limit
   (target >= 90 %), duplicates and losses (target 0 and 0).

    python bench/slack_ack.py                      # 200/s for 30 s, 2,000 people at 20/s
    python bench/slack_ack.py --seconds 10 --people 0
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

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
    watch,
)
from slack_load import (  # noqa: E402
    SECRET,
    STEPS,
    Answers,
    LimitedSlack,
    add_people,
    closed_loop,
    dm,
    invite,
    load,
    post_form,
    slash,
)

from tests.fake_slack import signed  # noqa: E402

# "30,000 deliveries per hour per workspace" (Slack's app_rate_limited page).
SLACK_EVENTS_PER_HOUR = 30_000
TICKS = os.sysconf("SC_CLK_TCK")


async def slack_statements(fake: LimitedSlack, tmp: str, count: int) -> list[int]:
    """SQL statements per answer on the Slack path: `imvo-bot serve`'s own wiring run in this
    process (its store traced), `count` people answering STEPS questions each, one at a time,
    each answer counted from the request until its replies were delivered."""
    from adapters.server import build_server
    from bot.core.settings import Settings

    people = add_people(fake, "T3", "US", count, "CSTAT")
    settings = Settings(
        database_url=f"sqlite:///{tmp}/statements.db",
        language="en",
        admins=("slack:USLEAD",),
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=fake.base + "api/",
    )
    server = await build_server(settings)
    runner, port = await serve(server.web)
    url = f"http://127.0.0.1:{port}/slack/events"
    assert server.slack is not None
    try:
        await invite(fake, url, "T3", "US", people)
        await server.slack.drain()
        tally = await watch(server.app.store)
        counts: list[int] = []
        answers = Answers("T3", people, "S")
        async with aiohttp.ClientSession() as http:
            for n in range(len(people) * STEPS):
                body = answers(n)
                tally.reset()
                tally.on = True
                async with http.post(url, data=body.encode(), headers=signed(body, SECRET)) as r:
                    assert r.status == 200, r.status
                await server.slack.drain()
                tally.on = False
                counts.append(len(tally.counted))
    finally:
        await runner.cleanup()
        await server.app.close()
    return counts


def report_statements(counts: list[int]) -> int:
    """Prints the statements per answer; returns what a plain answer (the usual case) takes."""
    shapes = Counter(counts)
    plain = shapes.most_common(1)[0][0]
    print(f"SQL statements per answer, Slack path ({len(counts)} answers; bench/common.Tally)")
    print(f"  mean {statistics.mean(counts):.2f}, a plain answer {plain}   (target <= 4)")
    for count, seen in sorted(shapes.items()):
        print(f"  {seen:5d} answers: {count} statements")
    print("  (one more: the discipline answer, which also sets the person's discipline; the")
    print("  first answer after the campaign started also reads the roster again)")
    return plain


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Figures:
    """One server's closed-loop totals over its slices."""

    requests: int = 0
    acking: float = 0.0  # seconds from the first request sent to the last acknowledged
    answering: float = 0.0  # seconds from the first request to its last reply at the fake
    cpu: float = 0.0  # the server process's CPU seconds over the same time
    posts: int = 0  # chat.postMessage calls the fake received from it
    slices: list[float] = field(default_factory=list)  # acknowledgements/s per slice

    @property
    def acks(self) -> float:
        return self.requests / self.acking

    @property
    def answers(self) -> float:
        return self.requests / self.answering

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.requests

    @property
    def messages(self) -> float:
        return self.posts / self.requests


class Targets:
    """The four servers, by name, and their closed-loop figures per load."""

    def __init__(self, fake: LimitedSlack, ports: dict[str, int], pids: dict[str, int]) -> None:
        self.fake, self.pids = fake, pids
        self.urls = {name: f"http://127.0.0.1:{p}/slack/events" for name, p in ports.items()}
        self.figures: dict[tuple[str, str], Figures] = {}

    async def measure(self, load: str, name: str, seconds: float, clients: int, body: Any) -> None:
        """One slice: the closed loop, then until the server's replies have all arrived."""
        await self.fake.settled()
        cpu, posts = cpu_seconds(self.pids[name]), self.fake.posts
        done, began, ended = await closed_loop(self.urls[name], seconds, clients, body)
        last = await self.fake.settled()
        figures = self.figures.setdefault((load, name), Figures())
        figures.requests += done
        figures.acking += ended - began
        figures.answering += max(ended, last) - began
        figures.cpu += cpu_seconds(self.pids[name]) - cpu
        figures.posts += self.fake.posts - posts
        figures.slices.append(done / (ended - began))

    def report(self, load: str, what: str) -> float:
        """Prints one load's figures; returns the bot's acknowledgements per second as a share
        of the answering Bolt's."""
        print(f"  {what}")
        print(f"    {'':34} acks/s  answered/s  CPU ms/request  messages/request  acks/s per slice")
        for name, label in LABELS.items():
            f = self.figures.get((load, name))
            if f is not None:
                runs = " ".join(f"{r:.0f}" for r in f.slices)
                print(
                    f"    {label:34} {f.acks:6.0f}  {f.answers:10.0f}  {f.cpu_ms:14.2f}"
                    f"  {f.messages:16.2f}  {runs}"
                )
        bot, bare = self.figures[(load, "bot")], self.figures[("hello", "bare")]
        for anchor, label, target in (
            ("default", "answering Bolt, default settings", " (target >= 0.9)"),
            ("answering", "answering Bolt, shared session", ""),
        ):
            fair = self.figures[(load, anchor)]
            print(
                f"    bot / {label}: acks {bot.acks / fair.acks:.2f}{target},"
                f" answered {bot.answers / fair.answers:.2f}, CPU per request"
                f" {bot.cpu_ms / fair.cpu_ms:.2f} x"
            )
        print(f"    bot / bare aiohttp: acks {bot.acks / bare.acks:.2f} (bare does no work)")
        return bot.acks / self.figures[(load, "default")].acks


LABELS = {
    "bot": "imvo-bot serve",
    "default": "Bolt, answering, default settings",
    "answering": "Bolt, answering, shared session",
    "bolt": "Bolt, no work",
    "bare": "bare aiohttp",
}


async def latencies(url: str, bare: str, args: argparse.Namespace, answers: Answers) -> float:
    """Prints p50/p99 at the fixed rate for both loads; returns the worse p99 of the bot's."""
    print(f"ack latency, {args.rate}/s for {args.seconds:.0f} s")
    worst = 0.0
    for what, body in (("hello DMs", dm), ("poll answers", answers)):
        bot_lat = await load(url, args.rate, args.seconds, body)
        bare_lat = await load(bare, args.rate, args.seconds, body)
        p50, p99 = p50_p99(bot_lat)
        b50, b99 = p50_p99(bare_lat)
        worst = max(worst, p99)
        print(f"  {what} ({len(bot_lat)} requests)")
        print(f"    imvo-bot serve : p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   (target p99 < 250 ms)")
        print(f"    bare aiohttp   : p50 {b50:6.1f} ms   p99 {b99:6.1f} ms")
    return worst


async def closed_loops(targets: Targets, args: argparse.Namespace, answers: Answers) -> float:
    """The closed loops, the servers taking turns; returns the bot's share of the answering
    Bolt's acknowledgements on the poll answers."""
    anchor_answers = Answers(answers.team, answers.people, "X")
    for _ in range(max(1, round(args.seconds / args.slice))):
        for name in LABELS:
            await targets.measure("hello", name, args.slice, args.clients, dm)
        await targets.measure("answers", "bot", args.slice, args.clients, answers)
        for anchor in ("default", "answering"):
            await targets.measure("answers", anchor, args.slice, args.clients, anchor_answers)
    print(
        f"closed-loop maximum, {args.clients} clients, {args.seconds:.0f} s per server and load"
        f" in slices of {args.slice:.0f} s"
    )
    targets.report("hello", '"hello n" DMs from 50 people in no campaign')
    ratio = targets.report("answers", "DMs that answer the waiting poll question")
    if answers.beyond:
        print(f"    ({answers.beyond} of the bot's bodies came after the poll: raise --expect)")
    hourly = SLACK_EVENTS_PER_HOUR / 3600
    bot_max = targets.figures[("answers", "bot")].acks
    print(
        f"  Slack's own event limit: {hourly:.1f} events/s per workspace; "
        f"the bot takes {bot_max / hourly:.0f} x that"
    )
    return ratio


ANCHORS = ("bare", "bolt", "answering", "default")  # bench/slack_anchors.py


def start(args: argparse.Namespace, api: str, tmp: str) -> dict[str, subprocess.Popen[bytes]]:
    """`imvo-bot serve` and the four anchors, each a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "SLACK_"))}
    env.update(
        {
            "IMVO_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "IMVO_ADMINS": "slack:ULEAD,slack:UALEAD",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api,
            "PYTHONPATH": str(ROOT),
        }
    )
    processes = {
        "bot": subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(args.port)],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "serve.log", "w"),  # noqa: SIM115 - kept open for the process
        )
    }
    anchors = str(ROOT / "bench" / "slack_anchors.py")
    for n, name in enumerate(ANCHORS, start=1):
        port = str(args.port + n)
        processes[name] = subprocess.Popen([sys.executable, anchors, name, port, SECRET, api])
    return processes


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
    # The answerers: a workspace of their own (one campaign runs per workspace).
    needed = args.rate * args.seconds + args.seconds * args.expect
    answerers = add_people(fake, "T2", "UA", int(needed / STEPS) + args.clients, "CANSWER")

    tmp = tempfile.mkdtemp(prefix="imvo-bench-")
    processes = start(args, fake.base + "api/", tmp)
    ports = {name: args.port + n for n, name in enumerate(("bot", *ANCHORS))}
    url = f"http://127.0.0.1:{args.port}/slack/events"
    print(f"server log: {tmp}/serve.log   (pid {processes['bot'].pid})")
    try:
        await wait_healthy(args.port)
        for name in ANCHORS:
            await wait_listening(ports[name])
        began = time.monotonic()
        await invite(fake, url, "T2", "UA", answerers)
        print(f"{len(answerers):,} answerers invited in {time.monotonic() - began:.1f} s")
        answers = Answers("T2", answerers, "B")
        worst = await latencies(
            url, f"http://127.0.0.1:{ports['bare']}/slack/events", args, answers
        )
        pids = {name: p.pid for name, p in processes.items()}
        ratio = await closed_loops(Targets(fake, ports, pids), args, answers)
        plain = report_statements(await slack_statements(fake, tmp, args.statement_people))
        duplicates = lost = 0
        if args.people:
            duplicates, lost = await fan_out(fake, url, args)
        ok = worst < 250 and ratio >= 0.9 and plain <= 4 and duplicates == lost == 0
        return 0 if ok else 1
    finally:
        stop_server(processes.pop("bot"))
        for anchor in processes.values():
            anchor.terminate()
            anchor.wait(timeout=20)
        await fake_runner.cleanup()


async def fan_out(fake: LimitedSlack, url: str, args: argparse.Namespace) -> tuple[int, int]:
    fake.per_second = args.limit
    fake.tokens = args.limit
    fake.calls.clear()
    started = time.monotonic()
    await post_form(url, slash("ULEAD", "T1", "start <#CALL|all>", fake.base, 1))
    wanted = {f"DUP{i:05d}" for i in range(args.people)}

    def delivered() -> list[str]:
        return [p["channel"] for p in fake.called("chat.postMessage")]

    posts, elapsed = await measure_fan_out(wanted, delivered, started, args.limit)
    return report_fan_out("fan-out", wanted, posts, elapsed, args.limit, fake.refused)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--rate", type=int, default=200, help="signed requests per second")
    add("--seconds", type=float, default=30.0, help="how long to send them, per server and load")
    add("--slice", type=float, default=2.0, help="seconds of each server's turn")
    add("--people", type=int, default=2000, help="size of the fan-out (0: none)")
    add("--limit", type=float, default=20.0, help="the fake's chat.postMessage limit per second")
    add("--port", type=int, default=39781, help="port for imvo-bot serve (+1 to +4: anchors)")
    add("--clients", type=int, default=32, help="closed-loop clients")
    add("--expect", type=float, default=1600.0, help="answers/s to invite enough answerers for")
    add("--statement-people", type=int, default=20, help="answerers whose SQL is counted")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
