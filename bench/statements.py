"""Benchmark: what one answered question costs the database, from SQLite's own trace.

Starts a campaign for 200 colleagues through the real engine on a fresh SQLite file, lets each
answer a few questions (typed, clicked, skipped), and prints per answered question: statements
(without BEGIN/COMMIT), trips to the database thread, and the engine's time per event.

Target (issue 11): at most 4 statements in at most 2 round trips (issue 19: plans run on the
loop's thread, so 0 trips).

    python bench/statements.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import Tally  # noqa: E402
from common import watch as watch_store  # noqa: E402

from adapters.app import App, open_app  # noqa: E402
from adapters.console.transport import ConsoleTransport, console_key  # noqa: E402
from bot.core.domain import Person, Role  # noqa: E402
from bot.core.messages import Message, Said  # noqa: E402
from bot.core.settings import Settings  # noqa: E402

PEOPLE = 200
ANSWERS = ("1", "We make clothes that last.", "2,3", "Because buyers ask for it.", "skip")


async def watch(app: App) -> Tally:
    """A tally of everything `app`'s SQLite store sends to its database while `on`."""
    return await watch_store(app.store)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/imvo.db", language="en")
        app = await open_app(settings, transport=ConsoleTransport())
        lead = Person(console_key("lead"), "Lead", "en")
        people = [Person(console_key(f"p{i:04d}"), f"P{i}", "en") for i in range(PEOPLE)]
        for person in (lead, *people):
            await app.store.upsert_person(person)
        await app.store.set_role(lead.key, Role.CSR_LEAD, True)

        async def quiet(message: Message) -> None:
            return None

        await app.bot.handle(Said("start", lead, "start all"), quiet)
        tally = await watch(app)
        statements: list[int] = []
        trips: list[int] = []
        times: list[float] = []
        for n, text in enumerate(ANSWERS):
            for person in people:
                tally.reset()
                tally.on = True
                began = time.perf_counter()
                receipt = await app.bot.receive(Said(f"{person.key}:{n}", person, text))
                times.append(time.perf_counter() - began)
                tally.on = False
                await receipt.deliver(quiet)
                statements.append(len(tally.counted))
                trips.append(tally.trips)
        await app.close()
    print(f"answered questions: {len(statements)} ({PEOPLE} people x {len(ANSWERS)})")
    print(f"statements per answer: max {max(statements)}, mean {statistics.mean(statements):.2f}")
    print(f"round trips per answer: max {max(trips)}, mean {statistics.mean(trips):.2f}")
    shapes = Counter(zip(statements, trips, strict=True))
    for (count, trip), times_seen in sorted(shapes.items()):
        print(f"  {times_seen:5d} answers: {count} statements in {trip} round trips")
    print("  (5: the discipline answer, which also sets the person's discipline; more: the first")
    print("  event after the campaign started, which reloads the roster once)")
    cuts = statistics.quantiles(times, n=100)
    print(f"engine time per answer: p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms")
    print("target: <= 4 statements in <= 2 round trips")


if __name__ == "__main__":
    asyncio.run(main())
