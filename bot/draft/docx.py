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

from bot.draft.model import Bullets, Heading, Paragraph, PolicyDraft, Quote, Table, TitlePage
from bot.draft.safety import safe_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}
TABLE_STYLE = "Table Grid"
SOURCE_SIZE = Pt(8)


class _Writer:
    """Appends blocks to one document, with its styles looked up once."""

    def __init__(self, language: str) -> None:
        self.doc: Any = Document()
        styles = self.doc.styles
        self.style = {
            name: styles[name]
            for name in (
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
        }
        self._set_language(LANGUAGE_TAGS.get(language, language))

    def _set_language(self, tag: str) -> None:
        # Word's spelling and hyphenation follow the language of the Normal style's runs.
        rpr = self.doc.styles["Normal"].element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), tag)
        rpr.append(lang)

    def paragraph(self, text: str = "", style: str | None = None) -> Any:
        paragraph = self.doc.add_paragraph(style=self.style[style] if style else None)
        if text:
            paragraph.add_run(safe_text(text))
        return paragraph

    def title_page(self, page: TitlePage) -> None:
        self.paragraph(page.title, "Title")
        self.paragraph(page.subtitle, "Subtitle")
        self.paragraph(page.campaign)
        self.paragraph(page.date)
        table = self.doc.add_table(rows=0, cols=2)
        table.style = self.style[TABLE_STYLE]
        for label, value in page.figures:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(safe_text(label)).bold = True
            cells[1].paragraphs[0].add_run(safe_text(value))
        self.doc.add_page_break()

    def heading(self, block: Heading) -> None:
        self.paragraph(block.text, f"Heading {min(max(block.level, 1), 3)}")

    def text(self, block: Paragraph) -> None:
        if block.style == "note":
            self.paragraph().add_run(safe_text(block.text)).italic = True
        else:
            self.paragraph(block.text)

    def bullets(self, block: Bullets) -> None:
        style = "List Number" if block.numbered else "List Bullet"
        for item in block.items:
            self.paragraph(item, style)

    def quote(self, block: Quote) -> None:
        paragraph = self.paragraph(block.text, "Quote")
        if block.source:
            run = paragraph.add_run("\n— " + safe_text(block.source))
            run.font.size = SOURCE_SIZE

    def table(self, block: Table, after_table: bool) -> None:
        if after_table:
            # Word would merge two tables that touch into one.
            self.paragraph()
        table = self.doc.add_table(rows=1, cols=len(block.header))
        table.style = self.style[TABLE_STYLE]
        for cell, text in zip(table.rows[0].cells, block.header, strict=True):
            cell.paragraphs[0].add_run(safe_text(text)).bold = True
        _repeat_header(table.rows[0])
        for row in block.rows:
            for cell, text in zip(table.add_row().cells, row, strict=False):
                if text:
                    cell.paragraphs[0].add_run(safe_text(text))


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
    core.created = draft.generated_at
    core.author = ""
    core.last_modified_by = ""
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
