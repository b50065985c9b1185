"""The reads behind reports, as plans (storage.sql) written once for both stores: a campaign's
answers reduced in SQL (counts grouped by question, picks and discipline), free texts read in
batches, and the counts `status` shows. No report loads one object per answer.

Only participants' answers count, and a person's discipline is their (unskipped) answer to the
discipline question; `bot.reporting.draft.collect` gives the same result for answers in memory.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import Any, cast

from bot.core.domain import PersonKey
from bot.core.tallies import (
    DISCIPLINE_QUESTION,
    AnswerColumns,
    Choices,
    Collected,
    Failure,
    Figures,
    QuestionAnswers,
    discipline_of,
)
from storage.sql import Plan, Rows

TEXT_BATCH = 5000


def _same_person(b: str, a: str = "a") -> str:
    """Rows `b` and `a` belong to one person in one campaign."""
    return " AND ".join(
        f"{b}.{c} = {a}.{c}" for c in ("campaign_id", "platform", "tenant", "user_id")
    )


_ANSWERS = (
    " FROM answers a"
    f" JOIN participants p ON {_same_person('p')}"
    f" LEFT JOIN answers d ON {_same_person('d')}"
    f" AND d.question_id = '{DISCIPLINE_QUESTION}' AND d.skipped = 0"
    " WHERE a.campaign_id = ?"
)
_HAS_TEXT = "a.text IS NOT NULL AND a.text <> ''"
_HAS_CONTENT = f"a.skipped = 0 AND (a.choices <> '[]' OR ({_HAS_TEXT}))"


@lru_cache(maxsize=256)
def _parsed(choices: str | None) -> Choices:
    return tuple(json.loads(choices)) if choices else ()


def _discipline(choices: str | None) -> str:
    return discipline_of(_parsed(choices))


@dataclass
class Tallying:
    """A tally under way: the participants' disciplines, and what is counted so far."""

    disciplines: dict[tuple[str, str, str], str]  # participant → discipline
    collected: Collected


def tally_people(campaign_id: int) -> Plan[Tallying]:
    """Who takes part, with their discipline, and how many of each discipline answered."""
    people = yield Rows(
        "SELECT p.platform, p.tenant, p.user_id, p.finished_at, d.choices,"
        f" EXISTS (SELECT 1 FROM answers a WHERE {_same_person('p')} AND {_HAS_CONTENT})"
        " FROM participants p"
        f" LEFT JOIN answers d ON {_same_person('d', 'p')}"
        f" AND d.question_id = '{DISCIPLINE_QUESTION}' AND d.skipped = 0"
        " WHERE p.campaign_id = ?",
        (campaign_id,),
    )
    disciplines: dict[tuple[str, str, str], str] = {}
    by_discipline: Counter[str] = Counter()
    completed = 0
    for platform, tenant, user_id, finished_at, choices, responded in people:
        discipline = disciplines[(platform, tenant, user_id)] = _discipline(choices)
        completed += finished_at is not None
        if responded:
            by_discipline[discipline] += 1
    collected = Collected(
        invited=len(people),
        completed=completed,
        respondents=sum(by_discipline.values()),
        disciplines=dict(by_discipline),
        by_question={},
    )
    return Tallying(disciplines, collected)


def tally_picks(campaign_id: int) -> Plan[list[tuple[str, Choices, str, int]]]:
    """How many participants picked what, per question and discipline, grouped in SQL."""
    grouped = yield Rows(
        "SELECT a.question_id, a.choices, d.choices, COUNT(*)"
        f"{_ANSWERS} AND a.skipped = 0 AND a.choices <> '[]'"
        " GROUP BY a.question_id, a.choices, d.choices",
        (campaign_id,),
    )
    return [(q, _parsed(choices), _discipline(d), int(n)) for q, choices, d, n in grouped]


After = tuple[str, str, str, str]
FIRST: After = ("", "", "", "")


def _among(questions: Sequence[str] | None, negate: bool = False) -> str:
    if questions is None:
        return ""
    marks = ", ".join("?" * len(questions))
    return f" AND a.question_id {'NOT IN' if negate else 'IN'} ({marks})"


def text_batch(
    campaign_id: int, after: After, questions: Sequence[str] | None, limit: int = TEXT_BATCH
) -> Plan[tuple[list[tuple[str, str, str, str, str, str]], After | None]]:
    """Up to `limit` answers with a free text (to `questions`, if given) after `after` (a person
    and question, in key order), as (platform, tenant, user id, question id, text, choices); and
    where the next batch starts (None: no more). Read straight off the answers' key, no join."""
    rows: Sequence[Any] = yield Rows(
        "SELECT a.platform, a.tenant, a.user_id, a.question_id, a.text, a.choices"
        f" FROM answers a WHERE a.campaign_id = ? AND a.skipped = 0 AND {_HAS_TEXT}"
        f"{_among(questions)}"
        " AND (a.platform, a.tenant, a.user_id, a.question_id) > (?, ?, ?, ?)"
        " ORDER BY a.platform, a.tenant, a.user_id, a.question_id LIMIT ?",
        (campaign_id, *(questions or ()), *after, limit),
    )
    last = rows[-1] if len(rows) == limit else None
    following = None if last is None else (last[0], last[1], last[2], last[3])
    return list(rows), following


@dataclass(frozen=True)
class People:
    """A campaign's participants with their discipline key, by user id alone when they all
    share one platform and tenant (the usual case, and a cheaper look-up for every answer)."""

    disciplines: dict[Any, str]  # user id, or (platform, tenant, user id) → discipline key
    place: tuple[str, str] | None  # the one (platform, tenant), if there is one


def answer_people(campaign_id: int) -> Plan[People]:
    """The participants and their disciplines: whose answers count in the answers workbook,
    and under which discipline (as `tally_people`, without the counting)."""
    rows = yield Rows(
        "SELECT p.platform, p.tenant, p.user_id, d.choices FROM participants p"
        f" LEFT JOIN answers d ON {_same_person('d', 'p')}"
        f" AND d.question_id = '{DISCIPLINE_QUESTION}' AND d.skipped = 0"
        " WHERE p.campaign_id = ?",
        (campaign_id,),
    )
    places = {(platform, tenant) for platform, tenant, _, _ in rows}
    if len(places) == 1:
        return People({u: _discipline(d) for _, _, u, d in rows}, places.pop())
    return People({(p, t, u): _discipline(d) for p, t, u, d in rows}, None)


def answer_rows_batch(campaign_id: int, question_id: str, people: People) -> Plan[AnswerColumns]:
    """Every answer with content to one question by one of `people` (see `answer_people`),
    ordered by answer (picks, then text), never by person; without who gave it.

    One question is one read: a keyset over this order (no index has it) would scan and sort
    the campaign's answers again for every page. Measured on 50,000 respondents (SQLite): pages
    of 20,000 over all questions 12 s; pages within a question 2.2 s (under a LIMIT, SQLite
    sorts in a b-tree); one read per question 1.3 s. The discipline is looked up in `people`
    rather than joined for every answer (0.5 s more), and the rows become columns in C-level
    passes (map), not a Python loop."""
    place: tuple[str, ...] = people.place or ()
    who = "a.user_id" if place else "a.platform, a.tenant, a.user_id"
    where = " AND a.platform = ? AND a.tenant = ?" if place else ""
    rows: Sequence[Any] = yield Rows(
        "SELECT a.choices, COALESCE(a.text, ''), COALESCE(substr(a.answered_at, 1, 16), ''),"
        f" {who} FROM answers a WHERE a.campaign_id = ? AND a.question_id = ?{where}"
        f" AND {_HAS_CONTENT} ORDER BY a.choices, COALESCE(a.text, '')",
        (campaign_id, question_id, *place),
    )
    keys = map(itemgetter(3) if place else itemgetter(3, 4, 5), rows)
    found = list(map(people.disciplines.get, keys))
    choices, texts, minutes = (list(map(itemgetter(i), rows)) for i in range(3))
    del rows
    if None in found:  # answers of people who no longer take part
        keep = [d is not None for d in found]
        choices, texts, minutes = (list(compress(c, keep)) for c in (choices, texts, minutes))
        found = list(compress(found, keep))
    parsed = {c: tuple(json.loads(c)) for c in set(choices)}
    picks = list(map(parsed.__getitem__, choices))
    return AnswerColumns(question_id, picks, texts, minutes, cast(list[str], found))


def skipped_counts(campaign_id: int) -> Plan[dict[str, int]]:
    """Per question, how many people skipped it. (An index on the question would make this
    faster and the tally's grouped picks twice as slow: SQLite would walk it instead of the
    key.)"""
    rows = yield Rows(
        "SELECT question_id, COUNT(*) FROM answers WHERE campaign_id = ? AND skipped = 1"
        " GROUP BY question_id",
        (campaign_id,),
    )
    return {question_id: int(n) for question_id, n in rows}


def figures(campaign_id: int) -> Plan[Figures]:
    """The counts of `status`: invitations, deliveries, answers per question, disciplines heard,
    and the invitations that failed."""
    people = yield Rows(
        "SELECT COUNT(*), SUM(delivered), COUNT(finished_at) FROM participants"
        " WHERE campaign_id = ?",
        (campaign_id,),
    )
    responded = yield Rows(
        "SELECT COUNT(*) FROM (SELECT DISTINCT a.platform, a.tenant, a.user_id FROM answers a"
        f" WHERE a.campaign_id = ? AND {_HAS_CONTENT}) AS r",
        (campaign_id,),
    )
    per_question = yield Rows(
        f"SELECT a.question_id, SUM(CASE WHEN {_HAS_CONTENT} THEN 1 ELSE 0 END),"
        " SUM(a.skipped) FROM answers a WHERE a.campaign_id = ? GROUP BY a.question_id",
        (campaign_id,),
    )
    heard = yield Rows(
        "SELECT DISTINCT choices FROM answers WHERE campaign_id = ? AND question_id = ?",
        (campaign_id, DISCIPLINE_QUESTION),
    )
    failed = yield Rows(
        "SELECT platform, tenant, user_id, delivery_error FROM participants"
        " WHERE campaign_id = ? AND delivery_error IS NOT NULL"
        " ORDER BY platform, tenant, user_id",
        (campaign_id,),
    )
    return Figures(
        invited=int(people[0][0]),
        delivered=int(people[0][1] or 0),
        finished=int(people[0][2]),
        responded=int(responded[0][0]),
        answered={q: int(n) for q, n, _ in per_question},
        skipped={q: int(n or 0) for q, _, n in per_question},
        disciplines_heard=frozenset(c[0] for (text,) in heard if (c := _parsed(text))),
        failures=tuple(Failure(str(PersonKey(p, t, u)), str(e)) for p, t, u, e in failed),
    )


Runner = Callable[[Plan[Any]], Awaitable[Any]]


def text_only_people(campaign_id: int, besides: Sequence[str]) -> Plan[dict[str, int]]:
    """Per question (but those `besides`), the participants who answered it with a text and no
    picks: counted in SQL where the texts themselves are not wanted."""
    rows = yield Rows(
        f"SELECT a.question_id, COUNT(*) FROM answers a JOIN participants p"
        f" ON {_same_person('p')} WHERE a.campaign_id = ? AND a.skipped = 0"
        f" AND a.choices = '[]' AND {_HAS_TEXT}{_among(besides, negate=True)}"
        " GROUP BY a.question_id",
        (campaign_id, *besides),
    )
    return {question_id: int(n) for question_id, n in rows}


async def read_tally(
    run: Runner, campaign_id: int, texts_of: Sequence[str] | None = None
) -> Collected:
    """The campaign's tally: the participants and the picks in aggregate queries, the free
    texts (of the questions `texts_of`, or all) batch by batch, each its own short read so that
    other work on the database goes on in between."""
    # The picks are grouped in SQL while the participants and the texts are read: two
    # connections, two cores.
    picks = asyncio.ensure_future(run(tally_picks(campaign_id)))
    try:
        tallying = await _people_and_texts(run, campaign_id, texts_of)
    except BaseException:
        picks.cancel()
        raise
    by_question = tallying.collected.by_question
    for question_id, choices, discipline, n in await picks:
        qa = by_question.setdefault(question_id, QuestionAnswers())
        qa.people += n
        qa.choices[(choices, discipline)] += n
    return tallying.collected


async def _people_and_texts(
    run: Runner, campaign_id: int, texts_of: Sequence[str] | None
) -> Tallying:
    """The participants, then their free texts. A text counts only for a participant, under
    their discipline; an answer with a text and no picks makes its writer one of the question's
    people (picks are counted with the choices)."""
    tallying: Tallying = await run(tally_people(campaign_id))
    disciplines, by_question = tallying.disciplines, tallying.collected.by_question
    if texts_of is not None:
        for question_id, n in (await run(text_only_people(campaign_id, texts_of))).items():
            by_question.setdefault(question_id, QuestionAnswers()).people += n
    after: After | None = FIRST
    writer: tuple[str, str, str] | None = None
    discipline: str | None = None
    while after is not None:
        rows, after = await run(text_batch(campaign_id, after, texts_of))
        for platform, tenant, user_id, question_id, text, choices in rows:
            if writer is None or writer[2] != user_id or writer != (platform, tenant, user_id):
                # rows come person by person: look each writer up once
                writer = (platform, tenant, user_id)
                discipline = disciplines.get(writer)
            if discipline is None:
                continue  # not (any longer) a participant
            qa = by_question.get(question_id)
            if qa is None:
                qa = by_question[question_id] = QuestionAnswers()
            if choices == "[]":
                qa.people += 1
            stripped = text.strip()
            if stripped:
                qa.texts.append((stripped, discipline))
    return tallying
