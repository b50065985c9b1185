"""`imvo-bot demo`: a whole campaign through the real core, with no platform and no tokens.

A CSR lead starts a campaign for a dozen simulated colleagues; each answers through the same
engine and console transport a real person would use (typing numbers, clicking, skipping, going
back), one never answers; the lead asks for the status and compiles the draft. Answers come from
`content/<lang>/demo.toml`, chosen by a seeded generator so every run is the same.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.app import App, open_app
from adapters.console.transport import ConsoleTransport, console_key, render
from bot.content.loader import Messages, read_toml
from bot.core.domain import Person, Phase, QuestionKind, Role
from bot.core.messages import Clicked, FileShare, Message, Said
from bot.core.settings import Settings
from bot.reporting.digest_delivery import compose_digest

SEED = 2026
DB_NAME = "imvo-demo.db"


async def run_demo(
    settings: Settings, out: Path, language: str, echo: Callable[[str], None]
) -> int:
    """Runs the demo campaign into `out`; returns the process exit code."""
    began = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (out / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    settings = replace(
        settings,
        database_url=f"sqlite:///{(out / DB_NAME).resolve()}",
        draft_dir=out,
        language=language,
    )
    data = read_toml(language, "demo")
    transport = ConsoleTransport()
    app = await open_app(settings, transport=transport)
    msgs = app.services.content.messages_for(language)
    echo(msgs("demo.title"))
    try:
        lead = Person(console_key(data["lead"]), display_name=data["lead"], language=language)
        await app.store.upsert_person(lead)
        await app.store.set_role(lead.key, Role.CSR_LEAD, True)
        colleagues = [
            Person(console_key(c["name"]), display_name=c["name"], language=language)
            for c in data["colleagues"]
        ]
        disciplines = {console_key(c["name"]): c["discipline"] for c in data["colleagues"]}
        for person in colleagues:
            await app.store.upsert_person(person)

        lead_inbox: list[Message] = []

        async def to_lead(message: Message) -> None:
            lead_inbox.append(message)

        deadline = app.services.clock.now().date() + timedelta(days=14)
        names = " ".join(p.display_name for p in colleagues)
        await _say(app, lead, f"start {names} deadline {deadline.isoformat()}", to_lead)
        for message in lead_inbox:
            echo(render(message))
        campaign = await app.store.latest_campaign()
        if campaign is None:
            return 1

        rng = random.Random(SEED)
        silent = colleagues[rng.randrange(len(colleagues))]
        question_labels = {
            o.key: o.label for o in app.services.content.questions_for(language)[0].options
        }
        for done, person in enumerate(colleagues, start=1):
            discipline = disciplines[person.key]
            label = question_labels.get(discipline, discipline)
            if person == silent:
                echo(msgs("demo.silent", name=person.display_name, discipline=label))
            else:
                await _answer_poll(app, person, discipline, data, rng, done)
                mine = await app.store.answers_of(campaign.id, person.key)
                answered = sum(1 for a in mine if a.has_content)
                skipped = sum(1 for a in mine if a.skipped)
                echo(
                    msgs(
                        "demo.answered",
                        name=person.display_name,
                        discipline=label,
                        answered=answered,
                        skipped=skipped,
                    )
                )
            echo(msgs("demo.colleagues", done=done, total=len(colleagues)))

        for claim in data.get("claim", []):
            await _own_theme(app, lead, claim, language, to_lead)
        echo(msgs("demo.owners", count=len(data.get("claim", []))))

        lead_inbox.clear()
        await _say(app, lead, "status", to_lead)
        status_text = "\n\n".join(render(m) for m in lead_inbox)
        echo(status_text)
        echo(msgs("demo.compiling"))
        lead_inbox.clear()
        await _say(app, lead, "draft", to_lead)
        shares = [m for m in lead_inbox if isinstance(m, FileShare)]
        if not shares:
            echo("\n".join(render(m) for m in lead_inbox))
            return 1
        share = shares[-1]
        digest = await compose_digest(app.services, campaign, language, "print", pictures=False)
        digest_path = out / "imvo-demo-digest.md"
        digest_path.write_text(digest.markdown, encoding="utf-8")
        summary = out / "imvo-demo-summary.md"
        summary.write_text(_summary(msgs, status_text, share), encoding="utf-8")
        echo(share.text)
        echo(msgs("demo.done", seconds=f"{time.monotonic() - began:.1f}"))
        others = (summary, digest_path, out / DB_NAME)
        for location in (*share.locations, *(str(p.resolve()) for p in others)):
            echo(f"  {location}")
        return 0
    finally:
        await app.close()


async def _say(app: App, person: Person, text: str, reply: Callable[[Message], Any]) -> None:
    await app.bot.handle(Said(uuid.uuid4().hex, person, text), reply)


async def _answer_poll(
    app: App, person: Person, discipline: str, data: dict[str, Any], rng: random.Random, seat: int
) -> None:
    """Plays one colleague through the poll, as they would in a chat."""
    questions = app.services.content.questions_for(person.language or "nl")
    words = app.services.content.messages_for(person.language or "nl")
    skip_word = words.words("commands.skip")[0]
    back_word = words.words("commands.back")[0]
    went_back = seat % 5 != 3  # one in five colleagues goes back once to change an answer
    replies: list[Message] = []

    async def collect(message: Message) -> None:
        replies.append(message)

    for _ in range(4 * len(questions)):  # bounded: a poll never needs more turns than this
        state = await app.store.load_state(person.key)
        step = state.step if state is not None and state.campaign_id is not None else 0
        phase = state.phase if state is not None and state.campaign_id is not None else Phase.ASKING
        if phase is Phase.DONE:
            break
        question = questions[step]
        if not went_back and step == 3 and phase is Phase.ASKING:
            went_back = True
            await _say(app, person, back_word, collect)
            continue
        if phase is Phase.WHY:
            pool = data["why"].get(question.id, [])
            if pool and rng.random() < 0.6:
                await _say(app, person, rng.choice(pool), collect)
            else:
                await _say(app, person, skip_word, collect)
            continue
        if question.kind is QuestionKind.CHOICE:
            is_discipline = question.id == "discipline"
            value = discipline if is_discipline else rng.choice(question.options).key
            if question.max_choices > 1 and rng.random() < 0.5:
                count = rng.randint(2, question.max_choices)
                picks = sorted(rng.sample(range(1, len(question.options) + 1), count))
                await _say(app, person, ",".join(str(n) for n in picks), collect)
            else:
                event = Clicked(uuid.uuid4().hex, person, f"q:{question.id}", value)
                await app.bot.handle(event, collect)
            continue
        pool = data["answers"].get(question.id, [])
        if not pool or rng.random() < 0.15:
            await _say(app, person, skip_word, collect)
        else:
            await _say(app, person, rng.choice(pool), collect)


async def _own_theme(
    app: App, lead: Person, claim: dict[str, Any], language: str, to_lead: Callable[[Message], Any]
) -> None:
    """A colleague claims a theme, the lead confirms it, the owner answers the questionnaire."""
    owner = Person(console_key(claim["name"]), display_name=claim["name"], language=language)
    words = app.services.content.messages_for(language)
    claim_word = words.words("commands.claim")[0]
    owner_word = words.words("commands.owner")[0]
    skip_word = words.words("commands.skip")[0]
    await _say(app, owner, f"{claim_word} {claim['theme']}", to_lead)
    await _say(app, lead, f"{owner_word} {claim['theme']} {owner.key.user_id}", to_lead)
    for text in claim["answers"]:
        await _say(app, owner, text or skip_word, to_lead)


def _summary(msgs: Messages, status_text: str, share: FileShare) -> str:
    files = "\n".join(f"- {location}" for location in share.locations)
    return (
        f"# {msgs('demo.summary_title')}\n\n{share.text}\n\n"
        f"## {msgs('demo.files_title')}\n\n{files}\n\n```\n{status_text}\n```\n"
    )
