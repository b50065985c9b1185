"""Benchmark: time and peak memory to compile a policy draft and a manager digest.

Targets (issue 11): compile + digest at 50,000 respondents in under 5 s and 300 MB peak RSS;
at 100,000 in under 10 s and 400 MB.

For each size the script fills a fresh SQLite store through the real Store API (every
respondent answers all nine questions, some with a "why"), then compiles in a *fresh process*
through the same path as `imvo-bot compile` (tally the answers in the store, build, render Word
and Markdown, save) and then the digest (tally, build), so the memory figure is that of a
process doing only those two.

    python bench/compile.py                 # 10000, 50000, 100000
    python bench/compile.py --sizes 500,5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.app import open_app  # noqa: E402
from adapters.console.transport import ConsoleTransport  # noqa: E402
from bot.content.library import shipped_content  # noqa: E402
from bot.content.loader import read_toml  # noqa: E402
from bot.core.domain import Answer, ConversationState, Person, PersonKey, Phase, QuestionKind  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from bot.core.turns import Effects, Turn  # noqa: E402
from bot.reporting.compile import compile_draft  # noqa: E402
from bot.reporting.digest_delivery import compose_digest  # noqa: E402
from storage import open_store  # noqa: E402

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# (respondents up to, seconds, peak RSS MB) for compile + digest
TARGETS = ((50_000, 5.0, 300), (100_000, 10.0, 400))


async def fill(db: Path, respondents: int, seed: int = 7) -> None:
    """Creates a campaign with `respondents` people who all answered."""
    rng = random.Random(seed)
    store = await open_store(f"sqlite:///{db}")
    questions = shipped_content().questions_for("en")
    demo = read_toml("en", "demo")
    keys = [PersonKey("console", "local", f"p{i:05d}") for i in range(respondents)]
    lead = PersonKey("console", "local", "lead")
    campaign = await store.create_campaign(
        platform="console",
        tenant="local",
        started_by=lead,
        started_at=START,
        language="en",
        deadline=None,
        audience=keys,
    )
    words = ["quality", "price", "lead", "time", "supplier", "cotton"]
    words += ["wage", "audit", "buyer", "margin", "customer"]
    for i, key in enumerate(keys):
        at = START + timedelta(seconds=i)
        answers = []
        for q in questions:
            if q.kind is QuestionKind.CHOICE:
                count = 1 if q.id == "discipline" else rng.randint(1, q.max_choices)
                picks = tuple(o.key for o in rng.sample(q.options, count))
                pool = demo["why"].get(q.id, [])
                why = (
                    f"{rng.choice(pool)} ({rng.choice(words)} {i})"
                    if pool and rng.random() < 0.5
                    else None
                )
                answers.append(Answer(campaign.id, key, q.id, picks, why, False, at))
            else:
                text = f"{rng.choice(demo['answers'][q.id])} {' '.join(rng.sample(words, 3))} #{i}"
                answers.append(Answer(campaign.id, key, q.id, (), text, False, at))
        await store.commit_turn(
            Turn(
                None,
                Effects(
                    state=ConversationState(key, campaign.id, len(questions) - 1, Phase.DONE, at),
                    answers=tuple(answers),
                    person=Person(key, display_name=f"Person {i}", language="en"),
                    finished=(campaign.id, key),
                ),
                at=at,
            )
        )
    await store.close()


async def measure(db: Path, out: Path) -> dict[str, float]:
    """Compiles the latest campaign in `db`: wall time and the process's peak RSS.

    (No tracemalloc: it slows Python down several times and would distort the time.)
    """
    settings = Settings(database_url=f"sqlite:///{db}", draft_dir=out, language="en")
    app = await open_app(settings, transport=ConsoleTransport())
    campaign = await app.store.latest_campaign()
    assert campaign is not None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    result = await compile_draft(app.services, campaign, "en")
    compiled = time.perf_counter()
    digest = await compose_digest(app.services, campaign, "en", "")
    seconds = time.perf_counter() - began
    assert digest.snapshot.responded == result.respondents
    await app.close()
    sizes = {Path(p).suffix: Path(p).stat().st_size / 1024 for p in result.locations}
    return {
        "seconds": seconds,
        "compile_s": compiled - began,
        "digest_s": seconds - (compiled - began),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before,
        "respondents": result.respondents,
        "docx_kb": sizes.get(".docx", 0),
        "md_kb": sizes.get(".md", 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,50000,100000", help="respondent counts, comma-separated"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        figures = asyncio.run(measure(args.measure, args.measure.parent / "out"))
        print(json.dumps(figures))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'respondents':>11}  {'seconds':>8}  {'compile':>8}  {'digest':>7}  {'peak RSS MB':>11}"
        f"  {'RSS before MB':>13}  {'docx KB':>8}  {'md KB':>7}"
    )
    failed = False
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            asyncio.run(fill(db, size))
            run = subprocess.run(
                [sys.executable, __file__, "--measure", str(db)],
                capture_output=True,
                text=True,
                check=True,
            )
            f = json.loads(run.stdout.strip().splitlines()[-1])
        assert f["respondents"] == size, f
        print(
            f"{size:>11,}  {f['seconds']:>8.2f}  {f['compile_s']:>8.2f}  {f['digest_s']:>7.2f}"
            f"  {f['peak_rss_mb']:>11.0f}  {f['rss_before_mb']:>13.0f}  {f['docx_kb']:>8.0f}"
            f"  {f['md_kb']:>7.0f}"
        )
        limit = next(((s, mb) for n, s, mb in TARGETS if size <= n), None)
        if limit is not None and (f["seconds"] >= limit[0] or f["peak_rss_mb"] >= limit[1]):
            failed = True
    print("targets: 50,000 in under 5 s and 300 MB; 100,000 in under 10 s and 400 MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
