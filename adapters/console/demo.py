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
from bot.core.clicks import AnswerClick
from bot.core.domain import (
    Campaign,
    ConversationState,
    Person,
    Phase,
    Question,
    QuestionKind,
    Role,
)
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
    settings = _fresh_install(settings, out, language)
    data = read_toml(language, "demo")
    transport = ConsoleTransport()
    app = await open_app(settings, transport=transport)
    msgs = app.services.content.messages_for(language)
    echo(msgs("demo.title"))
    try:
        lead, colleagues = await _cast(app, data, language)
        campaign = await _start(app, lead, colleagues, echo)
        if campaign is None:
            return 1
        await _poll_colleagues(app, campaign, colleagues, data, language, echo)
        for claim in data.get("claim", []):
            await _own_theme(app, lead, claim, language)
        echo(msgs("demo.owners", count=len(data.get("claim", []))))
        return await _report(app, campaign, lead, out, language, echo, began)
    finally:
        await app.close()


def _fresh_install(settings: Settings, out: Path, language: str) -> Settings:
    """Settings for a new demo database in `out` (an earlier demo's is removed), the draft
    written there too, in `language`."""
    out.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (out / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    return replace(
        settings,
        database_url=f"sqlite:///{(out / DB_NAME).resolve()}",
        draft_dir=out,
        language=language,
    )


async def _cast(app: App, data: dict[str, Any], language: str) -> tuple[Person, list[Person]]:
    """The CSR lead and the colleagues of `demo.toml`, stored as people."""
    lead = Person(console_key(data["lead"]), display_name=data["lead"], language=language)
    await app.store.upsert_person(lead)
    await app.store.set_role(lead.key, Role.CSR_LEAD, True)
    colleagues = [
        Person(console_key(c["name"]), display_name=c["name"], language=language)
        for c in data["colleagues"]
    ]
    for person in colleagues:
        await app.store.upsert_person(person)
    return lead, colleagues


async def _start(
    app: App, lead: Person, colleagues: list[Person], echo: Callable[[str], None]
) -> Campaign | None:
    """The lead starts a two-week campaign for every colleague; the bot's answer is shown."""
    deadline = app.services.clock.now().date() + timedelta(days=14)
    names = " ".join(p.display_name for p in colleagues)
    for message in await _said(app, lead, f"start {names} deadline {deadline.isoformat()}"):
        echo(render(message))
    return await app.store.latest_campaign()


async def _poll_colleagues(
    app: App,
    campaign: Campaign,
    colleagues: list[Person],
    data: dict[str, Any],
    language: str,
    echo: Callable[[str], None],
) -> None:
    """Every colleague but one (never answering) plays through the poll; each one's tally shown."""
    msgs = app.services.content.messages_for(language)
    disciplines = {console_key(c["name"]): c["discipline"] for c in data["colleagues"]}
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
            echo(await _answered(app, campaign, person, label, msgs))
        echo(msgs("demo.colleagues", done=done, total=len(colleagues)))


async def _answered(
    app: App, campaign: Campaign, person: Person, label: str, msgs: Messages
) -> str:
    """How many questions `person` answered and skipped, in a line."""
    mine = await app.store.answers_of(campaign.id, person.key)
    answered = sum(1 for a in mine if a.has_content)
    skipped = sum(1 for a in mine if a.skipped)
    return msgs(
        "demo.answered",
        name=person.display_name,
        discipline=label,
        answered=answered,
        skipped=skipped,
    )


async def _report(
    app: App,
    campaign: Campaign,
    lead: Person,
    out: Path,
    language: str,
    echo: Callable[[str], None],
    began: float,
) -> int:
    """The lead asks for the status and the draft; the digest and a summary go to `out`."""
    msgs = app.services.content.messages_for(language)
    status_text = "\n\n".join(render(m) for m in await _said(app, lead, "status"))
    echo(status_text)
    echo(msgs("demo.compiling"))
    replies = await _said(app, lead, "draft")
    shares = [m for m in replies if isinstance(m, FileShare)]
    if not shares:
        echo("\n".join(render(m) for m in replies))
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


async def _say(app: App, person: Person, text: str, reply: Callable[[Message], Any]) -> None:
    await app.bot.handle(Said(uuid.uuid4().hex, person, text), reply)


async def _said(app: App, person: Person, text: str) -> list[Message]:
    """What the bot replies when `person` says `text`."""
    replies: list[Message] = []

    async def collect(message: Message) -> None:
        replies.append(message)

    await _say(app, person, text, collect)
    return replies


async def _unread(message: Message) -> None:
    """Where replies go that the demo does not show."""


async def _answer_poll(
    app: App, person: Person, discipline: str, data: dict[str, Any], rng: random.Random, seat: int
) -> None:
    """Plays one colleague through the poll, as they would in a chat."""
    questions = app.services.content.questions_for(person.language or "nl")
    words = app.services.content.messages_for(person.language or "nl")
    skip_word = words.words("commands.skip")[0]
    back_word = words.words("commands.back")[0]
    went_back = seat % 5 != 3  # one in five colleagues goes back once to change an answer
    for _ in range(4 * len(questions)):  # bounded: a poll never needs more turns than this
        step, phase = _position(await app.store.load_state(person.key))
        if phase is Phase.DONE:
            break
        question = questions[step]
        event: Said | Clicked
        if not went_back and step == 3 and phase is Phase.ASKING:
            went_back = True
            event = _saying(person, back_word)
        elif phase is Phase.WHY:
            reason = _why_text(data["why"].get(question.id, []), rng, skip_word)
            event = _saying(person, reason)
        elif question.kind is QuestionKind.CHOICE:
            event = _choosing(person, question, discipline, rng)
        else:
            text = _open_text(data["answers"].get(question.id, []), rng, skip_word)
            event = _saying(person, text)
        await app.bot.handle(event, _unread)


def _position(state: ConversationState | None) -> tuple[int, Phase]:
    """Which question a colleague is at, and in what phase (the first, asking, before any)."""
    if state is None or state.campaign_id is None:
        return 0, Phase.ASKING
    return state.step, state.phase


def _saying(person: Person, text: str) -> Said:
    return Said(uuid.uuid4().hex, person, text)


def _why_text(pool: list[str], rng: random.Random, skip_word: str) -> str:
    """A reason from the pool, six times in ten; else a skip."""
    if pool and rng.random() < 0.6:
        return rng.choice(pool)
    return skip_word


def _open_text(pool: list[str], rng: random.Random, skip_word: str) -> str:
    """An answer from the pool, skipped about one time in seven (and always when there is none)."""
    if not pool or rng.random() < 0.15:
        return skip_word
    return rng.choice(pool)


def _choosing(
    person: Person, question: Question, discipline: str, rng: random.Random
) -> Said | Clicked:
    """A choice question answered: their own discipline, else a random option clicked, or (on a
    multiple-choice question, half the time) several option numbers typed, never an exclusive
    option ("I expect no resistance") among them, as the poll refuses that."""
    is_discipline = question.id == "discipline"
    value = discipline if is_discipline else rng.choice(question.options).key
    if question.max_choices > 1 and rng.random() < 0.5:
        combinable = [n for n, o in enumerate(question.options, start=1) if not o.exclusive]
        count = rng.randint(2, min(question.max_choices, len(combinable)))
        picks = sorted(rng.sample(combinable, count))
        return _saying(person, ",".join(str(n) for n in picks))
    return Clicked(uuid.uuid4().hex, person, AnswerClick(question.id).encode(), value)


async def _own_theme(app: App, lead: Person, claim: dict[str, Any], language: str) -> None:
    """A colleague claims a theme, the lead confirms it, the owner answers the questionnaire."""
    owner = Person(console_key(claim["name"]), display_name=claim["name"], language=language)
    words = app.services.content.messages_for(language)
    claim_word = words.words("commands.claim")[0]
    owner_word = words.words("commands.owner")[0]
    skip_word = words.words("commands.skip")[0]
    await _say(app, owner, f"{claim_word} {claim['theme']}", _unread)
    await _say(app, lead, f"{owner_word} {claim['theme']} {owner.key.user_id}", _unread)
    for text in claim["answers"]:
        await _say(app, owner, text or skip_word, _unread)


def _summary(msgs: Messages, status_text: str, share: FileShare) -> str:
    files = "\n".join(f"- {location}" for location in share.locations)
    return (
        f"# {msgs('demo.summary_title')}\n\n{share.text}\n\n"
        f"## {msgs('demo.files_title')}\n\n{files}\n\n```\n{status_text}\n```\n"
    )
