"""The store's aggregated reads for reports (`tally`, `figures`) say exactly what reducing the
answers in memory says, on SQLite and PostgreSQL, including the awkward cases: answers of people
who are not participants, skips, empty and blank texts, unknown or skipped disciplines, several
picks, several campaigns, and more free texts than one batch holds."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import Answer, Delivery, PersonKey
from bot.core.ports import Store
from bot.core.tallies import Collected
from bot.core.turns import Effects, Turn
from bot.reporting.answers import read_answers
from bot.reporting.draft.collect import collect
from storage import reports

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEAD = PersonKey("slack", "T1", "ULEAD")
QUESTIONS = ("discipline", "mission", "drivers", "trends", "resistance")
DISCIPLINES = ("purchasing", "design", "sales")
TEXTS = ("Fair wages first.", "", "   ", "Cotton from Turkey, checked.", "Weet ik niet", "x" * 300)


def shape(collected: Collected) -> object:
    return (
        collected.invited,
        collected.completed,
        collected.respondents,
        collected.disciplines,
        {
            q: (qa.people, Counter(qa.choices), sorted(qa.texts))
            for q, qa in collected.by_question.items()
            if qa.people or qa.choices or qa.texts
        },
    )


async def campaign(store: Store, people: list[PersonKey]) -> int:
    fields = {"platform": "slack", "tenant": "T1", "started_by": LEAD, "started_at": T0}
    made = await store.create_campaign(**fields, language="en", deadline=None, audience=people)
    return made.id


def random_answers(rng: random.Random, cid: int, people: list[PersonKey]) -> list[Answer]:
    answers = []
    for n, key in enumerate(people):
        for question in rng.sample(QUESTIONS, rng.randint(0, len(QUESTIONS))):
            at = T0 + timedelta(minutes=n)
            if rng.random() < 0.15:
                answers.append(Answer(cid, key, question, skipped=True, answered_at=at))
            elif question == "discipline":
                picked = (rng.choice(DISCIPLINES),) if rng.random() < 0.9 else ()
                answers.append(Answer(cid, key, question, choices=picked, answered_at=at))
            elif question in ("drivers", "resistance"):
                picked = tuple(rng.sample(("a", "b", "c", "d"), rng.randint(0, 3)))
                why = rng.choice((None, *TEXTS))
                answers.append(Answer(cid, key, question, picked, why, answered_at=at))
            else:
                answers.append(Answer(cid, key, question, text=rng.choice(TEXTS), answered_at=at))
    return answers


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_tally_is_the_answers_reduced(
    store: Store, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "TEXT_BATCH", 7)  # many batches, and one cut mid-person
    rng = random.Random(seed)
    people = [PersonKey("slack", "T1", f"U{n:03d}") for n in range(60)]
    outsiders = [PersonKey("slack", "T1", f"X{n:03d}") for n in range(5)]
    cid = await campaign(store, people)
    other = await campaign(store, people[:10])
    everyone = people + outsiders
    answers = random_answers(rng, cid, everyone) + random_answers(rng, other, people[:10])
    for key in everyone:
        mine = tuple(a for a in answers if a.person == key)
        finished = (cid, key) if key in people and rng.random() < 0.3 else None
        await store.commit_turn(Turn(None, Effects(answers=mine, finished=finished), at=T0))
    await store.mark_delivery(cid, people[0], Delivery(ok=False, error="channel_not_found"))
    await store.mark_delivery(cid, people[1], Delivery(ok=True))

    stored = await store.get_campaign(cid)
    assert stored is not None
    expected = collect(stored, await store.participants(cid), await store.answers(cid))
    assert shape(await store.tally(cid)) == shape(expected)
    # The compile's one pass (counting each question's rows as the workbook reads them) says
    # the same, and so do the store's skip counts.
    one_pass = await read_answers(store, cid, QUESTIONS, await store.respondents(cid))
    assert shape(one_pass) == shape(expected)
    assert await store.skipped(cid) == dict(
        Counter(a.question_id for a in await store.answers(cid) if a.skipped)
    )

    figures = await store.figures(cid)
    mine = [a for a in await store.answers(cid)]
    assert figures.invited == 60 and figures.delivered == 1
    assert figures.finished == sum(1 for p in await store.participants(cid) if p.finished_at)
    assert figures.responded == len({a.person for a in mine if a.has_content})
    assert figures.answered == {
        q: n for q, n in Counter(a.question_id for a in mine if a.has_content).items()
    } | {
        q: 0
        for q in {a.question_id for a in mine}
        if not any(b.has_content for b in mine if b.question_id == q)
    }
    assert {q: n for q, n in figures.skipped.items() if n} == dict(
        Counter(a.question_id for a in mine if a.skipped)
    )
    assert figures.disciplines_heard == {
        a.choices[0] for a in mine if a.question_id == "discipline" and a.choices
    }
    assert [(f.person, f.error) for f in figures.failures] == [
        (str(people[0]), "channel_not_found")
    ]


async def test_an_empty_campaign_tallies_to_nothing(store: Store) -> None:
    cid = await campaign(store, [])
    tally = await store.tally(cid)
    assert (tally.invited, tally.respondents, tally.by_question) == (0, 0, {})
    figures = await store.figures(cid)
    assert (figures.invited, figures.responded, figures.failures) == (0, 0, ())


async def test_a_tally_of_some_texts_counts_the_same_people(store: Store) -> None:
    rng = random.Random(3)
    people = [PersonKey("slack", "T1", f"U{n:03d}") for n in range(40)]
    cid = await campaign(store, people)
    answers = random_answers(rng, cid, people)
    for key in people:
        mine = tuple(a for a in answers if a.person == key)
        await store.commit_turn(Turn(None, Effects(answers=mine), at=T0))
    whole = await store.tally(cid)
    some = await store.tally(cid, texts_of=("resistance",))
    assert some.respondents == whole.respondents and some.disciplines == whole.disciplines
    for question in QUESTIONS:
        assert some.question(question).people == whole.question(question).people, question
        assert some.question(question).choices == whole.question(question).choices
        wanted = whole.question(question).texts if question == "resistance" else []
        assert sorted(some.question(question).texts) == sorted(wanted)
