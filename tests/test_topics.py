"""Free-text answers grouped into topics by recurring words (issue 21).

A topic is a word, stemmed by the Snowball stemmer of the answers' language, that comes back in
at least k answers (the anonymity minimum); stop words from content/<lang>/topics.toml never
make one. The draft shows each topic with its count and one quote, then says in print how many
answers are not shown and names the spreadsheet that holds them all.
"""

from __future__ import annotations

import io
import random
import re

import docx
import pytest

from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.collect import collect
from bot.reporting.draft.docx import render_docx
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import Paragraph, PolicyDraft, Quote
from bot.reporting.draft.parts import topic_blocks
from bot.reporting.draft.topics import QUOTE_MAX_CHARS, find_topics
from tests.packs import draft_texts, pack
from tests.polls import T0, Poll, campaign

K = 5

# Words that occur once each: every answer has its own, so none of them is a topic.
UNIQUE = {
    "nl": [
        "katoen",
        "wol",
        "zijde",
        "linnen",
        "viscose",
        "leer",
        "rubber",
        "polyester",
        "denim",
        "fleece",
        "kant",
        "tule",
        "satijn",
        "fluweel",
        "jersey",
        "tricot",
        "vilt",
        "kurk",
        "bamboe",
        "hennep",
        "jute",
        "kasjmier",
        "mohair",
        "alpaca",
        "angora",
        "modal",
        "lyocell",
        "elastaan",
        "acryl",
        "nylon",
        "spandex",
        "chenille",
        "corduroy",
        "flanel",
        "gabardine",
        "popeline",
        "seersucker",
        "taft",
        "voile",
        "batist",
    ],
    "en": [
        "cotton",
        "wool",
        "silk",
        "linen",
        "viscose",
        "leather",
        "rubber",
        "polyester",
        "denim",
        "fleece",
        "lace",
        "tulle",
        "satin",
        "velvet",
        "jersey",
        "tricot",
        "felt",
        "cork",
        "bamboo",
        "hemp",
        "jute",
        "cashmere",
        "mohair",
        "alpaca",
        "angora",
        "modal",
        "lyocell",
        "elastane",
        "acrylic",
        "nylon",
        "spandex",
        "chenille",
        "corduroy",
        "flannel",
        "gabardine",
        "poplin",
        "seersucker",
        "taffeta",
        "voile",
        "batiste",
    ],
}
# Around each subject only stop words and one word of its own.
FRAMES = {
    "nl": (
        "Wij vinden de {word} bij {own} echt belangrijk.",
        "Het gaat vooral om de {word} van {own}.",
        "Voor {own} moeten de {word} beter.",
    ),
    "en": (
        "We think the {word} for {own} are really important.",
        "It is just about the {word} of {own}.",
        "For {own} the {word} should be better.",
    ),
}
# (form, how many answers) per subject: inflections the stemmer must group.
SUBJECTS = {
    "nl": (
        (("levertijden", 8), ("levertijd", 7)),
        (("prijzen", 7), ("prijs", 6)),
        (("transparantie", 12),),
    ),
    "en": (
        (("deadlines", 8), ("deadline", 7)),
        (("prices", 7), ("price", 6)),
        (("transparency", 12),),
    ),
}
EXPECTED = {
    "nl": [("levertijden", 15), ("prijzen", 13), ("transparantie", 12)],
    "en": [("deadlines", 15), ("prices", 13), ("transparency", 12)],
}


def answers(lang: str) -> list[str]:
    """40 answers: three subjects, each in its inflections, around stop words."""
    own = iter(UNIQUE[lang])
    out: list[str] = []
    for forms in SUBJECTS[lang]:
        for word, count in forms:
            for _ in range(count):
                frame = FRAMES[lang][len(out) % len(FRAMES[lang])]
                out.append(frame.format(word=word, own=next(own)))
    assert len(out) == 40
    return out


def topics_of(lang: str, texts: list[str], minimum: int = K) -> list[tuple[str, int]]:
    found = find_topics(texts, lang, draft_texts(lang).stopwords, minimum)
    return [(t.label, t.count) for t in found.topics]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_three_subjects_give_three_topics_with_their_counts(lang: str) -> None:
    texts = answers(lang)
    found = find_topics(texts, lang, draft_texts(lang).stopwords, K)
    assert [(t.label, t.count) for t in found.topics] == EXPECTED[lang]
    stems = {"nl": ("levertijd", "prij", "transparant"), "en": ("deadline", "price", "transpar")}
    for topic, stem in zip(found.topics, stems[lang], strict=True):
        assert stem in topic.quote.casefold() and topic.quote in texts
    assert len({t.quote for t in found.topics}) == 3  # one answer is never quoted twice
    assert found.answers == 40 and found.not_quoted == 37


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_order_of_the_answers_does_not_change_the_topics(lang: str) -> None:
    texts = answers(lang)
    first = find_topics(texts, lang, draft_texts(lang).stopwords, K)
    for seed in range(3):
        shuffled = random.Random(seed).sample(texts, len(texts))
        assert find_topics(shuffled, lang, draft_texts(lang).stopwords, K) == first


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_fewer_than_k_answers_give_no_topic_and_no_quote(lang: str) -> None:
    word = {"nl": "prijzen", "en": "prices"}[lang]
    texts = [f"{word} {own}" for own in UNIQUE[lang][: K - 1]]
    assert topics_of(lang, texts) == []
    blocks = topic_blocks(draft_texts(lang), texts, K, "answers-7.xlsx", 8)
    assert not any(isinstance(b, Quote) for b in blocks)
    assert not any(word in getattr(b, "text", "") for b in blocks)
    assert blocks == [Paragraph(draft_texts(lang).label("topics_too_few", count=K - 1, min=K))]
    # A word in fewer than k answers is no topic either, however many answers there are.
    more = texts + [f"{own} {own}" for own in UNIQUE[lang][K:20]]
    assert topics_of(lang, more) == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_stop_words_never_become_topics(lang: str) -> None:
    stopwords = draft_texts(lang).stopwords
    assert 100 <= len(stopwords) <= 250
    frequent = sorted(w for w in stopwords if len(w) >= 3)[:30]
    texts = [" ".join(frequent) + f" {own}" for own in UNIQUE[lang]]
    assert topics_of(lang, texts) == []
    labels = {label for label, _ in topics_of(lang, [*texts, *answers(lang)])}
    assert labels == {label for label, _ in EXPECTED[lang]}


def test_short_words_numbers_and_near_duplicates_are_no_topics() -> None:
    texts = [f"QA ok 2026 lead times at supplier {own}" for own in UNIQUE["en"][:10]]
    found = topics_of("en", texts)
    # "lead" and "times" hold the same answers: one topic, not two; "supplier" too.
    assert len(found) == 1 and found[0][1] == 10
    assert found[0][0] in {"lead", "times", "supplier"}


def test_a_long_answer_is_quoted_only_when_no_shorter_one_fits() -> None:
    long = "prices " + "and more words " * 40
    assert len(long) > QUOTE_MAX_CHARS
    texts = [long] * 4 + ["Fair prices for makers.", "prices"]
    found = find_topics(texts, "en", draft_texts("en").stopwords, K)
    assert [(t.label, t.count, t.quote) for t in found.topics] == [
        ("prices", 6, "Fair prices for makers.")
    ]
    only_long = find_topics([long] * 5, "en", draft_texts("en").stopwords, K)
    quote = only_long.topics[0].quote
    assert len(quote) <= QUOTE_MAX_CHARS + 2 and quote.endswith("…")


def test_many_answers_are_grouped_quickly_and_exactly() -> None:
    rng = random.Random(5)
    words = ["quality", "price", "cotton", "wage", "audit", "buyer", "margin", "customer"]
    texts = [f"{' '.join(rng.sample(words, 3))} {i}" for i in range(50_000)]
    found = find_topics(texts, "en", draft_texts("en").stopwords, K)
    exact = {w: sum(w in t.split() for t in texts) for w in words}
    assert found.topics and all(t.count == exact[t.label] for t in found.topics)


# --- in the draft ---------------------------------------------------------------------------


def draft(lang: str, spreadsheet: str = "answers-7.xlsx") -> PolicyDraft:
    poll = Poll()
    for n, text in enumerate(answers(lang)):
        poll.respondent(n, "purchasing", mission=text)
    camp = campaign(lang)
    return build_draft(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=(),
        pack=pack(lang),
        generated_at=T0,
        anonymity_min=K,
        spreadsheet=spreadsheet,
    )


def word_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_draft_shows_topics_and_what_is_not_shown_in_print(lang: str) -> None:
    texts = draft_texts(lang)
    made = draft(lang)
    markdown = render_markdown(made, pack(lang).draft_template)
    word = word_paragraphs(render_docx(made))
    not_shown = texts.label("topics_not_shown", count=37, total=40, file="answers-7.xlsx")
    for label, count in EXPECTED[lang]:
        line = texts.label("topic", topic=label.capitalize(), count=count, total=40)
        assert f"\n{line}\n" in markdown and line in word
    # In print: a paragraph of its own in both files, not a note for the lead (a Word comment).
    assert f"\n{not_shown}\n" in markdown and not_shown in word
    assert not re.search(rf"> .*{re.escape(not_shown)}", markdown)
    assert texts.label("more_answers", count=37) not in markdown
    # Each topic is followed by its quote.
    blocks = list(made.blocks)
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph) and block.text.startswith(EXPECTED[lang][0][0].title()):
            assert isinstance(blocks[index + 1], Quote)
            break
    else:
        raise AssertionError("no topic line")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_without_a_spreadsheet_the_draft_names_none(lang: str) -> None:
    texts = draft_texts(lang)
    markdown = render_markdown(draft(lang, spreadsheet=""), pack(lang).draft_template)
    assert texts.label("topics_not_shown_here", count=37, total=40) in markdown
    assert ".xlsx" not in markdown


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_words_of_the_question_are_no_topic(lang: str) -> None:
    texts = draft_texts(lang)
    title = {"nl": "Prijzen", "en": "Prices"}[lang]
    blocks = topic_blocks(texts, answers(lang), K, "", 8, title)
    lines = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert len([b for b in blocks if isinstance(b, Quote)]) == 2
    assert not any(line.startswith(title) for line in lines)
