"""The annex on internal support: who took part, what drives colleagues, where resistance waits.

Everything here is about groups, never about people: a discipline with fewer respondents than
the anonymity minimum is never shown on its own (see `anonymity.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.draft_texts import DraftTexts
from bot.core.domain import Question
from bot.core.tallies import QuestionAnswers
from bot.reporting.draft.anonymity import Disclosure, Grouping
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
    topic_blocks,
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
    disclosure: Disclosure,
    max_quotes: int,
    spreadsheet: str = "",
) -> list[Block]:
    """The annex chapter: participation, drivers, resistance, trends, legislation, mobilisation;
    under the anonymity rule (`Disclosure`): below k respondents, only how many took part."""
    section = texts.section("annex")
    blocks: list[Block] = [*section_start(section), note(section)]
    collected, grouping = disclosure.collected, disclosure.grouping
    charts = not disclosure.withheld
    blocks += _participation(texts, disclosure)
    if disclosure.withheld:
        return blocks
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
        answers = [text for text, _ in collected.question(MOBILISE).texts]
        blocks += topic_blocks(
            texts, answers, disclosure.minimum, spreadsheet, max_quotes, mobilise.title
        )
    return blocks


def _participation(texts: DraftTexts, disclosure: Disclosure) -> list[Block]:
    """Respondents per shown group, the rest together, and the total; a chart of the groups."""
    total = disclosure.collected.respondents
    groups = disclosure.groups
    rows = tuple(
        (group.label, texts.number(group.size), percent(texts, group.size, total))
        for group in groups
    )
    rest = total - sum(group.size for group in groups)
    if groups and rest:
        rows += ((texts.label("rest"), texts.number(rest), percent(texts, rest, total)),)
    rows += ((texts.label("total"), texts.number(total), percent(texts, total, total)),)
    header = (texts.label("discipline"), texts.label("respondents"), texts.label("share"))
    blocks: list[Block] = [
        Heading(texts.label("participation"), 2),
        Paragraph(texts.label("anonymity_note", min=disclosure.minimum), style="note"),
    ]
    # Without a group to show (`breakdown` never gives one group that is everyone), the table
    # would be the total alone: one row, said as a sentence.
    if groups:
        blocks.append(Table(header=header, rows=rows))
    else:
        blocks.append(Paragraph(texts.label("participation_total", count=total)))
    if len(groups) > 1 or (groups and rest):
        bars = [(group.label, group.size) for group in groups]
        if rest:
            bars.append((texts.label("rest"), rest))
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
