"""One pass over a campaign's answers for the policy draft and the answers workbook.

The draft needs the answers counted (`Collected`: picks per discipline, the free texts), and the
workbook needs every answer. Both come from the same read, one question at a time
(`ReportStore.answer_rows`), so a compile reads the answers once: at 50,000 respondents that
is about a second less than counting them in SQL (`Store.tally`) and then reading them again.

The count is `Store.tally`'s, made from the rows: only participants' answers with content, a
person's discipline their unskipped answer to the discipline question, texts stripped. Only the
order of the texts differs (here: by answer, there: by person), which nothing depends on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from itertools import compress

from bot.core.ports import ReportStore
from bot.core.tallies import AnswerColumns, Collected, QuestionAnswers
from bot.reporting.spreadsheet import AnswersBook


async def read_answers(
    store: ReportStore,
    campaign_id: int,
    questions: Sequence[str],
    collected: Collected,
    book: AnswersBook | None = None,
) -> Collected:
    """Counts the answers to `questions` into `collected` (the campaign's participants and
    respondents, `ReportStore.respondents`, with no answers yet) and writes each question's
    sheet into `book`. Each question is counted and written on a worker thread while the next
    one is read."""
    batches = store.answer_rows(campaign_id, questions)
    ahead = asyncio.ensure_future(anext(batches, None))
    try:
        while (answers := await ahead) is not None:
            ahead = asyncio.ensure_future(anext(batches, None))
            await asyncio.to_thread(_take, collected, answers, book)
    finally:
        ahead.cancel()
        await asyncio.gather(ahead, return_exceptions=True)
        aclose = getattr(batches, "aclose", None)
        if aclose is not None:
            await aclose()
    return collected


def _take(collected: Collected, answers: AnswerColumns, book: AnswersBook | None) -> None:
    """Counts one question's answers (C-level passes: 50,000 answers take milliseconds)."""
    qa = collected.by_question.setdefault(answers.question_id, QuestionAnswers())
    qa.people += len(answers)
    picked = [bool(c) for c in answers.choices]
    who = answers.disciplines
    qa.choices.update(zip(compress(answers.choices, picked), compress(who, picked), strict=True))
    stripped = [text.strip() for text in answers.texts]
    qa.texts += zip(compress(stripped, stripped), compress(who, stripped), strict=True)
    if book is not None:
        book.write(answers)
