"""The annex on internal support: who took part, what drives colleagues, where resistance waits.

Everything here is about groups, never about people: a discipline with fewer respondents than
the anonymity minimum is never shown on its own (see `anonymity.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.draft_texts import DraftTexts
from bot.core.domain import Question
from bot.core.tallies import Collected, QuestionAnswers
from bot.reporting.draft.anonymity import Grouping
from bot.reporting.draft.model import Block, Heading, Paragraph, Table
from bot.reporting.draft.parts import (
    chart,
    count_choices,
    counts_table,
    note,
    ordered_counts,
    percent,
    quote_blocks,
    section_start,
)

# Choice questions whose counts and "why" texts are also shown per discipline group.
BY_GROUP = ("drivers", "resistance")
# Choice questions shown with overall counts (and their "why" texts) only.
OVERALL = ("trends", "legislation")
MOBILISE = "mobilise"
# Choice questions whose overall counts are also drawn as a bar chart.
CHARTED = ("drivers", "resistance", "trends")


def annex_blocks(
    texts: DraftTexts,
    questions: Mapping[str, Question],
    collected: Collected,
    grouping: Grouping,
    anonymity_min: int,
    max_quotes: int,
) -> list[Block]:
    """The annex chapter: participation, drivers, resistance, trends, legislation, mobilisation."""
    section = texts.section("annex")
    blocks: list[Block] = [*section_start(section), note(section)]
    # Charts only once the campaign has k respondents: before that a bar could be one person.
    charts = collected.respondents >= anonymity_min
    blocks += _participation(texts, collected, grouping, anonymity_min, charts)
    for qid in BY_GROUP + OVERALL:
        question = questions.get(qid)
        if question is not None and question.options:
            by_group = qid in BY_GROUP
            blocks += _choice(
                texts,
                question,
                collected.question(qid),
                grouping,
                by_group,
                max_quotes,
                charts and qid in CHARTED,
            )
    mobilise = questions.get(MOBILISE)
    if mobilise is not None:
        blocks.append(Heading(mobilise.title, 2))
        items = [(text, "") for text, _ in collected.question(MOBILISE).texts]
        blocks += quote_blocks(texts, items, max_quotes)
    return blocks


def _participation(
    texts: DraftTexts, collected: Collected, grouping: Grouping, anonymity_min: int, charts: bool
) -> list[Block]:
    total = collected.respondents
    rows = tuple(
        (group.label, texts.number(group.size), percent(texts, group.size, total))
        for group in grouping.groups
    )
    rows += ((texts.label("total"), texts.number(total), percent(texts, total, total)),)
    header = (texts.label("discipline"), texts.label("respondents"), texts.label("share"))
    blocks: list[Block] = [
        Heading(texts.label("participation"), 2),
        Paragraph(texts.label("anonymity_note", min=anonymity_min), style="note"),
        Table(header=header, rows=rows),
    ]
    breakdown = grouping.breakdown()
    if charts and breakdown:
        bars = [(group.label, group.size) for group in breakdown]
        blocks.append(chart(texts, "participation", texts.label("chart_participation"), bars))
    return blocks


def _choice(
    texts: DraftTexts,
    question: Question,
    answers: QuestionAnswers,
    grouping: Grouping,
    by_group: bool,
    max_quotes: int,
    charted: bool = False,
) -> list[Block]:
    """Counts (and quotes of the "why") for one choice question, overall and per shown group."""
    counts, answered = count_choices(question, answers.picked())
    blocks: list[Block] = [
        Heading(question.title, 2),
        Heading(texts.label("all_respondents", count=answered), 3),
    ]
    if not answered:
        return [*blocks, Paragraph(texts.label("no_answers"), style="note")]
    blocks.append(counts_table(texts, question, counts, answered))
    if charted:
        blocks.append(chart(texts, question.id, question.title, ordered_counts(question, counts)))
    if question.asks_why:
        everyone = [(text, "") for text, _ in answers.texts]
        if everyone:
            blocks.append(Paragraph(texts.label("why"), style="note"))
            blocks += quote_blocks(texts, everyone, max_quotes)
    breakdown = grouping.breakdown() if by_group else ()
    if not breakdown:
        return blocks
    choices = answers.picked_by(grouping.group_for)
    why: dict[str, list[tuple[str, str]]] = {g.key: [] for g in breakdown}
    for text, discipline in answers.texts:
        key = grouping.group_for(discipline)
        if key in why:
            why[key].append((text, ""))
    for group in breakdown:
        counts, answered = count_choices(question, choices.get(group.key, []))
        blocks.append(Heading(texts.label("group", group=group.label, count=group.size), 3))
        if not answered:
            blocks.append(Paragraph(texts.label("no_answers"), style="note"))
            continue
        blocks.append(counts_table(texts, question, counts, answered))
        said = why[group.key]
        if said:
            blocks.append(Paragraph(texts.label("why"), style="note"))
            blocks += quote_blocks(texts, said, max_quotes)
    return blocks
