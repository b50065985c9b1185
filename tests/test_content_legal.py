"""The legal layer of `content/` as of December 2026 (issue 20): leather is out of the EUDR, the
ESPR ban on destroying unsold goods and the EU textile EPR Directive are in the legislation
briefing, the poll and the policy draft's legislation chapter, in both languages."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from bot.core.domain import LANGUAGES, Question
from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.collect import collect
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import Heading, Paragraph, PolicyDraft
from tests.packs import briefings, draft_texts, pack
from tests.polls import T0, Poll, campaign, questions

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"

# Words for leather, and for the EU Deforestation Regulation as a legal instrument. A risk
# statement ("leather from cattle raised on cleared forest land") stays allowed: leather
# traceability remains voluntary due diligence; only the legal tie is wrong since Commission
# Delegated Regulation (EU) 2026/2102 took hides, skins and leather out of Annex I.
LEATHER = re.compile(r"\b(?:leer|leren|leder\w*|leather\w*|hides?|huiden|skins?)\b", re.I)
EUDR = re.compile(
    r"\beudr\b|ontbossingsverordening|ontbossingsregel|ontbossingswet|ontbossingsvrij"
    r"|regels tegen ontbossing|deforestation[- ]regulation|deforestation rules"
    r"|deforestation-free|2023/1115",
    re.I,
)
# A sentence that names the act taking leather out says just that, so it may name both.
REMOVAL_ACT = "2026/2102"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def content_files() -> list[str]:
    return sorted(
        str(path.relative_to(CONTENT))
        for lang in LANGUAGES
        for path in (CONTENT / lang).iterdir()
        if path.suffix in (".toml", ".md")
    )


def _values(value: object) -> Iterator[str]:
    """Every text of parsed TOML (comments are not content: nobody is shown them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def _texts(name: str) -> Iterator[str]:
    raw = (CONTENT / name).read_text(encoding="utf-8")
    if name.endswith(".toml"):
        yield from _values(tomllib.loads(raw))
    else:
        yield raw


def sentences(text: str) -> Iterator[str]:
    for sentence in SENTENCE_END.split(text):
        if sentence.strip():
            yield " ".join(sentence.split())


def leather_under_eudr(text: str) -> list[str]:
    """The sentences of `text` that put leather under the EUDR."""
    return [
        s for s in sentences(text) if LEATHER.search(s) and EUDR.search(s) and REMOVAL_ACT not in s
    ]


@pytest.mark.parametrize("name", content_files())
def test_no_content_file_ties_leather_to_the_eudr(name: str) -> None:
    found = [s for text in _texts(name) for s in leather_under_eudr(text)]
    assert not found, f"content/{name}: {found}"


def test_the_leather_check_finds_what_it_should() -> None:
    assert leather_under_eudr("EU deforestation rules (leather, rubber)")
    assert leather_under_eudr(
        "Producten van runderen (leer en huiden staan in bijlage I), rubber en hout moeten "
        "ontbossingsvrij zijn."
    )
    assert not leather_under_eudr(
        "Leer en huiden komen van runderen.\nRubber moet ontbossingsvrij zijn."
    )
    assert leather_under_eudr("Onze leren accessoires vallen onder de ontbossingsregels.")
    assert not leather_under_eudr(
        "Leer staat sinds Gedelegeerde Verordening (EU) 2026/2102 niet meer onder de EUDR."
    )
    assert not leather_under_eudr("Leer kan afkomstig zijn van vee dat met ontbossing samenhangt.")
    assert not leather_under_eudr("We want to learn about the EUDR.")


# --- the ESPR destruction ban and the EU textile EPR Directive, everywhere ---------------------

NEW_RULES = {
    "destruction_ban": ("ESPR", "2024/1781", "19 juli 2026|19 July 2026"),
    "eu_textile_epr": ("2025/1892", "17 april 2028|17 April 2028"),
}
# Where Slack shows the poll's options as buttons: at most 10, each label at most 75 characters
# (adapters/slack/render.py; longer labels are shortened and listed in full above the buttons).
SLACK_BUTTONS, SLACK_LABEL = 10, 75


def legislation_question(language: str) -> Question:
    return next(q for q in questions(language) if q.id == "legislation")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_eu_rules_are_in_the_briefing_and_the_poll(language: str) -> None:
    rules = briefings(language).legislation
    labels = {o.key: o.label for o in legislation_question(language).options}
    for key, marks in NEW_RULES.items():
        said = f"{rules[key].title} {rules[key].text} {rules[key].source}"
        for mark in marks:
            assert re.search(mark, said), (key, mark)
        assert marks[0] in labels[key], labels[key]
    assert "leather" not in labels["deforestation"] and "leer" not in labels["deforestation"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_poll_label_fits_a_slack_button(language: str) -> None:
    for question in questions(language):
        for option in question.options:
            assert len(option.label.encode("utf-16-le")) // 2 <= SLACK_LABEL, option.label
    assert len(legislation_question(language).options) <= SLACK_BUTTONS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_reads_as_a_statement_not_to_the_reader(language: str) -> None:
    """The rules are quoted in the policy draft, so none addresses the reader."""
    you = re.compile(r"\b(?:je|jij|jou|jouw|you|your)\b", re.I)
    for key, rule in briefings(language).legislation.items():
        assert not you.search(f"{rule.title} {rule.text}"), key


def test_the_csddd_scope_says_on_average_and_worldwide() -> None:
    """After Omnibus I: EU companies with on average more than 5,000 employees and more than
    EUR 1.5 billion net worldwide turnover (not "5,000 employees in the EU")."""
    nl = briefings("nl").legislation["customer_cascade"].text
    en = briefings("en").legislation["customer_cascade"].text
    assert "gemiddeld meer dan 5.000 werknemers" in nl and "netto-omzet wereldwijd" in nl
    assert "on average more than 5,000 employees" in en and "net worldwide turnover" in en
    assert "in de EU meer dan 5.000" not in nl
    for text, words in (
        (nl, ("26 juli 2028", "juli 2029", "3%")),
        (en, ("26 July 2028", "July 2029", "3%")),
    ):
        for word in words:
            assert word in text, word


# --- the draft's legislation chapter ----------------------------------------------------------

CHAPTER = {"nl": "Wet- en regelgeving die ons raakt", "en": "Laws and rules that affect us"}


@pytest.fixture(scope="module", params=LANGUAGES)
def demo_draft(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, str]:
    """The demo's draft in one language, as Markdown and as the text of the Word file."""
    language = str(request.param)
    out = tmp_path_factory.mktemp(f"demo-{language}")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(out), "--lang", language],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    [markdown] = out.glob("campaign-*/*.md")
    [word] = out.glob("campaign-*/*.docx")
    document = docx.Document(str(word))
    with zipfile.ZipFile(word) as archive:  # the notes for the lead are comments in the margin
        comments = archive.read("word/comments.xml").decode("utf-8")
    body = "\n".join(p.text for p in document.paragraphs)
    return language, markdown.read_text(encoding="utf-8"), f"{body}\n{comments}"


def _chapter(markdown: str, heading: str) -> str:
    """The Markdown from the chapter's heading to the next heading of the same level."""
    start = re.search(rf"(?m)^(#+) {re.escape(heading)}$", markdown)
    assert start, heading
    level = start.group(1)
    end = re.compile(rf"(?m)^{level} ").search(markdown, start.end())
    return markdown[start.start() : end.start() if end else len(markdown)]


def test_the_demo_draft_has_the_legislation_chapter(demo_draft: tuple[str, str, str]) -> None:
    language, markdown, word = demo_draft
    texts, rules = draft_texts(language), briefings(language)
    chapter = _chapter(markdown, CHAPTER[language])
    # after our purchasing practices, before the nine themes
    headings = [h for h in re.findall(r"(?m)^#+ (.+)$", markdown)]
    order = [texts.section(k).heading for k in ("purchasing", "legislation", "themes")]
    assert [headings.index(h) for h in order] == sorted(headings.index(h) for h in order)
    for rule in rules.legislation.values():
        assert f" {rule.title}\n" in chapter, rule.title
        assert rule.source in chapter and rule.source in word
        assert rule.title in word
    for marks in NEW_RULES.values():
        assert marks[0] in chapter and marks[0] in word
    assert rules.legislation_disclaimer in chapter and rules.legislation_disclaimer in word
    assert texts.section("legislation").text in word
    as_of = texts.label("legislation_as_of", as_of=rules.as_of_text)
    assert as_of in chapter and as_of in word
    # Every rule with a poll option says how many named it, or that nobody did (not "0 of 11").
    named = {"nl": "In de peiling genoemd door", "en": "Named in the poll by"}[language]
    nobody = {"nl": "noemde deze regel", "en": "named this rule"}[language]
    said = chapter.count(named) + chapter.count(nobody)
    assert said == len(legislation_question(language).options) - 1  # not "unknown"
    assert chapter.count(nobody) >= 1  # the demo has rules nobody named
    assert not re.search(rf"{named} 0 ", chapter)
    body = "\n".join(line for line in chapter.splitlines() if not line.startswith(">"))
    assert not re.search(r"\b(?:je|jij|jou|jouw|you|your)\b", body, re.I)


def _poll(respondents: int) -> Poll:
    poll = Poll()
    for n in range(respondents):
        key = poll.respondent(n, "purchasing")
        poll.answer(key, "legislation", "forced_labour", *(("destruction_ban",) if n < 2 else ()))
    return poll


def _draft(language: str, poll: Poll) -> PolicyDraft:
    camp = campaign(language)
    return build_draft(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=(),
        pack=pack(language),
        generated_at=T0,
        anonymity_min=5,
    )


def _paragraphs_after(draft: PolicyDraft, heading: str) -> list[str]:
    blocks = list(draft.blocks)
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == heading)
    out: list[str] = []
    for block in blocks[at + 1 :]:
        if isinstance(block, Heading):
            break
        if isinstance(block, Paragraph) and block.style == "body":
            out.append(block.text)
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chapter_counts_colleagues_only_under_the_anonymity_rule(language: str) -> None:
    texts, rules = draft_texts(language), briefings(language).legislation
    counted = _draft(language, _poll(6))
    said = _paragraphs_after(counted, rules["forced_labour"].title)
    assert texts.label("legislation_named", count=6, answered=6) in said
    said = _paragraphs_after(counted, rules["destruction_ban"].title)
    assert texts.label("legislation_named", count=2, answered=6) in said
    # the Dutch law status has no poll option, so no count
    assert len(_paragraphs_after(counted, rules["dutch_law"].title)) == 2  # text and source
    # below five respondents the draft shows no count at all, but still every rule
    withheld = _draft(language, _poll(4))
    said = _paragraphs_after(withheld, rules["forced_labour"].title)
    assert said == [
        rules["forced_labour"].text,
        texts.label("legislation_source", source=rules["forced_labour"].source),
    ]
    markdown = render_markdown(withheld, pack(language).draft_template)
    assert CHAPTER[language] in markdown and "2025/1892" in markdown
