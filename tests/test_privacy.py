"""People's own data: mydata / user export, forget-me / user erase, in both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.domain import OwnerState, Role, ThemeOwner
from bot.core.messages import Choices
from tests.harness import Harness, make_harness, make_lead, person, shared, texts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


async def anna_answered(h: Harness, language: str = "en") -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna bram")
    anna = person("anna", language)
    await h.click(anna, "discipline", "sales")
    await h.say(anna, "Anna's very own mission.")
    await h.app.store.set_role(anna.key, Role.MANAGER, True)
    owner = ThemeOwner("living-wage", anna.key, OwnerState.ACCEPTED, h.clock.now(), "Anna")
    await h.app.store.set_theme_owner(owner)


async def test_mydata_shows_everything_as_json(h: Harness) -> None:
    await anna_answered(h)
    replies = await h.say(person("anna"), "mydata")
    assert "2 answers from 1 campaign, 1 role and 1 theme ownership" in texts(replies)
    exported = json.loads(replies[1].plain().split("\n", 1)[1])
    assert exported["user"] == "console:anna"
    assert exported["profile"]["discipline"] == "sales"
    assert exported["roles"] == ["manager"]
    assert [a["text"] for a in exported["answers"]] == [None, "Anna's very own mission."]
    assert exported["theme_ownerships"][0]["theme"] == "living-wage"
    assert exported["owner_answers"] == []
    assert exported["conversation"]["step"] == 2


async def _confirm(h: Harness, who: object, index: int) -> list[object]:
    from bot.core.messages import Clicked

    ask = (await h.say(who, "forget-me"))[0]  # type: ignore[arg-type]
    assert isinstance(ask, Choices)
    return await h._run(Clicked("c" + str(index), who, ask.action, ask.choices[index].value))  # type: ignore[arg-type]


async def test_forget_me_after_confirmation_erases_and_later_drafts_lack_it(h: Harness) -> None:
    await anna_answered(h)
    anna = person("anna")
    kept = await _confirm(h, anna, 1)
    assert "Nothing was erased" in texts(kept)  # type: ignore[arg-type]
    assert (await h.app.store.person_data(anna.key)).answers

    done = await _confirm(h, anna, 0)
    assert "I erased 2 answers, 1 role, 1 theme ownership" in texts(done)  # type: ignore[arg-type]
    assert "Drafts compiled before now may still quote your answers" in texts(done)  # type: ignore[arg-type]
    data = await h.app.store.person_data(anna.key)
    assert data.person is None and not data.answers and not data.roles and data.state is None

    share = shared(await h.say(person("lead"), "draft"))
    for file in share.files:  # type: ignore[attr-defined]
        if file.name.endswith(".md"):
            assert "very own mission" not in file.data.decode()
    replies = await h.say(anna, "hello again")
    assert "no question waiting" in texts(replies)  # starts fresh: no poll, no old state
    assert (await h.app.store.person_data(anna.key)).state is None


async def test_forget_me_in_dutch_and_an_expired_confirmation(h: Harness) -> None:
    await anna_answered(h, "nl")
    anna = person("anna", "nl")
    await h.say(anna, "taal nl")
    ask = (await h.say(anna, "vergeet-mij"))[0]
    assert isinstance(ask, Choices) and "Nu wissen?" in ask.text
    h.clock.advance(minutes=20)
    from bot.core.messages import Clicked

    late = await h._run(Clicked("late", anna, ask.action, ask.choices[0].value))
    assert "verlopen" in texts(late)
    assert (await h.app.store.person_data(anna.key)).answers


async def test_nobody_can_erase_someone_else(h: Harness) -> None:
    await anna_answered(h)
    replies = await h.say(person("bram"), "/imvo forget-me anna")
    assert "only erase your own data" in texts(replies)
    assert (await h.app.store.person_data(person("anna").key)).answers
    from bot.core.messages import Clicked

    forged = await h._run(Clicked("x", person("bram"), "forget", "yes:not-a-date"))
    assert "expired" in texts(forged)
    assert (await h.app.store.person_data(person("anna").key)).answers


def _cli(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMVO_")}
    env.update({"IMVO_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)})
    env["IMVO_LANGUAGE"] = "en"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=db.parent, timeout=60,
    )  # fmt: skip


async def test_user_export_and_erase_on_the_command_line(h: Harness) -> None:
    await anna_answered(h)
    await h.app.close()
    exported = _cli(["user", "export", "console:anna"], h.db)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["answers"][1]["text"] == "Anna's very own mission."

    refused = _cli(["user", "erase", "console:anna"], h.db)
    assert refused.returncode == 2
    assert "cannot be undone; add --yes" in refused.stderr
    erased = _cli(["user", "erase", "console:anna", "--yes"], h.db)
    assert erased.returncode == 0
    # In IMVO_LANGUAGE (here: en), with the plural each count needs.
    said = "Erased console:anna: 2 answers, 1 role, 1 theme ownership and 1 campaign place"
    assert erased.stdout.startswith(said)
    again = _cli(["user", "erase", "console:anna", "--yes"], h.db)
    assert "Nothing is stored about console:anna" in again.stdout
    await h.reopen()
    assert not (await h.app.store.person_data(person("anna").key)).answers
