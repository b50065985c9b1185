"""Benchmark: how long the event loop stalls while a big draft and a digest are worked out.

Fills a SQLite store with a campaign of N respondents (as bench/compile.py does), then, in one
process with the real engine, a lead asks for the `draft` and a manager for the `digest` through
`Bot.handle`, exactly as the chat and `serve` do, while a ticker coroutine wakes every 5 ms and
records how late it woke. Meanwhile a colleague keeps answering (`help`), to show that others
are served. Prints the ticker's worst and 99th-percentile lag and the other person's replies.

Target (issue 11): lag at most 100 ms with 50,000 respondents.

    python bench/loop_lag.py               # 50,000 respondents
    python bench/loop_lag.py --size 10000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compile import fill  # noqa: E402

from adapters.app import open_app  # noqa: E402
from adapters.console.transport import ConsoleTransport, console_key  # noqa: E402
from bot.core.domain import Person, Role  # noqa: E402
from bot.core.messages import Message, Said  # noqa: E402
from bot.core.settings import Settings  # noqa: E402

TICK = 0.005


async def measure(db: Path, out: Path) -> int:
    settings = Settings(database_url=f"sqlite:///{db}", draft_dir=out, language="en")
    app = await open_app(settings, transport=ConsoleTransport())
    lead = Person(console_key("lead"), "Lead", "en")
    manager = Person(console_key("boss"), "Boss", "en")
    colleague = Person(console_key("colleague"), "Colleague", "en")
    for person, role in ((lead, Role.CSR_LEAD), (manager, Role.MANAGER)):
        await app.store.upsert_person(person)
        await app.store.set_role(person.key, role, True)

    lags: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            planned = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            lags.append(max(0.0, time.perf_counter() - planned))

    answered: list[float] = []

    async def colleague_talks() -> None:
        n = 0
        while running:
            began = time.perf_counter()
            await app.bot.handle(Said(f"c{n}", colleague, "help"), quiet)
            answered.append(time.perf_counter() - began)
            n += 1
            await asyncio.sleep(0.05)

    got: list[str] = []

    async def quiet(message: Message) -> None:
        return None

    async def keep(message: Message) -> None:
        got.append(type(message).__name__)

    tick, talk = asyncio.create_task(ticker()), asyncio.create_task(colleague_talks())
    await asyncio.sleep(0.2)
    began = time.perf_counter()
    await app.bot.handle(Said("draft", lead, "draft"), keep)
    compiled = time.perf_counter()
    await app.bot.handle(Said("digest", manager, "digest"), keep)
    done = time.perf_counter()
    running = False
    await asyncio.gather(tick, talk)
    await app.close()
    cuts = statistics.quantiles(lags, n=100)
    worst = max(lags)
    print(f"draft: {compiled - began:.2f} s, digest: {done - compiled:.2f} s (replies: {got})")
    print(
        f"event-loop lag over {len(lags)} ticks: p50 {cuts[49] * 1000:.1f} ms,"
        f" p99 {cuts[98] * 1000:.1f} ms, worst {worst * 1000:.1f} ms   (target <= 100 ms)"
    )
    slowest = max(answered) if answered else 0.0
    print(
        f"a colleague's 'help' meanwhile: {len(answered)} answered, slowest {slowest * 1000:.0f} ms"
    )
    return 0 if worst <= 0.1 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000, help="respondents")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        asyncio.run(fill(db, args.size))
        return asyncio.run(measure(db, Path(tmp) / "out"))


if __name__ == "__main__":
    sys.exit(main())
