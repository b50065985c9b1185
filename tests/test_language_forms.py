"""Numbers and plurals the way each language writes them (Babel's CLDR data), in every text the
bot fills in: chat messages, the draft and the digest."""

from __future__ import annotations

import pytest

from bot.content.library import shipped_content
from bot.content.loader import ContentError, content_root, fill, placeholders
from bot.core.validation import check_text


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("nl", 1, "1 collega"),
        ("nl", 2, "2 collega's"),
        ("nl", 0, "0 collega's"),
        ("en", 1, "1 colleague"),
        ("en", 0, "0 colleagues"),
    ],
)
def test_plurals_follow_the_language(language: str, count: int, expected: str) -> None:
    word = "{count:collega|collega's}" if language == "nl" else "{count:colleague|colleagues}"
    assert fill("{count} " + word, language, {"count": count}) == expected


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [("nl", 100_000, "100.000"), ("en", 100_000, "100,000"), ("nl", 4000, "4000"),
     ("en", 4000, "4,000"), ("nl", 12, "12")],
)  # fmt: skip
def test_numbers_are_grouped_as_the_language_writes_them(
    language: str, value: int, expected: str
) -> None:
    assert fill("{length}", language, {"length": value}) == expected
    assert fill("#{id}", language, {"id": 12345}) == "#12345"  # ids never get a separator


def test_messages_drafts_and_digests_use_them() -> None:
    nl = shipped_content().for_language("nl")
    refusal = check_text("x" * 100_000)
    assert refusal is not None
    said = nl.messages(refusal.key, **refusal.values)
    assert "100.000 tekens" in said and "4000" in said
    assert "voor 1 persoon." in nl.messages("start.started", id=3, count=1, deadline="-")
    assert "van 1 collega:" in nl.messages("console.compiled", id=3, respondents=1)
    en = shipped_content().for_language("en")
    assert "for 2 people." in en.messages("start.started", id=3, count=2, deadline="-")
    assert "1 more answer not shown" in en.draft.label("more_answers", count=1)
    assert "nog 1 antwoord dat hier niet staat" in nl.draft.label("more_answers", count=1)
    assert "1 collega die deze vraag beantwoordde" in nl.digest("choices.answered", count=1)


@pytest.mark.parametrize("bad", ["{count:one}", "{count:a|b|c}", "{count:|b}"])
def test_a_malformed_plural_is_refused_with_how_to_write_it(bad: str) -> None:
    with pytest.raises(ContentError, match=r"\{count:one\|other\}"):
        placeholders(bad, "content/nl/messages.toml: x")


def test_dutch_texts_say_peiling_and_gedwongen_arbeid_throughout() -> None:
    """One word for one thing: the poll is a "peiling", forced labour "gedwongen arbeid" (the
    Dutch theme's name); "dwangarbeid" stays only among the words colleagues may use."""
    for name in ("messages", "briefings", "questions", "draft", "digest", "demo"):
        raw = content_root().joinpath("nl", f"{name}.toml").read_text(encoding="utf-8")
        values = [line.split("=", 1)[1] for line in raw.splitlines() if "=" in line]
        values += [line for line in raw.splitlines() if "=" not in line]  # continued texts
        said = " ".join(v for v in values if not v.lstrip().startswith("#")).lower()
        assert " poll" not in said and "poll " not in said, name
        assert "dwangarbeid" not in said, name


def test_the_themes_chapter_names_the_agreement_they_come_from() -> None:
    content = shipped_content()
    expected = {
        "en": "Dutch Agreement on Sustainable Garments and Textile (2016–2021)",
        "nl": "Convenant Duurzame Kleding en Textiel (2016–2021)",
    }
    for language, name in expected.items():
        assert name in content.for_language(language).draft.section("themes").text
