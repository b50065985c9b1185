"""Reduces answers held in memory to what the draft needs (`bot.core.tallies.Collected`): the
same value a store makes with aggregate queries (`Store.tally`). Used where answers are at hand
(tests, small tools); reports on a stored campaign ask the store.

Nothing here keeps a name or user id: answers are reduced to their choices, their text and the
respondent's discipline key, which is all the draft may use.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Answer, Campaign, Participation
from bot.core.tallies import (
    DISCIPLINE_QUESTION,
    UNKNOWN_DISCIPLINE,
    Collected,
    QuestionAnswers,
)

__all__ = ["DISCIPLINE_QUESTION", "UNKNOWN_DISCIPLINE", "Collected", "QuestionAnswers", "collect"]

_PersonId = tuple[str, str, str]


def collect(
    campaign: Campaign, participants: Sequence[Participation], answers: Sequence[Answer]
) -> Collected:
    """Keeps each participant's latest answer per question and groups answers by question.

    Answers of other campaigns, or of people who are not (any longer) participants, are
    ignored. A later answer replaces an earlier one, so a skip after an answer counts as a skip.
    """
    invited, completed = _invited(campaign, participants)
    by_question: dict[str, QuestionAnswers] = {}
    disciplines: dict[str, int] = {}
    respondents = 0
    for mine in _latest_answers(campaign, answers, invited).values():
        discipline = _discipline(mine)
        if _add_answers(mine, discipline, by_question):
            respondents += 1
            disciplines[discipline] = disciplines.get(discipline, 0) + 1
    return Collected(
        invited=len(invited),
        completed=completed,
        respondents=respondents,
        disciplines=disciplines,
        by_question=by_question,
    )


def _invited(
    campaign: Campaign, participants: Sequence[Participation]
) -> tuple[set[_PersonId], int]:
    """The campaign's participants, each once, and how many of them finished."""
    invited: set[_PersonId] = set()
    completed = 0
    for p in participants:
        if p.campaign_id != campaign.id:
            continue
        pid = (p.person.platform, p.person.tenant, p.person.user_id)
        if pid in invited:
            continue
        invited.add(pid)
        if p.finished_at is not None:
            completed += 1
    return invited, completed


def _latest_answers(
    campaign: Campaign, answers: Sequence[Answer], invited: set[_PersonId]
) -> dict[_PersonId, dict[str, Answer]]:
    """Each participant's latest answer per question (the campaign's answers only)."""
    latest: dict[_PersonId, dict[str, Answer]] = {}
    cid = campaign.id
    last: object = None  # answers usually come person by person: skip the lookup then
    mine: dict[str, Answer] | None = None
    for answer in answers:
        if answer.campaign_id != cid:
            continue
        person = answer.person
        if person is not last:
            last = person
            pid = (person.platform, person.tenant, person.user_id)
            mine = latest.get(pid)
            if mine is None and pid in invited:
                mine = latest[pid] = {}
        if mine is not None:
            mine[answer.question_id] = answer
    return latest


def _discipline(mine: dict[str, Answer]) -> str:
    """The discipline a person chose, or UNKNOWN_DISCIPLINE when they did not say."""
    disc_answer = mine.get(DISCIPLINE_QUESTION)
    if disc_answer is not None and not disc_answer.skipped and disc_answer.choices:
        return disc_answer.choices[0]
    return UNKNOWN_DISCIPLINE


def _add_answers(
    mine: dict[str, Answer], discipline: str, by_question: dict[str, QuestionAnswers]
) -> bool:
    """Adds one person's answers to `by_question`; whether any of them had content."""
    responded = False
    for a in mine.values():
        # Answer.has_content, inlined: this loop runs once per answer.
        if a.skipped or not (a.choices or a.text):
            continue
        responded = True
        qa = by_question.get(a.question_id)
        if qa is None:
            qa = by_question[a.question_id] = QuestionAnswers()
        qa.people += 1
        if a.choices:
            qa.choices[(a.choices, discipline)] += 1
        if a.text:
            text = a.text.strip()
            if text:
                qa.texts.append((text, discipline))
    return responded
