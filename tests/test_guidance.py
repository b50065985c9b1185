"""The guidance library: complete and consistent content, and its use in chat and draft."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.transport import as_click
from bot.content.briefings import load_briefings
from bot.content.check import FILES, check_content
from bot.content.loader import ContentError
from bot.content.themes import CODES, THEME_KEYS
from bot.core.domain import LANGUAGES, OwnerState, ThemeOwner
from bot.core.messages import Card, Choices
from tests.harness import Harness, make_harness, make_lead, person, shared, texts
from tests.packs import briefings, draft_texts, pack

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
FUNDAMENTAL = ["c29", "p29", "c87", "c98", "c100", "c105", "c111", "c138", "c155", "c182", "c187"]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


# ------------------------------------------------------------------ the content itself


def test_the_shipped_content_passes_the_check() -> None:
    assert check_content() > 500


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_theme_has_every_part(language: str) -> None:
    themes = draft_texts(language).themes
    assert [t.key for t in themes] == list(THEME_KEYS)
    for theme in themes:
        assert theme.summary and theme.principle and theme.risk
        assert len(theme.examples) >= 3, theme.key
        refs = theme.references
        assert refs.instruments and refs.oecd[1] and refs.ungps[1]
        assert [code.id for code, _ in refs.codes] == list(CODES)
        assert all(clause for _, clause in refs.codes)


def test_dutch_and_english_have_the_same_shape() -> None:
    nl, en = draft_texts("nl").themes, draft_texts("en").themes
    for a, b in zip(nl, en, strict=True):
        assert a.key == b.key
        assert len(a.examples) == len(b.examples), a.key
        assert [i.id for i in a.references.instruments] == [i.id for i in b.references.instruments]
    loaded = load_briefings(None, {lang: pack(lang).questions for lang in LANGUAGES})
    for group in ("drivers", "trends", "legislation", "resistance"):
        assert set(getattr(loaded["nl"], group)) == set(getattr(loaded["en"], group))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ten_fundamental_conventions_and_p29_are_referenced(language: str) -> None:
    ids = {i.id for t in draft_texts(language).themes for i in t.references.instruments}
    for code in FUNDAMENTAL:
        assert f"ilo-{code}" in ids, code
    assert "ilo-c131" in {
        i.id for i in draft_texts(language).theme("living-wage").references.instruments
    }
    lines = "\n".join(line for t in draft_texts(language).themes for line in t.instruments)
    for name in ("ETI Base Code", "Fair Wear", "amfori BSCI", "SA8000"):
        assert name in lines, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_briefings_are_dated_and_sourced(language: str) -> None:
    b = briefings(language)
    assert b.as_of.year >= 2026
    assert b.as_of_text in b.legislation_disclaimer  # the month and year, not a fixed text
    flr = b.legislation["forced_labour"].text
    assert "2027" in flr and "14" in flr
    assert "2029" in b.legislation["customer_cascade"].text
    for group in (b.drivers, b.trends, b.legislation):
        assert all(item.source for item in group.values())
    assert set(b.resistance) == {
        "purchasing", "management", "sales", "design", "suppliers", "finance", "nowhere",
    }  # fmt: skip


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9à-ÿ]+", text.lower())


def _texts_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts_of(v)]
    return []


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not beside this clone")
def test_no_text_shares_a_run_of_12_words_with_the_seed() -> None:
    """Own words: nothing is pasted from the seed. (Against the factsheet, only official titles
    of instruments may repeat; those must stay exact.)"""
    import tomllib

    words = _words((REFERENCE / "seed-imvo-beleid.txt").read_text(encoding="utf-8"))
    runs = {tuple(words[i : i + 12]) for i in range(len(words) - 11)}
    for language in LANGUAGES:
        for name in FILES:
            raw = tomllib.loads((ROOT / "content" / language / f"{name}.toml").read_text("utf-8"))
            for text in _texts_of(raw):
                words = _words(text)
                for i in range(len(words) - 11):
                    assert tuple(words[i : i + 12]) not in runs, (language, name, text)


# ------------------------------------------------------------------ content check failures


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    return copy


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("relative", "old", "new", "fault"),
    [
        (
            "nl/themes.toml",
            "\nrisk =",
            "\nrisico =",
            "content/nl/themes.toml: theme.discrimination-gender.risk",
        ),
        ("en/themes.toml", '"ilo-c131"', '"ilo-c999"', "'ilo-c999' is not an instrument"),
        (
            "en/briefings.toml",
            "[resistance.finance]",
            "[resistance.money]",
            "resistance.finance: missing",
        ),
        (
            "nl/messages.toml",
            "list_title =",
            "lijst_titel =",
            "content/nl/messages.toml: guidance.",
        ),
    ],
)
def test_content_check_names_the_file_and_key(
    content_copy: Path, relative: str, old: str, new: str, fault: str
) -> None:
    _edit(content_copy, relative, old, new)
    with pytest.raises(ContentError, match=re.escape(fault)):
        check_content(content_copy)


def test_content_check_refuses_unverified_markers_and_oversized_texts(content_copy: Path) -> None:
    _edit(content_copy, "en/demo.toml", 'lead = "Sanne"', 'lead = "Sanne [unverified]"')
    with pytest.raises(
        ContentError, match=r"content/en/demo.toml: lead: carries an \[unverified\]"
    ):
        check_content(content_copy)
    _edit(content_copy, "en/demo.toml", 'lead = "Sanne [unverified]"', f'lead = "{"x" * 3001}"')
    too_long = re.escape("content/en/demo.toml: lead: 3,001 characters")
    with pytest.raises(ContentError, match=too_long):
        check_content(content_copy)


# ------------------------------------------------------------------ in the conversation


async def test_guidance_lists_the_themes_with_owners(h: Harness) -> None:
    await h.app.store.set_theme_owner(
        ThemeOwner("living-wage", person("kim").key, OwnerState.ACCEPTED, h.clock.now(), "Kim")
    )
    replies = await h.say(person("emp"), "guidance")
    listing = replies[0]
    assert isinstance(listing, Choices)
    assert [c.value for c in listing.choices] == list(THEME_KEYS)
    assert "Living wage (owner: Kim)" in listing.plain()
    assert "Child labour (no owner yet)" in listing.plain()


async def test_a_theme_snippet_with_examples_and_references(h: Harness) -> None:
    emp = person("emp", "nl")
    replies = await h.say(emp, "uitleg leefbaar-loon")
    snippet = replies[0]
    assert isinstance(snippet, Choices)
    theme = draft_texts("nl").theme("living-wage")
    assert theme.summary in snippet.text and theme.principle in snippet.text
    assert [c.label for c in snippet.choices] == ["Voorbeelden", "Verwijzingen"]
    examples = (await h._run(_click(emp, snippet, 0)))[0]
    assert isinstance(examples, Card)
    assert theme.examples[0] in examples.plain() and theme.risk in examples.plain()
    refs = (await h._run(_click(emp, snippet, 1)))[0]
    assert "C131" in refs.plain() or "131" in refs.plain()
    assert "SA8000" in refs.plain() and "ETI" in refs.plain()
    direct = await h.say(person("en1"), "guidance 5 references")
    assert "SA8000" in texts(direct)


async def test_guidance_topics_and_unknown_words(h: Harness) -> None:
    replies = await h.say(person("emp"), "guidance legislation")
    assert "14 December 2027" in texts(replies) or "14 Dec" in texts(replies)
    replies = await h.say(person("emp"), "guidance weerstand")
    assert briefings("en").resistance["purchasing"].answer in texts(replies)
    replies = await h.say(person("emp"), "guidance wages-and-stuff")
    assert "I don't know the theme" in texts(replies)
    assert "living-wage (leefbaar-loon)" in texts(replies)
    replies = await h.say(person("emp"), "guidance child-labour pictures")
    assert "examples or references" in texts(replies)


async def test_resistance_and_legislation_follow_ups_come_once(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    for _ in range(3):
        await h.say(anna, "skip")
    await h.say(anna, "1")
    await h.say(anna, "skip")
    await h.say(anna, "1")
    await h.say(anna, "skip")
    await h.say(anna, "1")  # legislation: forced labour
    replies = await h.say(anna, "Because of cotton.")
    offer = replies[0]
    assert isinstance(offer, Choices) and offer.text == briefings("en").legislation_offer
    assert "[8/9]" in texts(replies)
    overview = (await h._run(_click(anna, offer, 0)))[0]
    assert isinstance(overview, Card)
    assert briefings("en").legislation["forced_labour"].text in overview.plain()
    assert briefings("en").legislation_disclaimer in overview.plain()
    state = await h.app.store.load_state(anna.key)
    assert state is not None and state.step == 7  # the click left the poll where it was
    await h.say(anna, "skip")  # mobilise
    await h.say(anna, "1,6")  # resistance: purchasing, finance
    replies = await h.say(anna, "They count every cent.")
    followup = replies[0]
    assert isinstance(followup, Card)
    assert followup.title == briefings("en").resistance_heading
    counters = briefings("en").resistance
    assert counters["purchasing"].answer in followup.plain()
    assert counters["finance"].answer in followup.plain()
    assert counters["sales"].answer not in followup.plain()
    assert isinstance(replies[-1], Card) and "Your answers" in replies[-1].plain()

    await h.say(anna, "back")
    replies = await h.say(anna, "2")
    replies += await h.say(anna, "skip")
    assert counters["management"].answer not in texts(replies)  # offered once only


def _click(who: object, message: Choices, index: int) -> object:
    from bot.core.messages import Clicked

    return Clicked(
        "click-" + message.action + str(index), who, message.action, message.choices[index].value
    )  # type: ignore[arg-type]


def test_console_numbers_pick_the_choices_just_shown() -> None:
    shown = Choices("Pick", (), "guide:living-wage")
    assert as_click("1", shown) is None  # no choices
    from bot.core.messages import Choice, Text

    shown = Choices("Pick", (Choice("examples", "Examples"), Choice("references", "Refs")), "ctx")
    assert as_click(" 2 ", shown) == ("ctx", "references")
    assert as_click("3", shown) is None
    assert as_click("1,2", shown) is None
    assert as_click("1", Text("a question")) is None


# ------------------------------------------------------------------ one source for chat and draft


async def test_the_draft_uses_the_same_theme_texts_and_references(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    await h.click(person("anna"), "discipline", "sales")
    share = shared(await h.say(lead, "draft"))
    markdown = next(f for f in share.files if f.name.endswith(".md")).data.decode()  # type: ignore[attr-defined]
    theme = draft_texts("en").theme("forced-labour")
    flat = " ".join(markdown.replace("\\", "").split())
    assert theme.principle in flat
    for line in theme.instruments:
        assert line in flat, line
    registry = {i.id: i.name for t in draft_texts("en").themes for i in t.references.instruments}
    chapter = flat[flat.index("## References") :]
    for code in FUNDAMENTAL:
        assert registry[f"ilo-{code}"] in chapter, code
    for code, _ in theme.references.codes:
        assert code.name in chapter
