"""The policy draft, built from synthetic answers in both languages, as Markdown and Word."""

from __future__ import annotations

import io
import random
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.shared import Cm

from bot.content.draft_texts import load_draft_texts
from bot.content.loader import ContentError, content_root
from bot.content.themes import THEME_KEYS
from bot.core.domain import (
    Answer,
    OwnerAnswer,
    OwnerState,
    ThemeOwner,
)
from bot.reporting.draft.anonymity import MERGED, group_disciplines
from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.collect import collect
from bot.reporting.draft.docx import CELL_PADDING_CM, CHAR_WIDTH_CM, column_widths, render_docx
from bot.reporting.draft.markdown import escape_inline, render_markdown
from bot.reporting.draft.model import (
    Bullets,
    Heading,
    Paragraph,
    PolicyDraft,
    Quote,
    Table,
    TitlePage,
)
from bot.reporting.draft.quotes import ThemeMatcher, select_quotes
from tests.packs import draft_texts, pack
from tests.polls import T0, Poll, campaign, person, questions

LANGS = ("en", "nl")
LONG = "Long answer begins. " + "We plan orders earlier so suppliers avoid overtime. " * 77
HOSTILE = (
    "{{ 7*7 }}",
    "{% for x in y %}loop{% endfor %}",
    "[click](http://evil.example)",
    "<!channel> please read",
    '=HYPERLINK("http://x","y")',
    "**bold** claim",
    "@here everyone",
    "+31 6 12345678 call me",
    "We ❤️ fair fashion 👕🌍",
    "نحن نحترم حقوق العمال في سلسلة التوريد",
    "bell\x07and\x00null are gone",
    LONG,
)
# fmt: off
EXPECTED = {
    "en": {
        "phrases": (
            "OECD Guidelines for Multinational Enterprises on Responsible Business Conduct", "2023",
            "UN Guiding Principles", "ILO Declaration on Fundamental Principles and Rights at Work",
            "P29", "2022", "licensees", "agents", "homeworkers", "prior",
            "Due Diligence Guidance for Responsible Business Conduct (2018)",
            "Garment and Footwear Sector (2017)",
            "Common Framework for Responsible Purchasing Practices",
            "contribute to adverse impacts",
            "grievance mechanism", "at least once a year",
        ),
        "headings": (
            "About this draft", "Mission, long-term vision and goals", "Our principles",
            "International frameworks we follow", "The ILO fundamental conventions",
            "Scope and responsibility in the chain", "Subcontracting", "Due diligence",
            "Our own purchasing practices", "Laws and rules that affect us", "The nine themes",
            "Grievances and remedy",
            "Governance and review", "Approval", "Annex: internal support", "Open items",
        ),
        "themes": (
            "Discrimination and gender", "Child labour", "Forced labour", "Freedom of association",
            "Living wage", "Safe and healthy workplaces", "Raw materials",
            "Water pollution and use of chemicals, water and energy", "Animal welfare",
        ),
        "more": "more answers not shown",
        "said": "What colleagues said",
        "none": "No colleague has mentioned this theme",
        "signoff": "Top management has not approved",
        "unheard": "No colleague from these disciplines",
    },
    "nl": {
        "phrases": (
            "OESO-richtlijnen voor multinationale ondernemingen", "2023", "VN-richtlijnen",
            "ILO-verklaring", "P29", "2022", "licentiehouders", "agenten", "thuiswerkers",
            "vooraf toestemming",
            "OESO-handreiking voor due diligence voor verantwoord ondernemen (2018)",
            "OESO-handreiking voor due diligence in de kleding- en schoenensector (2017)",
            "Common Framework for Responsible Purchasing Practices",
            "kan bijdragen aan negatieve impact",
            "klachtenmechanisme", "minstens eens per jaar",
        ),
        "headings": (
            "Over dit concept", "Missie, langetermijnvisie en doelen", "Onze uitgangspunten",
            "Internationale kaders die we volgen", "De fundamentele ILO-verdragen",
            "Reikwijdte en verantwoordelijkheid in de keten", "Onderaanneming",
            "Gepaste zorgvuldigheid (due diligence)", "Onze eigen inkooppraktijken",
            "Wet- en regelgeving die ons raakt", "De negen thema's", "Klachten en herstel",
            "Bestuur en evaluatie", "Goedkeuring",
            "Bijlage: intern draagvlak", "Open punten",
        ),
        "themes": (
            "Discriminatie en gender", "Kinderarbeid", "Gedwongen arbeid",
            "Vrijheid van vakvereniging", "Leefbaar loon", "Veilige en gezonde werkplekken",
            "Grondstoffen", "Watervervuiling en gebruik van chemicaliën, water en energie",
            "Dierenwelzijn",
        ),
        "more": "antwoorden die hier niet staan",
        "said": "Wat collega's zeiden",
        "none": "Nog geen collega heeft dit thema",
        "signoff": "De directie heeft dit beleid nog niet goedgekeurd",
        "unheard": "Uit deze vakgebieden heeft nog geen collega",
    },
}
# fmt: on
ILO = ("C29", "C87", "C98", "C100", "C105", "C111", "C138", "C155", "C182", "C187")


# --- helpers ------------------------------------------------------------------------------


def owner(theme: str, n: int, state: OwnerState, name: str) -> ThemeOwner:
    return ThemeOwner(theme, person(n), state, T0, display_name=name)


def build(poll: Poll, lang: str, owners: tuple[ThemeOwner, ...] = (), **kw: object) -> PolicyDraft:
    camp = campaign(lang)
    return build_draft(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=owners,
        pack=pack(lang),
        generated_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def standard_poll() -> Poll:
    """7 purchasing, 5 design, 2 sales respondents, one silent invitee, and hostile answers."""
    poll = Poll()
    n = 0
    for discipline, count in (("purchasing", 7), ("design", 5), ("sales", 2)):
        for _ in range(count):
            poll.respondent(n, discipline, mission=f"Durable clothing made fairly, view {n}.")
            n += 1
    poll.invite(99, finished=False)
    for i, text in enumerate(HOSTILE):
        poll.answer(person(i), "goals", text=text)
    poll.answer(person(0), "translation", text="We must pay a Living  Wage in Bangladesh.")
    poll.answer(person(1), "translation", text="Wagering on cheap suppliers is risky.")
    for i in range(4):
        poll.answer(person(i), "legislation", "forced_labour", *(("reporting",) if i < 1 else ()))
    poll.answer(person(2), "mobilise", text="Lunch talks with a supplier on video.")
    return poll


def docx_text(data: bytes) -> tuple[docx.document.Document, str]:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return document, "\n".join(parts)


def docx_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(
            archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml")
        )


@pytest.fixture(scope="module", params=LANGS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, PolicyDraft, str, bytes]:
    lang = str(request.param)
    owners = (
        owner("living-wage", 50, OwnerState.ACCEPTED, "Anna Accepted"),
        owner("child-labour", 51, OwnerState.PROPOSED, "Piet Proposed"),
    )
    draft = build(standard_poll(), lang, owners, max_quotes=20)
    return lang, draft, render_markdown(draft, pack(lang).draft_template), render_docx(draft)


# --- content ------------------------------------------------------------------------------


def test_both_languages_have_all_texts_and_the_nine_themes_in_contract_order() -> None:
    texts = load_draft_texts()
    for lang in LANGS:
        assert tuple(t.key for t in texts[lang].themes) == THEME_KEYS
        assert all(t.instruments and t.keywords and t.principle for t in texts[lang].themes)
        assert len(texts[lang].section("due_diligence").items) == 6
        assert len(texts[lang].section("purchasing").items) == 5
        assert sorted(c.code for c in texts[lang].ilo_conventions) == sorted(ILO)
    assert texts["nl"].labels.keys() == texts["en"].labels.keys()
    assert texts["nl"].sections.keys() == texts["en"].sections.keys()


@pytest.mark.parametrize(
    ("lang", "key", "where"),
    [("nl", "no_owner", "labels.no_owner"), ("en", "too_few", "spreadsheet.too_few")],
)
def test_missing_key_is_reported_with_file_and_key(
    tmp_path: Path, lang: str, key: str, where: str
) -> None:
    for language in LANGS:
        (tmp_path / language).mkdir()
        for name in ("draft.toml", "themes.toml", "instruments.toml", "topics.toml"):
            shutil.copy(Path(str(content_root())) / language / name, tmp_path / language / name)
    broken = tmp_path / lang / "draft.toml"
    broken.write_text(re.sub(rf"(?m)^{key} = .*$", "", broken.read_text("utf-8")), "utf-8")
    with pytest.raises(ContentError, match=rf"content/{lang}/draft.toml: {where}"):
        load_draft_texts(tmp_path)


# --- elements of the policy ----------------------------------------------------------------


def test_every_required_element_is_in_the_word_file(rendered: tuple) -> None:
    lang, _, _, data = rendered
    document, text = docx_text(data)
    headings = {
        p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")
    }
    for heading in EXPECTED[lang]["headings"]:
        assert heading in headings, heading
    for phrase in EXPECTED[lang]["phrases"] + ILO:
        assert phrase in text, phrase
    for name in EXPECTED[lang]["themes"]:
        assert headings.get(name) == "Heading 2", name
    assert sum(p.style.name == "List Number" for p in document.paragraphs) == 6
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)
    ilo_table = next(
        t for t in document.tables if any(c.text == "C187" for c in t.columns[1].cells)
    )
    assert [c.text for c in ilo_table.columns[1].cells][1:] == [
        "C87", "C98", "C29", "C105", "C138", "C182", "C100", "C111", "C155", "C187",
    ]  # fmt: skip
    assert all(run.bold for run in ilo_table.rows[0].cells[0].paragraphs[0].runs)
    assert ilo_table.style.name == "Light Grid Accent 1"
    texts = draft_texts(lang)
    header = [texts.label(k) for k in ("option", "count", "share_answered")]
    counts = [t for t in document.tables if [c.text for c in t.rows[0].cells] == header]
    drivers, resistance, legislation = counts[0], counts[2], counts[-1]  # all, purchasing, next
    options = {q.id: {o.key: o.label for o in q.options} for q in questions(lang)}
    assert [c.text for c in drivers.rows[1].cells] == [
        options["drivers"]["customers"],
        "14",
        "100%",
    ]
    assert [c.text for c in resistance.rows[1].cells][1:] == ["14", "100%"]
    assert [[c.text for c in r.cells] for r in legislation.rows[1:3]] == [
        [options["legislation"]["forced_labour"], "4", "100%"],
        [options["legislation"]["reporting"], "1", "25%"],
    ]
    # One answer to "mobilise" is fewer than the anonymity minimum: no quote, a line in print.
    assert "Lunch talks with a supplier on video." not in text
    assert texts.label("topics_too_few", count=1, min=5) in text
    signoff = [t for t in document.tables if all(not c.text for c in t.rows[-1].cells)]
    assert len(signoff) == 1 and len(signoff[0].rows) == 4 and len(signoff[0].columns) == 4


def test_markdown_has_the_same_chapters(rendered: tuple) -> None:
    lang, draft, md, _ = rendered
    assert md.startswith(f"# {draft.title_page.title}\n")
    for heading in EXPECTED[lang]["headings"] + EXPECTED[lang]["themes"]:
        assert re.search(rf"(?m)^#{{2,4}} {re.escape(heading)}$", md), heading
    for phrase in EXPECTED[lang]["phrases"] + ILO:
        assert phrase in md, phrase
    assert re.search(r"(?m)^6\. ", md) and not re.search(r"(?m)^7\. ", md)


def test_title_page_shows_the_response_figures(rendered: tuple) -> None:
    lang, draft, md, data = rendered
    document, _ = docx_text(data)
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[1].style.name == "Subtitle"
    assert "#7" in document.paragraphs[2].text and "2026" in document.paragraphs[3].text
    figures = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert [v for _, v in figures] == ["15", "14", "14", "93%"]  # invited, answered, done, rate
    assert [v for _, v in draft.title_page.figures] == ["15", "14", "14", "93%"]
    assert "| 93% |" in md
    assert document.core_properties.title == draft.title_page.title
    assert document.core_properties.language == {"en": "en-GB", "nl": "nl-NL"}[lang]
    assert 'w:type="page"' in docx_xml(data)


# --- people's text is data ------------------------------------------------------------------


def test_hostile_answers_are_literal_in_word(rendered: tuple) -> None:
    _, _, _, data = rendered
    document, text = docx_text(data)
    for literal in (*HOSTILE[:3], "<!channel> please read", "**bold** claim", HOSTILE[8]):
        assert literal in text, literal
    assert HOSTILE[9] in text
    assert '\'=HYPERLINK("http://x","y")' in text and "'@here" in text and "'+31" in text
    assert "belland" + "null are gone" in text
    assert any(
        p.text.startswith(LONG.strip()) and p.style.name == "Quote" for p in document.paragraphs
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    # The one field in the body is the table of contents; nothing a person wrote became one.
    assert "<w:hyperlink" not in xml and "fldSimple" not in xml
    assert re.findall(r"<w:instrText[^>]*>([^<]*)<", xml) == [' TOC \\o "1-1" \\h \\z \\u ']
    assert not [p.text for p in document.paragraphs if p.text[:1] in ("=", "+", "-", "@")]


def test_hostile_answers_are_escaped_in_markdown(rendered: tuple) -> None:
    _, _, md, _ = rendered
    assert "{{ 7\\*7 }}" in md and "{% for x in y %}loop{% endfor %}" in md and "> 49\n" not in md
    assert "\\[click\\](http\\://evil.example)" in md and "](http://" not in md
    assert "\\<!channel\\>" in md and "<!channel>" not in md
    assert "\\*\\*bold\\*\\* claim" in md
    assert '> \'=HYPERLINK("http\\://x","y")' in md and "> '@here" in md and "> '+31" in md
    assert "We ❤️ fair fashion 👕🌍" in md and HOSTILE[9] in md
    assert f"> {LONG.strip()}\n" in md
    assert "\x07" not in md and "\x00" not in md
    assert not re.search(r"(?m)^(> )?[=+@]", md)


def test_markdown_escaping_of_block_structure() -> None:
    draft = PolicyDraft(
        campaign_id=1,
        language="en",
        generated_at=T0,
        title_page=TitlePage("T", "S", "C", "D", (("a|b", "1"),)),
        blocks=(
            Heading("# not ## nested"),
            Paragraph("1. not a list\n    not code\n- not a bullet"),
            Quote("line one\n\n> not nested\nwww.evil.example", source="a `tick`"),
            Table(header=("h|1", "h2"), rows=(("x | y", "=SUM(A1)"),)),
        ),
        open_items=(),
    )
    md = render_markdown(draft, pack("en").draft_template)
    assert "## \\# not \\#\\# nested" in md
    assert "1\\. not a list" in md and "\nnot code" in md and "'- not a bullet" in md
    assert "> line one  \n>  \n> \\> not nested  \n> www\\.evil.example" in md
    assert "> — a \\`tick\\`" in md
    assert "| h\\|1 | h2 |" in md and "| x \\| y | '=SUM(A1) |" in md
    assert "| a\\|b | 1 |" in md


# --- anonymity ---------------------------------------------------------------------------------


def test_small_discipline_is_never_shown_on_its_own(rendered: tuple) -> None:
    lang, draft, md, data = rendered
    labels = {o.key: o.label for o in questions(lang)[0].options}
    sales = labels["sales"]
    headings = [b.text for b in draft.blocks if isinstance(b, Heading)]
    assert headings.count(f"{labels['purchasing']} (7)") == 2  # drivers and resistance
    assert not any(h.startswith(sales) for h in headings)
    # Total minus purchasing minus design would give away the 2 sales colleagues' answers,
    # so design (the smallest group shown) has no breakdown of its own either.
    assert not any(h.startswith(labels["design"]) for h in headings)
    assert not any(h.startswith(draft_texts(lang).label("merged_group")) for h in headings)
    document, _ = docx_text(data)
    participation = next(
        t
        for t in document.tables
        if t.rows[0].cells[0].text == draft_texts(lang).label("discipline")
    )
    rows = [[c.text for c in r.cells] for r in participation.rows[1:]]
    # The table follows the same rule: design (5) next to purchasing (7) and the total (14)
    # would give away the 2 in sales by subtraction, so design is counted with the rest.
    assert rows == [
        [labels["purchasing"], "7", "50%"],
        [draft_texts(lang).label("rest"), "7", "50%"],
        [draft_texts(lang).label("total"), "14", "100%"],
    ]
    assert f"| {sales} |" not in md


def test_no_name_or_user_id_of_a_respondent_appears(rendered: tuple) -> None:
    _, _, md, data = rendered
    everything = md + docx_xml(data)
    assert "SECRET" not in everything and "ULEAD" not in everything
    assert "Anna Accepted" in everything  # theme owners are named on purpose


def test_small_groups_merge_when_together_large_enough() -> None:
    poll = Poll()
    for n, discipline in enumerate(
        ["purchasing"] * 5 + ["sales"] * 2 + ["hr"] * 2 + ["finance"] * 2
    ):
        poll.respondent(n, discipline, drivers=f"Reason number {n} from a colleague.")
    draft = build(poll, "en")
    headings = [b.text for b in draft.blocks if isinstance(b, Heading)]
    assert "Other disciplines (merged for anonymity) (6)" in headings
    assert "Purchasing / sourcing (5)" in headings
    assert not any(h.startswith(("Sales", "HR", "Finance")) for h in headings)


def test_breakdown_never_lets_hidden_answers_be_worked_out() -> None:
    def keys(sizes: dict[str, int]) -> tuple[list[str], list[str], int]:
        g = group_disciplines(sizes, {}, ["a", "b", "c", "d"], 5, "merged")
        return [x.key for x in g.groups], [x.key for x in g.breakdown()], g.hidden

    assert keys({"a": 7, "b": 5, "c": 2}) == (["a", "b"], ["a"], 2)
    assert keys({"a": 7, "c": 2}) == (["a"], [], 2)
    assert keys({"a": 7, "b": 5}) == (["a", "b"], ["a", "b"], 0)
    assert keys({"a": 7, "c": 3, "d": 2}) == (["a", MERGED], ["a", MERGED], 0)
    assert keys({"a": 9}) == (["a"], [], 0)


# --- quotes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_quotes_are_limited_with_and_n_more(lang: str) -> None:
    poll = Poll()
    for n in range(30):
        poll.respondent(n, "purchasing", drivers=f"Why answer {n:02d} about fair clothing.")
    draft = build(poll, lang, max_quotes=8)
    blocks = list(draft.blocks)
    why = draft_texts(lang).label("why")
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Paragraph) and b.text == why)
    section = blocks[start + 1 : start + 10]
    assert sum(isinstance(b, Quote) for b in section) == 8
    more = section[8]
    assert isinstance(more, Paragraph) and "22" in more.text and EXPECTED[lang]["more"] in more.text
    shuffled = Poll()
    shuffled.participants = poll.participants[::-1]
    shuffled.answers = random.Random(3).sample(poll.answers, len(poll.answers))
    assert build(shuffled, lang, max_quotes=8).blocks == draft.blocks


@pytest.mark.parametrize("lang", LANGS)
def test_free_text_answers_become_topics_whatever_their_order(lang: str) -> None:
    poll = Poll()
    said = {
        "en": "Mission answer {n:02d} about fair clothing.",
        "nl": "Antwoord {n:02d} over eerlijke kleding.",
    }[lang]
    for n in range(30):
        poll.respondent(n, "purchasing", mission=said.format(n=n))
    draft = build(poll, lang, max_quotes=8, spreadsheet="answers-7.xlsx")
    blocks = list(draft.blocks)
    title = questions(lang)[1].title
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == title)
    texts = draft_texts(lang)
    # "mission", "fair" and "clothing" are in every answer: one topic, not three (ties: by stem,
    # "cloth" before "fair"; "eerlijk" before "kleed"); "answer", "antwoord" are stop words.
    topic = {"en": "Clothing", "nl": "Eerlijke"}[lang]
    assert blocks[start + 1 : start + 5] == [
        Paragraph(texts.label("topics_intro", min=5)),
        Paragraph(texts.label("topic", topic=topic, count=30, total=30)),
        Quote(said.format(n=0)),
        Paragraph(texts.label("topics_not_shown", count=29, total=30, file="answers-7.xlsx")),
    ]
    shuffled = Poll()
    shuffled.participants = poll.participants[::-1]
    shuffled.answers = random.Random(3).sample(poll.answers, len(poll.answers))
    again = build(shuffled, lang, max_quotes=8, spreadsheet="answers-7.xlsx")
    assert again.blocks == draft.blocks


def test_quote_selection_prefers_substance_and_dedupes() -> None:
    items = [
        ("ok " * 300, ""),
        ("We should plan orders earlier and pay fair prices.", ""),
        ("Meh.", ""),
    ]
    items += [("we should PLAN orders earlier and pay fair prices.", "")]
    chosen = select_quotes(items, 2)
    assert chosen.quotes[0][0].startswith("We should plan") and chosen.more == 2
    assert len({q[0].casefold() for q in chosen.quotes}) == 2


def test_theme_keywords_match_whole_words_only() -> None:
    matcher = ThemeMatcher(
        {"living-wage": ("living wage", "wage"), "child-labour": ("child labour",)}
    )
    assert matcher.themes_in("We pay a LIVING\nwage!") == {"living-wage"}
    assert matcher.themes_in("Wagering is risky; childish labour jokes") == set()


def test_theme_sections_quote_mentions_and_owners(rendered: tuple) -> None:
    lang, draft, _, data = rendered
    texts = draft_texts(lang)
    blocks = list(draft.blocks)
    wage = blocks.index(Heading(texts.theme("living-wage").name, 2))
    section = blocks[wage : wage + 14]
    theme = texts.theme("living-wage")
    # The principle, what it means for us (the examples), the typical risk, then references.
    assert section[1] == Paragraph(theme.principle)
    assert section[2] == Heading(texts.label("theme_meaning"), 3)
    assert section[3] == Bullets(theme.examples)
    assert section[5] == Paragraph(theme.risk)
    assert Paragraph(texts.label("theme_owner", owner="Anna Accepted")) in section
    references = next(b for b in section[6:] if isinstance(b, Bullets))
    assert references.items[0].startswith(texts.label("theme_instruments") + ": ")
    assert len(references.items) < len(theme.instruments)  # instruments on one line
    assert any(isinstance(b, Quote) and "Living  Wage" in b.text for b in section)
    assert not any(isinstance(b, Quote) and "Wagering" in b.text for b in section)
    child = blocks.index(Heading(texts.theme("child-labour").name, 2))
    assert "Piet Proposed" in blocks[child + 6].text  # type: ignore[union-attr]
    animal = blocks.index(Heading(texts.theme("animal-welfare").name, 2))
    unmentioned = blocks[animal + 9]
    assert isinstance(unmentioned, Paragraph) and unmentioned.style == "note"
    assert EXPECTED[lang]["none"] in unmentioned.text
    _, text = docx_text(data)
    assert "Anna Accepted" in text and EXPECTED[lang]["said"] in text


# --- open items --------------------------------------------------------------------------------


def test_open_items_list_what_is_missing(rendered: tuple) -> None:
    lang, draft, md, data = rendered
    texts = draft_texts(lang)
    qs = {q.id: q for q in questions(lang)}
    items = draft.open_items
    unanswered = [q for q in qs if texts.label("open_unanswered", question=qs[q].title) in items]
    assert unanswered == ["trends"]
    labels = {o.key: o.label for o in qs["discipline"].options}
    unowned = [
        t.name
        for t in texts.themes
        if texts.label(
            "open_unowned_candidates",
            theme=t.name,
            disciplines=", ".join(labels[d] for d in t.disciplines),
        )
        in items
    ]
    assert unowned == [
        n
        for k, n in zip(THEME_KEYS, EXPECTED[lang]["themes"], strict=True)
        if k not in ("living-wage", "child-labour")
    ]
    assert any("Piet Proposed" in i for i in items)
    assert not any(texts.theme("living-wage").name in i for i in items)
    labels = {o.key: o.label for o in qs["discipline"].options}
    unheard = next(i for i in items if i.startswith(EXPECTED[lang]["unheard"]))
    assert labels["finance"] in unheard and labels["hr"] in unheard
    assert labels["sales"] not in unheard and labels["purchasing"] not in unheard
    assert items[-1].startswith(EXPECTED[lang]["signoff"])
    document, _ = docx_text(data)
    last = document.paragraphs[-len(items) :]
    assert [p.text for p in last] == list(items) and all(
        p.style.name == "List Bullet" for p in last
    )
    assert all(f"\n- {escape_inline(i)}\n" in md for i in items)


def test_sign_off_and_accepted_owners_close_open_items() -> None:
    poll = standard_poll()
    owners = tuple(
        owner(k, 60 + i, OwnerState.ACCEPTED, f"Owner {i}") for i, k in enumerate(THEME_KEYS)
    )
    draft = build(poll, "en", owners, signed_off=True)
    assert not any("has no owner" in i or "proposed owner" in i for i in draft.open_items)
    assert not any("approved" in i for i in draft.open_items)
    assert any(i.startswith("Nobody has answered") for i in draft.open_items)
    unsigned = build(poll, "en", owners)
    assert unsigned.open_items[-1] == "Top management has not approved this policy yet."


def test_skip_after_answer_and_other_campaigns_do_not_count() -> None:
    poll = Poll()
    key = poll.respondent(1, "purchasing", mission="First view.")
    poll.answers.append(Answer(7, key, "mission", skipped=True))
    poll.answers.append(Answer(8, key, "goals", text="Other campaign."))
    draft = build(poll, "en")
    assert not any(
        isinstance(b, Quote) and b.text in ("First view.", "Other campaign.") for b in draft.blocks
    )
    assert dict(draft.title_page.figures)["Colleagues who answered"] == "1"


def test_many_respondents_keep_the_word_file_small() -> None:
    poll = Poll()
    disciplines = ["purchasing", "design", "sales", "csr", "hr", "logistics"]
    for n in range(1200):
        poll.respondent(n, disciplines[n % 6], mission=f"View {n} on living wage and water.",
                        drivers=f"Because {n}.", mobilise=f"Idea {n}")  # fmt: skip
    draft = build(poll, "nl")
    document, _ = docx_text(render_docx(draft))
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert 0 < len(quotes) <= 8 * 12 and len(document.paragraphs) < 600
    # The lead's notes are comments in the margin, not paragraphs of the policy.
    notes = [c.text for c in document.comments]
    assert any("1192 antwoorden die hier niet staan" in n for n in notes)
    assert not any("niet staan" in p.text for p in document.paragraphs)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_word_file_is_a_document_a_lead_can_adopt(lang: str) -> None:
    draft = build(standard_poll(), lang, company="Stoffen & Co <B.V.>")
    data = render_docx(draft)
    document, _ = docx_text(data)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert round(section.left_margin.cm, 1) == 2.5 and round(section.top_margin.cm, 1) == 2.5
    assert section.different_first_page_header_footer  # the cover has neither
    header = section.header.paragraphs[0].text
    draft_words = "Draft for discussion" if lang == "en" else "Concept ter bespreking"
    version = "Version 1" if lang == "en" else "Versie 1"
    assert header == f"Stoffen & Co <B.V.> · {draft_words} · {version}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        footers = [archive.read(n).decode() for n in archive.namelist() if "footer" in n]
        xml = archive.read("word/document.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    footer = next(f for f in footers if "PAGE" in f)
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert ("Page" if lang == "en" else "Pagina") in footer
    # The cover: the company above the title; the contents as a field Word fills in on opening.
    assert document.paragraphs[0].text == "Stoffen & Co <B.V.>"
    assert document.paragraphs[1].style.name == "Title"
    assert 'w:fldCharType="begin" w:dirty="true"' in xml and "TOC \\o" in xml
    assert "w:updateFields" in settings
    assert any(p.style.name == "TOC Heading" for p in document.paragraphs)
    # Headings, and a sentence that introduces a table or list, stay with what follows.
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings and all(p.paragraph_format.keep_with_next for p in headings)
    signoff = "This policy was approved by:" if lang == "en" else "Dit beleid is goedgekeurd door:"
    assert next(p for p in document.paragraphs if p.text == signoff).paragraph_format.keep_with_next
    # Before any field update the contents already list the chapters, in order.
    texts = [p.text for p in document.paragraphs]
    start = next(i for i, p in enumerate(document.paragraphs) if p.style.name == "TOC Heading")
    chapters = [b.text for b in draft.blocks if isinstance(b, Heading) and b.level == 1]
    assert texts[start + 1 : start + 1 + len(chapters)] == chapters
    assert EXPECTED[lang]["headings"][0] in chapters and EXPECTED[lang]["headings"][-1] in chapters
    # Table rows never split across pages; the header row repeats.
    assert xml.count("<w:cantSplit/>") >= sum(len(t.rows) for t in document.tables)
    # The lead's notes are comments in the margin, by the bot, not italic paragraphs.
    comments = list(document.comments)
    assert len(comments) >= 10 and all(c.author.startswith("IMVO") for c in comments)
    paragraphs = {p.text for p in document.paragraphs}
    assert not any(c.text in paragraphs for c in comments)
    properties = document.core_properties
    assert properties.author == "Stoffen & Co <B.V.>"  # compiled without a lead
    assert properties.title == draft.title_page.title
    # In Markdown the notes are marked blockquotes, and the company heads the cover.
    md = render_markdown(draft, pack(lang).draft_template)
    label = "Note for the CSR lead" if lang == "en" else "Tip voor de MVO-verantwoordelijke"
    assert f"> ✎ **{label}:** " in md and md.startswith("**Stoffen")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_word_properties_name_the_company_and_the_lead(lang: str) -> None:
    """File > Info in Word: the draft's title, the lead who compiled it, the company (an
    extended property: python-docx has none among the core ones), the compile time."""
    draft = replace(
        build(standard_poll(), lang, company="Stoffen & Co", version=3),
        compiled_by="Sanne de Vries",
        version=3,
    )
    data = render_docx(draft)
    properties = docx.Document(io.BytesIO(data)).core_properties
    assert properties.title == draft.title_page.title
    assert properties.author == properties.last_modified_by == "Sanne de Vries"
    assert properties.keywords == "Stoffen & Co" and properties.revision == 3
    assert properties.created == properties.modified == T0.replace(microsecond=0)
    assert draft.title_page.version in properties.comments
    assert "tip" not in properties.author.lower()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
    assert "<Company>Stoffen &amp; Co</Company>" in app
    # Compiled from the command line: the company, or the bot when no company is known.
    anonymous = docx.Document(io.BytesIO(render_docx(build(standard_poll(), lang))))
    assert anonymous.core_properties.author == "IMVO-bot"


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_who_took_part_is_a_sentence_when_its_table_would_have_one_row(lang: str) -> None:
    """With no discipline to show on its own (one that is everyone is never shown: it would
    repeat the total), the table would be the total alone: a sentence says it instead. Two
    groups (or a group and the rest) stay a table."""
    texts = draft_texts(lang)
    heading = texts.label("discipline")
    sentence = texts.label("participation_total", count=6)
    for disciplines in (("purchasing",) * 6, ("purchasing", "design", "sales") * 2):
        poll = Poll()
        for n, discipline in enumerate(disciplines):
            poll.respondent(n, discipline)
        draft = build(poll, lang, anonymity_min=5)
        assert Paragraph(sentence) in draft.blocks
        md = render_markdown(draft, pack(lang).draft_template)
        document, _ = docx_text(render_docx(draft))
        assert sentence in md and sentence in [p.text for p in document.paragraphs]
        assert not [t for t in document.tables if t.rows[0].cells[0].text == heading]
        assert f"| {heading} |" not in md
    poll = Poll()
    for n, discipline in enumerate(("purchasing",) * 5 + ("design",) * 5):
        poll.respondent(n, discipline)
    document, _ = docx_text(render_docx(build(poll, lang, anonymity_min=5)))
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text == heading]
    assert len(table.rows) == 4  # heading, two groups, total


def test_the_dutch_keyword_leer_is_leather_not_learning() -> None:
    texts = draft_texts("nl")
    matcher = ThemeMatcher({t.key: t.keywords for t in texts.themes})
    assert "animal-welfare" not in matcher.themes_in("We moeten leren van andere merken.")
    assert "animal-welfare" not in matcher.themes_in("Leerzaam: de leerplicht geldt tot 18.")
    assert "animal-welfare" in matcher.themes_in("Leer zonder bekende herkomst is een risico.")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_action_plan_carries_each_owners_first_step(lang: str) -> None:
    anna = owner("living-wage", 60, OwnerState.ACCEPTED, "Anna Accepted")
    piet = owner("child-labour", 61, OwnerState.PROPOSED, "Piet Proposed")
    answers = tuple(
        OwnerAnswer("living-wage", anna.person, qid, text, False, T0)
        for qid, text in (
            ("first_step", "Map wages at our top 5 suppliers"),
            ("information", "Wage data per factory"),
            ("involve", "Purchasing"),
        )
    )
    draft = build(standard_poll(), lang, (anna, piet), owner_answers=answers)
    texts = draft_texts(lang)
    blocks = list(draft.blocks)
    start = blocks.index(Heading(texts.label("plan_title"), 1))
    plan = blocks[start + 2]
    assert isinstance(plan, Table) and plan.header[-1] == texts.label("plan_by_when")
    rows = {row[0]: row for row in plan.rows}
    assert len(rows) == 9
    wage = rows[texts.theme("living-wage").name]
    assert wage[1:] == (
        "Anna Accepted", "Map wages at our top 5 suppliers", "Wage data per factory",
        "Purchasing", "",
    )  # fmt: skip
    child = rows[texts.theme("child-labour").name]
    assert "Piet Proposed" in child[1] and child[2:] == ("", "", "", "")  # not accepted yet
    targets = next(b for b in blocks[start:] if isinstance(b, Table) and b is not plan)
    assert [r[0] for r in targets.rows] == [t.name for t in texts.themes]
    document, _ = docx_text(render_docx(draft))
    assert any(
        c.cells[0].text == texts.label("plan_theme") for t in document.tables for c in t.rows[:1]
    )
    # Six columns of text get landscape pages, then the document returns to portrait.
    orientations = [section.orientation for section in document.sections]
    assert orientations[-2:] == [WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    table = next(t for t in document.tables if t.rows[0].cells[0].text == texts.label("plan_theme"))
    widths = [column.width for column in table.columns]
    assert widths[2] > widths[1] and round(sum(widths) / 360000) <= 25  # cm: fits the page


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_references_are_grouped_sorted_complete_and_each_once(lang: str) -> None:
    draft = build(standard_poll(), lang)
    texts = draft_texts(lang)
    blocks = list(draft.blocks)
    start = blocks.index(Heading(texts.label("references_title"), 1))
    groups: dict[str, tuple[str, ...]] = {}
    for heading, items in zip(blocks[start + 2 :: 2], blocks[start + 3 :: 2], strict=False):
        if not isinstance(heading, Heading) or heading.level != 2:
            break
        assert isinstance(items, Bullets)
        groups[heading.text] = items.items
    assert list(groups) == [
        texts.label(f"references_{g}") for g in ("frameworks", "ilo", "guidance", "codes", "laws")
    ]
    listed = [name for items in groups.values() for name in items]
    assert len(listed) == len(set(listed)) == len(texts.instruments)  # each once, all of them
    names = {i.id: i.name for i in texts.instruments}
    frameworks = groups[texts.label("references_frameworks")]
    assert names["ilo-declaration"] in frameworks and names["oecd-guidelines"] in frameworks
    guidance = groups[texts.label("references_guidance")]
    assert names["oecd-dd-guidance"] in guidance  # cited in the due diligence chapter
    ilo = groups[texts.label("references_ilo")]
    assert ilo.index(names["ilo-c29"]) < ilo.index(names["ilo-p29"]) < ilo.index(names["ilo-c87"])
    assert ilo.index(names["ilo-c190"]) == len(ilo) - 1


def test_no_theme_names_an_instrument_twice() -> None:
    for lang in ("en", "nl"):
        for theme in draft_texts(lang).themes:
            lines = theme.references.compact("x")
            text = " ".join(lines)
            for instrument in theme.references.instruments:
                assert text.count(instrument.name) <= 1, (lang, theme.key, instrument.id)
            assert len(lines) == len(set(lines))


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_open_items_are_complete_and_say_what_to_do_where(lang: str) -> None:
    draft = build(standard_poll(), lang)
    texts = draft_texts(lang)
    items = draft.open_items
    chapters = {
        k: texts.section(k).heading for k in ("mission", "purchasing", "grievance", "governance")
    }
    for key, chapter in chapters.items():
        assert any(f"“{chapter}”" in i for i in items), key  # each placeholder, by chapter
    silent = 15 - 14  # invited - respondents in the standard poll
    said = texts.label("open_silent", count=silent, invited=15)
    assert said in items
    assert (
        "1 of the 15 invited colleagues has not"
        if lang == "en"
        else "1 van de 15 uitgenodigde collega's heeft nog niet"
    ) in said
    themes = texts.section("themes").heading
    unmentioned = next(i for i in items if f"“{themes}”" in i)
    assert texts.theme("animal-welfare").name in unmentioned
    assert texts.theme("living-wage").name not in unmentioned  # colleagues mentioned it


@pytest.mark.parametrize("lang", LANGS)
def test_skipped_questions_are_an_open_item_once_k_colleagues_answered(lang: str) -> None:
    texts = draft_texts(lang)
    skipped = {"mission": 3, "drivers": 1, "trends": 0}
    items = build(standard_poll(), lang, skipped=skipped).open_items
    titles = {q.id: q.title for q in questions(lang)}
    item = next(i for i in items if f"“{titles['mission']}” (3×)" in i)
    assert f"“{titles['drivers']}” (1×)" in item and titles["trends"] not in item
    assert item.startswith(texts.label("open_skipped", questions="").split(":")[0])
    few = Poll()
    for n in range(3):
        few.respondent(n, "purchasing")
    quiet = build(few, lang, skipped=skipped, anonymity_min=5).open_items
    assert not any("(3×)" in i for i in quiet)  # a count of 3 could point at people


@pytest.mark.parametrize("lang", LANGS)
def test_the_annex_says_where_every_answer_is(lang: str) -> None:
    draft = build(standard_poll(), lang, spreadsheet="answers-7.xlsx")
    said = [b.text for b in draft.blocks if isinstance(b, Paragraph) and "answers-7.xlsx" in b.text]
    texts = draft_texts(lang)
    assert said[-1] == texts.label("annex_spreadsheet", file="answers-7.xlsx")
    # The 14 mission answers share their words: one topic quoted, 13 not shown, in the file.
    not_shown = texts.label("topics_not_shown", count=13, total=14, file="answers-7.xlsx")
    assert not_shown in said
    assert not any(
        "xlsx" in b.text for b in build(standard_poll(), lang).blocks if isinstance(b, Paragraph)
    )


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_table_column_is_narrower_than_its_longest_word(lang: str) -> None:
    """Word and LibreOffice break a word that does not fit its cell ("kostprijsberekenin gen"):
    every column of every table in a draft is at least as wide as its longest word, whenever
    the longest words fit the page at all (portrait, or landscape for a wide table)."""
    prose = (
        "Wij houden de loonkosten apart in onze prijzen en bespreken kostprijsberekeningen "
        "open met leveranciers, zodat niemand onder de kostprijs hoeft te produceren."
    )
    plan = Table(
        ("Thema", "Toezegging", "Indicator", "Eigenaar", "Wanneer"),
        (("Leefbaar loon", prose, prose, "Inkoopdirecteur", "Q3 2027"),),
        wide=True,
    )
    portrait, landscape = Cm(16), Cm(24.7)  # A4 with 2.5 cm margins
    draft = build(standard_poll(), lang)
    for table in (plan, *(b for b in draft.blocks if isinstance(b, Table))):
        across = landscape if table.wide else portrait
        needed = []
        for index in range(len(table.header)):
            cells = [r[index] for r in (table.header, *table.rows) if index < len(r)]
            longest = max((len(w) for c in cells for w in c.split()), default=1)
            needed.append(Cm(min(longest, 22) * CHAR_WIDTH_CM + CELL_PADDING_CM))
        if sum(needed) > across:
            continue  # only more room would help
        for index, width in enumerate(column_widths(table, across)):
            assert width >= needed[index] * 0.99, (table.header, index)
