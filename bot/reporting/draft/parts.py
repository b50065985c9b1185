"""Small block builders shared by the policy chapters and the annex."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.content.draft_texts import DraftTexts, SectionText
from bot.core.domain import Question
from bot.reporting.draft.model import Block, Chart, Heading, Paragraph, Quote, Table
from bot.reporting.draft.quotes import select_quotes
from bot.reporting.draft.topics import find_topics

_TITLE_WORD = re.compile(r"[^\W\d_]+")


def percent(texts: DraftTexts, part: int, whole: int) -> str:
    """`part` of `whole` as a rounded percentage in the draft's language."""
    return texts.percent(round(100 * part / whole) if whole else 0)


def section_start(section: SectionText, level: int = 1) -> list[Block]:
    """A section's heading and policy text."""
    return [Heading(section.heading, level), Paragraph(section.text)]


def note(section: SectionText) -> Paragraph:
    """The hint for the CSR lead, shown in italics."""
    return Paragraph(section.note, style="note")


def quote_blocks(
    texts: DraftTexts,
    items: Sequence[tuple[str, str]],
    limit: int,
    empty: str | None = None,
) -> list[Block]:
    """Up to `limit` quotes from (text, source) items, then "and N more", or `empty` if none."""
    if not items:
        return [Paragraph(empty or texts.label("no_answers"), style="note")]
    selection = select_quotes(items, limit)
    blocks: list[Block] = [Quote(text, source) for text, source in selection.quotes]
    if selection.more:
        more = (
            texts.label("one_more_answer")
            if selection.more == 1
            else texts.label("more_answers", count=selection.more)
        )
        blocks.append(Paragraph(more, style="note"))
    return blocks


def topic_blocks(
    texts: DraftTexts,
    answers: Sequence[str],
    minimum: int,
    spreadsheet: str,
    max_quotes: int,
    title: str = "",
) -> list[Block]:
    """One free-text question's answers as topics (`topics.find_topics`): per topic its word,
    in how many answers it comes back and one answer quoted; then, in print, how many answers
    are not shown and the spreadsheet that holds them all. The words of the question's `title`
    are no topic: answers to "Goals" that say "goals" only echo the question.

    Fewer than `minimum` answers give no topic and no quote. When no word comes back in
    `minimum` answers, a few answers are quoted as they are (`quote_blocks`)."""
    total = len(answers)
    if not total:
        return [Paragraph(texts.label("no_answers"), style="note")]
    if total < minimum:
        return [Paragraph(texts.label("topics_too_few", count=total, min=minimum))]
    echo = {word.casefold() for word in _TITLE_WORD.findall(title)}
    found = find_topics(answers, texts.language, texts.stopwords | echo, minimum)
    blocks: list[Block] = []
    if found.topics:
        blocks.append(Paragraph(texts.label("topics_intro", min=minimum)))
        for topic in found.topics:
            name = topic.label[:1].upper() + topic.label[1:]
            blocks.append(
                Paragraph(texts.label("topic", topic=name, count=topic.count, total=total))
            )
            blocks.append(Quote(topic.quote))
        shown = len(found.topics)
    else:
        selection = select_quotes([(text, "") for text in answers], max_quotes)
        blocks.append(Paragraph(texts.label("topics_none", min=minimum)))
        blocks += [Quote(text, source) for text, source in selection.quotes]
        shown = len(selection.quotes)
    if shown < total:
        blocks.append(Paragraph(_not_shown(texts, total - shown, total, spreadsheet)))
    return blocks


def _not_shown(texts: DraftTexts, count: int, total: int, spreadsheet: str) -> str:
    """How many of the answers the draft does not quote, and where they all are."""
    if spreadsheet:
        return texts.label("topics_not_shown", count=count, total=total, file=spreadsheet)
    return texts.label("topics_not_shown_here", count=count, total=total)


def count_choices(
    question: Question, entries: Iterable[tuple[tuple[str, ...], int]]
) -> tuple[dict[str, int], int]:
    """Counts per option key of `question` over (picks, people who picked them); also how many
    people answered. A stored combination of an exclusive option with others (from before such
    combinations were refused) counts as its real choices only (`Question.real_choices`)."""
    counts = {option.key: 0 for option in question.options}
    answered = 0
    for choices, people in entries:
        counted = False
        for key in question.real_choices(choices):
            if key in counts:
                counts[key] += people
                counted = True
        answered += people if counted else 0
    return counts, answered


def counts_table(
    texts: DraftTexts, question: Question, counts: dict[str, int], answered: int
) -> Table:
    """Option label, count and share of those who answered; most chosen first."""
    rows = tuple(
        (label, texts.number(count), percent(texts, count, answered))
        for label, count in ordered_counts(question, counts)
    )
    header = (texts.label("option"), texts.label("count"), texts.label("share_answered"))
    return Table(header=header, rows=rows)


def ordered_counts(question: Question, counts: dict[str, int]) -> list[tuple[str, int]]:
    """(option label, count), most chosen first, ties in the poll's order."""
    order = {option.key: index for index, option in enumerate(question.options)}
    ranked = sorted(question.options, key=lambda o: (-counts[o.key], order[o.key]))
    return [(option.label, counts[option.key]) for option in ranked]


def chart(texts: DraftTexts, name: str, title: str, bars: Sequence[tuple[str, int]]) -> Chart:
    """A bar chart of counts of colleagues, with the same figures in words as its alt text."""
    figures = "; ".join(f"{label}: {texts.number(count)}" for label, count in bars)
    return Chart(name, title, tuple(bars), texts.label("chart_axis"), f"{title}. {figures}.")
