"""Renders a policy draft as a Word document (.docx) with python-docx.

The document uses Word's own styles, so a CSR lead can restyle it and navigate by headings:
Title and Subtitle on a title page, Heading 1–3, List Bullet and List Number, Quote, and tables
in the built-in "Table Grid" style with a bold header row. Text is added as runs, never parsed:
people's answers cannot become fields, links or formatting. Paragraphs are only ever appended to
the body, which keeps a draft with many quotes fast to build.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from bot.reporting.draft.model import (
    Bullets,
    Heading,
    Paragraph,
    PolicyDraft,
    Quote,
    Table,
    TitlePage,
)
from bot.reporting.draft.safety import safe_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}
TABLE_STYLE = "Table Grid"
SOURCE_SIZE = Pt(8)


STYLES = (
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "List Bullet",
    "List Number",
    "Quote",
    TABLE_STYLE,
)


class _Writer:
    """Appends blocks to one document.

    Styles are set by their id on the XML element: python-docx's `paragraph.style = ...`
    searches all styles on every call, which made a draft with hundreds of quotes slow.
    """

    def __init__(self, language: str) -> None:
        self.doc: Any = Document()
        styles = self.doc.styles
        self.style_id = {name: styles[name].style_id for name in STYLES}
        self._set_language(LANGUAGE_TAGS.get(language, language))

    def _set_language(self, tag: str) -> None:
        # Word's spelling and hyphenation follow the language of the Normal style's runs.
        rpr = self.doc.styles["Normal"].element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), tag)
        rpr.append(lang)

    def paragraph(self, text: str = "", style: str | None = None) -> Any:
        paragraph = self.doc.add_paragraph()
        if style:
            paragraph._p.style = self.style_id[style]
        if text:
            _add_text(paragraph.add_run(), text)
        return paragraph

    def title_page(self, page: TitlePage) -> None:
        self.paragraph(page.title, "Title")
        self.paragraph(page.subtitle, "Subtitle")
        self.paragraph(page.campaign)
        self.paragraph(page.date)
        table = self._table(cols=2)
        for label, value in page.figures:
            cells = table.add_row().cells
            _add_text(cells[0].paragraphs[0].add_run(), label).bold = True
            _add_text(cells[1].paragraphs[0].add_run(), value)
        self.doc.add_page_break()

    def heading(self, block: Heading) -> None:
        self.paragraph(block.text, f"Heading {min(max(block.level, 1), 3)}")

    def text(self, block: Paragraph) -> None:
        if block.style == "note":
            _add_text(self.paragraph().add_run(), block.text).italic = True
        else:
            self.paragraph(block.text)

    def bullets(self, block: Bullets) -> None:
        style = "List Number" if block.numbered else "List Bullet"
        for item in block.items:
            self.paragraph(item, style)

    def quote(self, block: Quote) -> None:
        paragraph = self.paragraph(block.text, "Quote")
        if block.source:
            run = paragraph.add_run()
            run._r.add_br()
            _add_text(run, "— " + block.source).font.size = SOURCE_SIZE

    def _table(self, cols: int) -> Any:
        table = self.doc.add_table(rows=0, cols=cols)
        table._tbl.tblStyle_val = self.style_id[TABLE_STYLE]
        return table

    def table(self, block: Table, after_table: bool) -> None:
        if after_table:
            # Word would merge two tables that touch into one.
            self.paragraph()
        table = self._table(cols=len(block.header))
        header = table.add_row()
        for cell, text in zip(header.cells, block.header, strict=True):
            _add_text(cell.paragraphs[0].add_run(), text).bold = True
        _repeat_header(header)
        for row in block.rows:
            for cell, text in zip(table.add_row().cells, row, strict=False):
                if text:
                    _add_text(cell.paragraphs[0].add_run(), text)


def _add_text(run: Any, text: str) -> Any:
    """Puts safe text into a run as text, line-break and tab elements; returns the run.

    python-docx's `run.text = ...` does the same one character at a time in Python.
    """
    element = run._r
    for number, line in enumerate(safe_text(text).split("\n")):
        if number:
            element.add_br()
        for index, part in enumerate(line.split("\t")):
            if index:
                element.add_tab()
            if part:
                element.add_t(part)
    return run


def _repeat_header(row: Any) -> None:
    """Marks a table's first row as a header row that Word repeats on every page."""
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def render_docx(draft: PolicyDraft) -> bytes:
    """The draft as the bytes of a .docx file: title page, chapters, annex and open items."""
    writer = _Writer(draft.language)
    core = writer.doc.core_properties
    core.title = safe_text(draft.title_page.title)
    core.subject = safe_text(draft.title_page.subtitle)
    core.language = LANGUAGE_TAGS.get(draft.language, draft.language)
    core.created = core.modified = draft.generated_at
    # The template's own values ("python-docx", 2013) would otherwise show in Word.
    core.author = core.last_modified_by = core.comments = ""
    writer.title_page(draft.title_page)
    after_table = False
    for block in draft.blocks:
        if isinstance(block, Heading):
            writer.heading(block)
        elif isinstance(block, Paragraph):
            writer.text(block)
        elif isinstance(block, Bullets):
            writer.bullets(block)
        elif isinstance(block, Quote):
            writer.quote(block)
        else:
            writer.table(block, after_table)
        after_table = isinstance(block, Table)
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()
