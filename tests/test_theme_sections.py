"""The nine themes in the policy draft: written as our commitments, and honest about who spoke.

The draft's theme chapter is text a company adopts as its policy, so no sentence in it may
address the reader ("je", "you"); tips for the CSR lead are notes. A theme whose owner answered
the owners' questions, while no colleague mentioned it in the poll, shows the owner's answers
and says what is missing, instead of claiming nobody said anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.console.demo import run_demo
from bot.content import guidance as guide
from bot.content.library import shipped_content
from bot.core.domain import OwnerAnswer, OwnerState, ThemeOwner
from bot.core.settings import Settings
from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.collect import collect
from bot.reporting.draft.model import Block, Heading, Paragraph, Table
from tests.packs import draft_texts, pack
from tests.polls import T0, Poll, campaign, person

# A word that addresses the reader, per language (whole words only: "jeans", "young" pass).
ADDRESSED = {
    "nl": re.compile(r"\b(je|jij|jou|jouw)\b", re.IGNORECASE),
    "en": re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE),
}


def themes_chapter(markdown: str, heading: str) -> str:
    """The Markdown from the themes chapter's heading up to the next chapter's heading."""
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end > 0 else len(markdown)]


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_the_demo_drafts_themes_address_nobody(tmp_path: Path, language: str) -> None:
    out = tmp_path / "demo"
    code = await run_demo(Settings(language=language), out, language, lambda _: None)
    assert code == 0
    markdown = next(out.glob("campaign-*/*.md")).read_text(encoding="utf-8")
    texts = draft_texts(language)
    chapter = themes_chapter(markdown, texts.section("themes").heading)
    # Every theme is in it, with its commitments.
    for theme in texts.themes:
        assert f"\n### {theme.name}\n" in chapter
    addressed = [line for line in chapter.splitlines() if ADDRESSED[language].search(line)]
    assert addressed == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_theme_text_the_draft_shows_is_a_commitment(language: str) -> None:
    we = {"nl": ("Wij ", "We "), "en": ("We ",)}[language]
    for theme in draft_texts(language).themes:
        assert theme.principle.startswith(we), theme.key
        for example in theme.examples:
            assert example.startswith(we), (theme.key, example)
        for text in (theme.principle, theme.risk, *theme.examples, *theme.instruments):
            assert not ADDRESSED[language].search(text), (theme.key, text)


# --- a theme its owner answered about, which no colleague mentioned ---------------------------


def _section(blocks: list[Block], name: str) -> list[Block]:
    """The blocks of one theme: from its heading up to the next heading of the same level."""
    start = blocks.index(Heading(name, 2))
    end = next(
        (i for i in range(start + 1, len(blocks)) if _is_chapter_or_theme(blocks[i])),
        len(blocks),
    )
    return blocks[start:end]


def _is_chapter_or_theme(block: Block) -> bool:
    return isinstance(block, Heading) and block.level <= 2


@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_owner_who_answered_is_heard_where_no_colleague_mentioned_the_theme(
    language: str,
) -> None:
    poll = Poll()
    for n in range(6):  # enough colleagues to quote; none of them mentions animal welfare
        poll.respondent(n, "purchasing", mission="Durable clothing, made fairly.")
    poll.answer(person(0), "goals", text="Grow by selling better cotton shirts.")
    owner = ThemeOwner("animal-welfare", person(40), OwnerState.ACCEPTED, T0, display_name="Dana")
    answers = tuple(
        OwnerAnswer("animal-welfare", owner.person, qid, text, False, T0)
        for qid, text in (
            ("practice", "All our down is certified already."),
            ("first_step", "Ask our wool spinner for mulesing-free proof."),
        )
    )
    camp = campaign(language)
    draft = build_draft(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=(owner,),
        owner_answers=answers,
        pack=pack(language),
        generated_at=T0,
    )
    texts = draft_texts(language)
    blocks = list(draft.blocks)
    animal = _section(blocks, texts.theme("animal-welfare").name)
    notes = [b.text for b in animal if isinstance(b, Paragraph) and b.style == "note"]
    # It does not say that nobody said anything: it says only colleagues are missing.
    assert texts.label("theme_not_mentioned") not in notes
    assert notes == [texts.label("theme_owner_only")]
    # The owner's answers are in the theme's own section, before the next theme.
    assert Heading(texts.label("owner_says"), 3) in animal
    table = next(b for b in animal if isinstance(b, Table))
    assert "All our down is certified already." in {row[1] for row in table.rows}
    # A theme nobody spoke about, owner or colleague, still says so.
    child = _section(blocks, texts.theme("child-labour").name)
    child_notes = [b.text for b in child if isinstance(b, Paragraph) and b.style == "note"]
    assert child_notes == [texts.label("theme_not_mentioned")]
    assert Heading(texts.label("owner_says"), 3) not in child
    # The open items agree: the owner-only theme is not among the themes nobody spoke about.
    unspoken = next(i for i in draft.open_items if texts.theme("child-labour").name in i)
    assert texts.theme("animal-welfare").name not in unspoken


@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_owner_who_answered_one_question_is_a_sentence_not_a_table(language: str) -> None:
    poll = Poll()
    for n in range(6):
        poll.respondent(n, "purchasing")
    owner = ThemeOwner("animal-welfare", person(40), OwnerState.ACCEPTED, T0, display_name="Dana")
    answer = OwnerAnswer(
        "animal-welfare", owner.person, "first_step", "Ask our spinner for proof.", False, T0
    )
    camp = campaign(language)
    draft = build_draft(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=(owner,),
        owner_answers=(answer,),
        pack=pack(language),
        generated_at=T0,
    )
    texts = draft_texts(language)
    animal = _section(list(draft.blocks), texts.theme("animal-welfare").name)
    title = next(q.title for q in pack(language).owner_questions if q.id == "first_step")
    sentence = texts.label("owner_says_one", question=title, answer="Ask our spinner for proof.")
    assert Heading(texts.label("owner_says"), 3) in animal and Paragraph(sentence) in animal
    assert not [b for b in animal if isinstance(b, Table)]


# --- the same commitments in the chat ----------------------------------------------------------


def test_the_chat_shows_the_commitments_as_what_companies_often_commit_to() -> None:
    msgs = shipped_content().messages_for("nl")
    theme = draft_texts("nl").theme("living-wage")
    card = guide.theme_part(theme, "examples", msgs)
    assert msgs("guidance.examples_intro") in card.plain()
    assert all(e in card.plain() for e in theme.examples)


def test_dutch_readers_see_dutch_theme_words_not_english_keys() -> None:
    content = shipped_content()
    dutch = draft_texts("nl").themes
    listed = guide.unknown_theme("lonen", dutch, content.messages_for("nl"))
    assert "kinderarbeid" in listed and "leefbaar-loon" in listed
    assert "child-labour" not in listed and "living-wage" not in listed
    snippet = guide.theme_snippet(dutch[1], "nog geen eigenaar", content.messages_for("nl"))
    assert "uitleg kinderarbeid voorbeelden" in f"{snippet.hint} {snippet.click_hint}"
    assert "child-labour" not in f"{snippet.text} {snippet.hint} {snippet.click_hint}"
    english = draft_texts("en").themes
    assert [t.word for t in english] == [t.key for t in english]
    assert "child-labour" in guide.unknown_theme("wages", english, content.messages_for("en"))
