"""The Word draft in a company's house style (a template) and its charts, in both languages."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, RGBColor
from PIL import Image

from adapters.content_cli import _init
from bot.content.loader import content_root
from bot.core.settings import SettingsError, load_settings
from bot.reporting.charts import draft_charts
from bot.reporting.compile import compile_draft
from bot.reporting.draft.docx import STYLES, render_docx
from bot.reporting.draft.house_style import default_template
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import Chart, PolicyDraft
from bot.reporting.draft.template import (
    TemplateError,
    check_template,
    chosen_template,
    template_bytes,
)
from tests.harness import make_harness, make_lead, texts
from tests.packs import pack
from tests.polls import Poll, person
from tests.test_draft import LANGS, build, standard_poll

RED = RGBColor(0xC0, 0x00, 0x00)
PIXEL = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def company_template(tmp_path: Path, *, page_numbers: bool = True) -> Path:
    """A company's letter: Letter-size paper, 2 cm margins, red headings, a logo and an address
    in the header, page numbers in the footer, body text, and no list styles at all."""
    document = docx.Document()
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    document.styles["Heading 1"].font.color.rgb = RED
    for name in ("List Bullet", "List Number"):
        element = document.styles[name].element
        element.getparent().remove(element)
    header = section.header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(PIXEL), width=Inches(0.5))
    header.add_run("ACME Fashion B.V. · Keizersgracht 1, Amsterdam")
    if page_numbers:
        footer = section.footer.paragraphs[0]
        field = footer._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): " PAGE "})
        footer._p.append(field)
    document.add_paragraph("Dear customer, this letter text must not reach the draft.")
    path = tmp_path / "acme.docx"
    document.save(str(path))
    return path


def opened(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module", params=LANGS)
def draft(request: pytest.FixtureRequest) -> PolicyDraft:
    poll = standard_poll()
    for n in range(6):
        poll.answer(person(n), "trends", "transparency", *(("claims",) if n % 2 else ()))
    return build(poll, str(request.param))


# --- the template -------------------------------------------------------------------------


def test_the_shipped_template_is_a4_with_every_style_and_matches_its_maker() -> None:
    shipped = template_bytes(None)
    document = opened(shipped)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.cm, 2) == 2.5
    names = {style.name for style in document.styles}
    assert set(STYLES) <= names
    with (
        zipfile.ZipFile(io.BytesIO(shipped)) as ours,
        zipfile.ZipFile(io.BytesIO(default_template())) as made,
    ):
        # `house_style.py` makes the shipped file: regenerate it when they differ.
        assert ours.read("word/styles.xml") == made.read("word/styles.xml")
        assert ours.read("word/document.xml") == made.read("word/document.xml")


def test_the_draft_takes_the_company_templates_styles_header_logo_and_page(
    tmp_path: Path, draft: PolicyDraft
) -> None:
    data = render_docx(draft, company_template(tmp_path).read_bytes())
    document = opened(data)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Dear customer" not in text  # the letter's body is gone
    assert draft.title_page.title in text
    section = document.sections[0]
    assert round(section.left_margin.cm, 1) == 2.0  # the template's margins
    assert round(section.page_width.inches, 1) == 8.5  # and its paper
    assert document.styles["Heading 1"].font.color.rgb == RED
    header = section.header
    assert "ACME Fashion B.V." in header.paragraphs[0].text
    assert header._element.xpath(".//w:drawing")  # the logo
    words = draft.title_page.word("header")
    assert any(words in p.text for p in header.paragraphs[1:])  # ours, under theirs
    footer = section.footer._element
    fields = [f.get(qn("w:instr")) for f in footer.iter(qn("w:fldSimple"))]
    assert fields == [" PAGE "]  # the template numbers its pages: no second number
    assert section.different_first_page_header_footer  # the cover has no running header
    # The list styles the template lacked were borrowed, with a numbering that exists.
    bullet = document.styles["List Bullet"].element
    num_id = bullet.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}").get(qn("w:val"))
    numbering = document.part.numbering_part.element
    assert num_id in {n.get(qn("w:numId")) for n in numbering.findall(qn("w:num"))}
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)


def test_a_template_without_page_numbers_gets_ours(tmp_path: Path, draft: PolicyDraft) -> None:
    template = company_template(tmp_path, page_numbers=False).read_bytes()
    footer = opened(render_docx(draft, template)).sections[0].footer._element
    fields = [f.get(qn("w:instr")) for f in footer.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]


def test_a_landscape_action_plan_turns_the_templates_page(
    tmp_path: Path, draft: PolicyDraft
) -> None:
    document = opened(render_docx(draft, company_template(tmp_path).read_bytes()))
    wide = [s for s in document.sections if s.page_width > s.page_height]
    assert wide, "the action plan has landscape pages"
    assert round(wide[0].page_height.inches, 1) == 8.5
    assert round(wide[0].top_margin.cm, 1) == 2.0  # the left margin, turned


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"not a zip at all", "is not a .docx file"),
        (b"", "is not a .docx file"),
    ],
)
def test_a_file_that_is_not_a_word_document_is_refused_clearly(data: bytes, why: str) -> None:
    with pytest.raises(TemplateError, match=why):
        check_template(data, "x.docx")


def test_a_zip_bomb_a_macro_file_and_a_zip_without_document_are_refused(tmp_path: Path) -> None:
    def zipped(**parts: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in parts.items():
                archive.writestr(name.replace("__", "/"), content)
        return out.getvalue()

    bomb = zipped(**{"word__document.xml": b"<" * 5_000_000, "[Content_Types].xml": b"x"})
    with pytest.raises(TemplateError, match="packed suspiciously"):
        check_template(bomb, "bomb.docx")
    with pytest.raises(TemplateError, match="no Word document"):
        check_template(zipped(**{"hello.txt": b"hi"}), "other.zip")
    macro = io.BytesIO(template_bytes(None))
    with zipfile.ZipFile(macro, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"macro")
    with pytest.raises(TemplateError, match="macros"):
        check_template(macro.getvalue(), "macro.docm")
    missing = tmp_path / "nowhere.docx"
    with pytest.raises(TemplateError, match="cannot be read"):
        template_bytes(missing)


def test_the_setting_must_name_a_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="IMVO_DRAFT_TEMPLATE"):
        load_settings({"IMVO_DRAFT_TEMPLATE": str(tmp_path / "missing.docx")})
    path = company_template(tmp_path)
    assert load_settings({"IMVO_DRAFT_TEMPLATE": str(path)}).draft_template == path


def test_the_shipped_template_is_package_data() -> None:
    assert content_root().joinpath("templates", "draft-template.docx").is_file()


# --- charts -------------------------------------------------------------------------------


def test_the_annex_has_four_charts_readable_in_black_and_white(draft: PolicyDraft) -> None:
    charts = [b for b in draft.blocks if isinstance(b, Chart)]
    assert [c.name for c in charts] == ["participation", "drivers", "resistance", "trends"]
    participation = charts[0]
    # 7 purchasing and 5 design are shown; the 2 in sales are hidden, and so the smallest
    # shown group leaves the breakdown too (see anonymity.py): one bar would repeat the total.
    assert len(participation.bars) >= 1
    assert all(size >= 5 for _, size in participation.bars)
    pictures = draft_charts(draft)
    for chart in charts:
        image = Image.open(io.BytesIO(pictures[chart.name]))
        assert image.format == "PNG"
        greys = image.convert("RGB").getcolors()
        assert greys and all(r == g == b for _, (r, g, b) in greys)  # no colour to lose
        assert len(pictures[chart.name]) * 4 / 3 < 28_000  # base64 fits a Teams message
        assert chart.title in chart.alt and str(chart.bars[0][1]) in chart.alt


def test_charts_are_embedded_in_word_and_linked_from_markdown(draft: PolicyDraft) -> None:
    pictures = draft_charts(draft)
    document = opened(render_docx(draft, None, pictures))
    shapes = document.inline_shapes
    assert len(shapes) == len(pictures)
    descriptions = [s._inline.docPr.get("descr") for s in shapes]
    alts = [b.alt for b in draft.blocks if isinstance(b, Chart)]
    assert descriptions == alts
    files = {name: f"draft-7-{name}.png" for name in pictures}
    md = render_markdown(draft, pack(draft.language).draft_template, files)
    for name, file in files.items():
        assert f"]({file})" in md, name
    # Without pictures, the figures are told in words and nothing links to a missing file.
    bare = render_markdown(draft, pack(draft.language).draft_template)
    assert ".png" not in bare and alts[1].split(".")[0] in bare


def test_no_chart_before_the_campaign_has_k_respondents() -> None:
    poll = Poll()
    for n in range(4):
        poll.respondent(n, "purchasing")
    few = build(poll, "nl", anonymity_min=5)
    assert not [b for b in few.blocks if isinstance(b, Chart)]
    enough = build(poll, "nl", anonymity_min=4)
    names = [b.name for b in enough.blocks if isinstance(b, Chart)]
    assert "drivers" in names and "participation" not in names  # one group: no breakdown


# --- through the bot ----------------------------------------------------------------------


async def test_the_cover_names_the_workspace_unless_the_company_name_is_set(
    tmp_path: Path,
) -> None:
    h = await make_harness(tmp_path)
    try:
        lead = await make_lead(h)
        await h.say(lead, "start anna bram")
        campaign = await h.app.store.latest_campaign()
        assert campaign is not None
        services = h.app.services
        first = await compile_draft(services, campaign, "en", ("md",))
        assert first.draft.title_page.company == ""  # nothing known: no company named
        at = services.clock.now()
        await h.app.store.save_workspace(campaign.platform, campaign.tenant, "Ateliers Fair", at)
        second = await compile_draft(services, campaign, "en", ("md",))
        assert second.draft.title_page.company == "Ateliers Fair"
        named = replace(services, settings=replace(services.settings, company_name="ACME B.V."))
        third = await compile_draft(named, campaign, "en", ("md",))
        assert third.draft.title_page.company == "ACME B.V."
    finally:
        await h.app.close()


async def test_a_template_broken_after_the_start_gets_a_clear_reply_in_chat(
    tmp_path: Path,
) -> None:
    h = await make_harness(tmp_path)
    try:
        lead = await make_lead(h)
        await h.say(lead, "start anna")
        broken = tmp_path / "broken.docx"
        broken.write_bytes(b"PK but not really a zip")
        services = h.app.services
        settings = replace(services.settings, draft_template=broken)
        object.__setattr__(services, "settings", settings)  # as if the file changed meanwhile
        said = texts(await h.say(lead, "draft"))
        assert "cannot be used, so no draft was made" in said
        assert not list((tmp_path / "drafts").glob("campaign-*/*"))
    finally:
        await h.app.close()


def test_a_template_in_the_content_folder_is_used_unless_the_setting_names_another(
    tmp_path: Path,
) -> None:
    assert _init(tmp_path / "mine", force=False) == 0
    copied = tmp_path / "mine" / "templates" / "draft-template.docx"
    assert copied.read_bytes() == template_bytes(None)  # content init copies it to edit
    assert chosen_template(None, tmp_path / "mine") == copied
    other = company_template(tmp_path)
    assert chosen_template(other, tmp_path / "mine") == other
    assert chosen_template(None, tmp_path) is None  # a folder without one: the shipped one


def test_a_small_table_stays_on_one_page(draft: PolicyDraft) -> None:
    document = opened(render_docx(draft))
    ilo = next(t for t in document.tables if "C29" in "".join(c.text for c in t.columns[1].cells))
    rows = ilo.rows
    for row in rows[:-1]:  # the header and every row but the last keep with the next
        assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in row.cells)
    assert not any(c.paragraphs[0].paragraph_format.keep_with_next for c in rows[-1].cells)


async def test_file_names_carry_the_version_and_the_language(tmp_path: Path) -> None:
    """`imvo-beleid-v1-nl-<time>.docx`, then `imvo-policy-v2-en-<time>.docx`: the version (not
    the campaign, which is the folder) and the draft's language, in the draft's own words."""
    h = await make_harness(tmp_path)
    try:
        lead = await make_lead(h)
        await h.say(lead, "start anna bram")
        campaign = await h.app.store.latest_campaign()
        assert campaign is not None
        services = h.app.services
        first = await compile_draft(services, campaign, "nl", spreadsheet=False)
        second = await compile_draft(services, campaign, "en", spreadsheet=False)
        for result, stem in ((first, "imvo-beleid-v1-nl-"), (second, "imvo-policy-v2-en-")):
            names = [f.name for f in result.files]
            assert [n.rsplit(".", 1)[1] for n in names] == ["docx", "md"]
            assert all(n.startswith(stem) for n in names), names
            assert names[0][:-5] == names[1][:-3]  # the same stem
            kept = [Path(p) for p in result.locations]
            assert {p.parent.name for p in kept} == {f"campaign-{campaign.id}"}
            markdown = result.files[1].data.decode("utf-8")
            for chart in result.charts:
                assert chart.name.startswith(stem) and f"]({chart.name})" in markdown
    finally:
        await h.app.close()


def test_the_file_name_start_must_be_a_plain_name() -> None:
    from bot.content.draft_texts import FILE_NAME

    for lang in LANGS:
        assert FILE_NAME.fullmatch(pack(lang).draft.label("file_name"))
    for bad in ("../x", "Imvo beleid", ".hidden", "a/b", "beleid-", ""):
        assert not FILE_NAME.fullmatch(bad)
