"""The digest in chat and on the command line, in both languages, with roles and anonymity."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.domain import Role
from bot.core.messages import Card
from tests.harness import Harness, make_harness, make_lead, person, texts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path, anonymity_min=2)
    yield harness
    await harness.app.close()


async def campaign_with_answers(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna bram cees")
    for name in ("anna", "bram"):
        who = person(name)
        await h.click(who, "discipline", "sales")
        for _ in range(3):
            await h.say(who, "skip")
        await h.say(who, "1")
        await h.say(who, "skip")


async def test_digest_for_leads_and_managers_only_and_what_changed(h: Harness) -> None:
    await campaign_with_answers(h)
    replies = await h.say(person("emp"), "digest")
    assert "Only a CSR lead or a manager" in texts(replies)
    manager = person("manny", "nl")
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    first = (await h.say(manager, "samenvatting"))[0]
    assert isinstance(first, Card)
    plain = first.plain()
    assert "Uitgenodigd: 3" in plain and "Gereageerd: 2" in plain
    for name in ("Anna", "Bram", "anna", "bram"):
        assert name not in plain
    await h.click(person("cees"), "discipline", "finance")
    second = (await h.say(manager, "samenvatting"))[0]
    assert "+1" in second.plain()


async def test_imvo_bot_digest_print_and_send(h: Harness, tmp_path: Path) -> None:
    await campaign_with_answers(h)
    await h.app.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMVO_")}
    env.update({"IMVO_DATABASE_URL": f"sqlite:///{h.db}", "PYTHONPATH": str(ROOT)})
    env["IMVO_LANGUAGE"] = "en"  # the command line's own lines

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "digest", *args], capture_output=True, text=True,
            env=env, cwd=tmp_path, timeout=60,
        )  # fmt: skip

    printed = cli("--print", "--lang", "en")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# IMVO digest: campaign #1")
    refused = cli()
    assert refused.returncode == 2 and "no managers to send the digest to" in refused.stderr
    await h.reopen()
    await h.app.store.set_role(person("manny").key, Role.MANAGER, True)
    await h.app.close()
    sent = cli()
    assert sent.returncode == 0 and "console:manny: sent" in sent.stdout
    await h.reopen()


async def test_the_digest_card_carries_charts_of_the_counts_it_shows(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna bram cees dirk")
    manager = person("manny", "en")
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    for name in ("anna", "bram"):
        await h.click(person(name), "discipline", "sales")
    card = (await h.say(manager, "digest"))[0]
    assert isinstance(card, Card)
    # One group of two (k = 2) and nobody else: a chart of one bar says nothing.
    assert [p.name for p in card.pictures] == []
    for name in ("cees", "dirk"):
        await h.click(person(name), "discipline", "finance")
    card = (await h.say(manager, "digest"))[0]
    assert isinstance(card, Card)
    assert [p.name for p in card.pictures] == ["imvo-digest-1-participation.png"]
    chart = card.pictures[0]
    assert chart.data.startswith(b"\x89PNG")
    # The chart shows what the card says, in the same words, and no one's name.
    assert "Sales: 2" in chart.alt and "Finance: 2" in chart.alt
    assert "Sales: 2" in card.plain() or "Sales" in card.plain()
    for who in ("anna", "bram", "cees", "dirk"):
        assert who not in chart.alt.lower()
