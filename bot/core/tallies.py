"""A campaign's answers reduced to what reports may use, without names or user ids.

`Collected` is what the draft and the digest are built from: per question, how many people
picked which options (by discipline) and every free text (with its writer's discipline). A store
makes it with a few aggregate queries and batched text reads (`Store.tally`), so a report on
100,000 respondents never holds 100,000 answers; `bot.reporting.draft.collect.collect` makes the
same value from answers in memory. `Figures` is the smaller set of counts `status` shows.
`AnswerColumns` holds one question's answers each on its own (still without identities), for
the answers workbook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

UNKNOWN_DISCIPLINE = "unknown"
DISCIPLINE_QUESTION = "discipline"

Choices = tuple[str, ...]


@dataclass
class QuestionAnswers:
    """The answers with content to one question."""

    # (the options a person picked, their discipline) → how many people picked just that
    choices: Counter[tuple[Choices, str]] = field(default_factory=Counter)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (text, discipline)
    people: int = 0  # respondents who gave this question any content

    def picked(self) -> list[tuple[Choices, int]]:
        """Everyone's picks with their counts."""
        merged: Counter[Choices] = Counter()
        for (choices, _), n in self.choices.items():
            merged[choices] += n
        return list(merged.items())

    def picked_by(
        self, group_of: Callable[[str], str | None]
    ) -> dict[str, list[tuple[Choices, int]]]:
        """The picks with their counts per group (`group_of` maps a discipline to its group key,
        or None for none)."""
        groups: dict[str, Counter[Choices]] = {}
        for (choices, discipline), n in self.choices.items():
            key = group_of(discipline)
            if key is not None:
                groups.setdefault(key, Counter())[choices] += n
        return {key: list(counts.items()) for key, counts in groups.items()}


@dataclass(frozen=True)
class Collected:
    """The campaign's answers, reduced and without identities."""

    invited: int
    completed: int
    respondents: int
    disciplines: dict[str, int]  # discipline key -> respondents
    by_question: dict[str, QuestionAnswers]

    def question(self, question_id: str) -> QuestionAnswers:
        return self.by_question.get(question_id) or QuestionAnswers()

    def all_texts(self) -> list[tuple[str, str]]:
        """Every free text of every question, as (text, question id)."""
        return [(text, qid) for qid, qa in self.by_question.items() for text, _ in qa.texts]


@dataclass(frozen=True)
class AnswerColumns:
    """One question's answers with content (picks, a text or both), without who gave them: the
    rows of the answers workbook, as columns (entry i of each is one answer), so that a store
    and the workbook handle 50,000 of them with a few C-level passes instead of an object each.
    A store reads them one question at a time (`ReportStore.answer_rows`)."""

    question_id: str
    choices: Sequence[Choices]
    texts: Sequence[str]  # "" where there is none
    answered_at: Sequence[str]  # the minute, in UTC: "2026-11-02T09:30" ("" if unknown)
    disciplines: Sequence[str]  # the writer's discipline key (UNKNOWN_DISCIPLINE if they gave none)

    def __len__(self) -> int:
        return len(self.texts)


def discipline_of(choices: Iterable[str] | None) -> str:
    """The discipline a discipline answer names (its first pick), or UNKNOWN_DISCIPLINE."""
    first = next(iter(choices or ()), None)
    return first if first else UNKNOWN_DISCIPLINE


@dataclass(frozen=True)
class Failure:
    """An invitation that could not be delivered (for the lead who must follow it up)."""

    person: str
    error: str


@dataclass(frozen=True)
class Figures:
    """Where a campaign stands, in counts (for `status`)."""

    invited: int = 0
    delivered: int = 0
    finished: int = 0
    responded: int = 0
    answered: dict[str, int] = field(default_factory=dict)  # question id → people with content
    skipped: dict[str, int] = field(default_factory=dict)  # question id → people who skipped
    disciplines_heard: frozenset[str] = frozenset()
    failures: tuple[Failure, ...] = ()
