"""The draft's chapter on the laws and rules that affect the company.

Its policy text (`[section.legislation]` in draft.toml) says what we commit to; below it, every
rule of the legislation briefing (`[legislation.*]` in briefings.toml, the same dated overview the
chat shows, with the month its facts were checked) with its source and how many colleagues named
it in the poll, and the briefing's disclaimer (not legal advice) as a note for the CSR lead.
"""

from __future__ import annotations

from bot.content.briefings import Briefings
from bot.content.draft_texts import DraftTexts
from bot.core.domain import Question
from bot.reporting.draft.anonymity import Disclosure
from bot.reporting.draft.model import Block, Heading, Paragraph
from bot.reporting.draft.parts import count_choices, note, section_start

QUESTION = "legislation"  # the poll question whose options are the briefing's rules


def legislation_blocks(
    texts: DraftTexts,
    briefings: Briefings,
    question: Question | None,
    disclosure: Disclosure,
) -> list[Block]:
    """The chapter: policy text, then per rule its title, what it says and its source, and (once
    the anonymity rule lets the draft show counts) how many colleagues named it; the counts are
    the annex's, over everyone who answered the question."""
    section = texts.section("legislation")
    named = _named(texts, question, disclosure)
    as_of = Paragraph(texts.label("legislation_as_of", as_of=briefings.as_of_text))
    blocks: list[Block] = [*section_start(section), as_of]
    for key, rule in briefings.legislation.items():
        blocks += [
            Heading(rule.title or rule.source, 2),
            Paragraph(rule.text),
            Paragraph(texts.label("legislation_source", source=rule.source)),
        ]
        if key in named:
            blocks.append(Paragraph(named[key]))
    blocks += [Paragraph(briefings.legislation_disclaimer, style="note"), note(section)]
    return blocks


def _named(texts: DraftTexts, question: Question | None, disclosure: Disclosure) -> dict[str, str]:
    """Per option of the legislation question, how many colleagues picked it, as a sentence;
    nothing while the draft may show no counts or nobody answered the question."""
    if question is None or disclosure.withheld:
        return {}
    counts, answered = count_choices(question, disclosure.collected.question(QUESTION).picked())
    if not answered:
        return {}
    return {
        key: texts.label("legislation_named", count=count, answered=answered)
        if count
        else texts.label("legislation_not_named", answered=answered)
        for key, count in counts.items()
    }
