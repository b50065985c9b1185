"""Renders a policy draft as a Word document (.docx) with python-docx.

The document starts from a Word template (`template.py`: the shipped one, A4 with 2.5 cm
margins, or a company's own with its styles, header and logo): a cover page (company, title,
campaign, date, response figures), a table of contents field that Word fills in on opening,
then the chapters. From the second page on, a running header (company, "draft for
discussion", version) under the template's own header, and a footer "page X of Y" unless the
template numbers its pages already.
The notes for the CSR lead are Word comments in the margin, anchored to the text they concern,
so they can be read beside it and deleted all at once; colleagues' words keep the Quote style.

The document uses Word's own styles, so a CSR lead can restyle it and navigate by headings:
Title and Subtitle, Heading 1–3, List Bullet and List Number, Quote, TOC Heading, and tables in
a built-in grid style with a bold header row that repeats and rows that never split across
pages. Text is added as runs, never parsed: people's answers cannot become fields, links or
formatting. Paragraphs are only ever appended to the body, which keeps a draft with many quotes
fast to build.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.oxml import parse_xml, serialize_part_xml
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from bot.reporting.draft.model import (
    Bullets,
    Chart,
    Heading,
    Paragraph,
    PolicyDraft,
    Quote,
    Table,
    TitlePage,
)
from bot.reporting.draft.safety import safe_text
from bot.reporting.draft.template import open_template, template_bytes

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}
TABLE_STYLE = "Light Grid Accent 1"
SOURCE_SIZE = Pt(8)
# The table of contents: the chapters (level 1 headings), as links, without page numbers in web
# view; a level-2 list (every theme and every rule) would not fit on one page.
TOC_FIELD = ' TOC \\o "1-1" \\h \\z \\u '
TOC_LEVELS = 1
TOC_INDENT = Cm(0.6)
_PLACEHOLDER = re.compile(r"(\{page\}|\{pages\})")


STYLES = (
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "List Bullet",
    "List Number",
    "Quote",
    "TOC Heading",
    TABLE_STYLE,
)


class _Writer:
    """Appends blocks to one document.

    Styles are set by their id on the XML element: python-docx's `paragraph.style = ...`
    searches all styles on every call, which made a draft with hundreds of quotes slow.
    """

    def __init__(self, language: str, template: bytes) -> None:
        self.doc: Any = open_template(template, STYLES)
        styles = self.doc.styles
        self.style_id = {name: styles[name].style_id for name in STYLES}
        self._set_language(LANGUAGE_TAGS.get(language, language))
        self.last_runs: list[Any] = []  # the last paragraph's runs: where a note is anchored
        first = self.doc.sections[0]
        # The template's page, in portrait; a landscape section turns it.
        self.page = sorted((first.page_width, first.page_height))
        self.margins = (
            first.left_margin,
            first.right_margin,
            first.top_margin,
            first.bottom_margin,
        )
        self.width: int = self.page[0] - self.margins[0] - self.margins[1]
        self.landscape = False
        self.note_author = ""

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
            self.last_runs = [_add_text(paragraph.add_run(), text)]
        return paragraph

    def page_setup(self, page: TitlePage) -> None:
        """The running header and footer under the template's own (not on the cover)."""
        section = self.doc.sections[0]
        if not section.different_first_page_header_footer:
            section.different_first_page_header_footer = True  # an empty first-page header
        header = _free_paragraph(section.header)
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        words = " · ".join(w for w in (page.company, page.word("header"), page.version) if w)
        _add_text(header.add_run(), words)
        if _numbers_pages(section.footer):
            return
        footer = _free_paragraph(section.footer)
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for piece in _PLACEHOLDER.split(page.word("footer")):
            if piece in ("{page}", "{pages}"):
                _simple_field(footer, "PAGE" if piece == "{page}" else "NUMPAGES")
            elif piece:
                _add_text(footer.add_run(), piece)

    def title_page(self, page: TitlePage) -> None:
        top = self.paragraph(page.company, "Subtitle") if page.company else None
        title = self.paragraph(page.title, "Title")
        (top or title).paragraph_format.space_before = Cm(5)
        self.paragraph(page.subtitle, "Subtitle")
        self.paragraph(page.campaign)
        self.paragraph(" · ".join(w for w in (page.date, page.version) if w))
        if page.changes:
            self.paragraph(page.changes)
        self.paragraph()
        table = self._table(cols=2)
        for label, value in page.figures:
            row = table.add_row()
            _keep_together(row)
            cells = row.cells
            _add_text(cells[0].paragraphs[0].add_run(), label).bold = True
            _add_text(cells[1].paragraphs[0].add_run(), value)
        self.doc.add_page_break()

    def contents(self, page: TitlePage, entries: Sequence[Heading]) -> None:
        """A table of contents field that already lists the chapters (level 1 headings), so
        every reader and every PDF sees them; Word refreshes it, with page numbers, on opening."""
        self.paragraph(page.word("contents"), "TOC Heading")
        lines = [(h.level, h.text) for h in entries if h.level <= TOC_LEVELS] or [
            (1, page.word("contents_hint"))
        ]
        paragraphs = [self.doc.add_paragraph() for _ in lines]
        for paragraph, (level, _) in zip(paragraphs, lines, strict=True):
            paragraph.paragraph_format.left_indent = TOC_INDENT * (level - 1)
            paragraph.paragraph_format.space_after = Pt(2)
        _toc_field(paragraphs, [text for _, text in lines])
        self.doc.add_page_break()
        settings = self.doc.settings.element
        update = settings.find(qn("w:updateFields"))
        if update is None:
            update = OxmlElement("w:updateFields")
            settings.append(update)
        update.set(qn("w:val"), "true")

    def heading(self, block: Heading) -> None:
        paragraph = self.paragraph(block.text, f"Heading {min(max(block.level, 1), 3)}")
        paragraph.paragraph_format.keep_with_next = True  # whatever the template says

    def text(self, block: Paragraph, introduces: bool = False) -> None:
        """A paragraph, or a note in the margin; one that `introduces` a table or a list
        ("Dit beleid is goedgekeurd door:") stays on the page of what it introduces."""
        if block.style != "note":
            paragraph = self.paragraph(block.text)
            if introduces:
                paragraph.paragraph_format.keep_with_next = True
            return
        # A note for the lead: a comment in the margin beside the text it concerns.
        anchor = self.last_runs or [self.paragraph().add_run()]
        self.doc.add_comment(
            anchor, text=safe_text(block.text), author=self.note_author, initials="IMVO"
        )

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

    def chart(self, block: Chart, picture: bytes | None) -> None:
        """The chart's picture across the text width, described for screen readers; without
        a picture, its figures in words."""
        if picture is None:
            self.paragraph(block.alt)
            return
        paragraph = self.paragraph()
        shape = paragraph.add_run().add_picture(io.BytesIO(picture), width=self.width)
        properties = shape._inline.docPr
        properties.set("descr", safe_text(block.alt))
        properties.set("title", safe_text(block.title))

    def _table(self, cols: int) -> Any:
        table = self.doc.add_table(rows=0, cols=cols)
        table._tbl.tblStyle_val = self.style_id[TABLE_STYLE]
        return table

    def _orientation(self, landscape: bool) -> None:
        """Starts a new section on a new page, in landscape or back in portrait; the header
        and footer carry on (they are linked to the previous section)."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        width, height = self.page
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (height, width) if landscape else (width, height)
        section.different_first_page_header_footer = False
        left, right, top, bottom = self.margins
        # Turned: what was the top margin is now on the left.
        section.left_margin, section.right_margin = (top, bottom) if landscape else (left, right)
        section.top_margin, section.bottom_margin = (right, left) if landscape else (top, bottom)
        across = height if landscape else width
        self.width = across - section.left_margin - section.right_margin
        self.landscape = landscape

    def table(self, block: Table, after_table: bool) -> None:
        if block.wide and not self.landscape:
            self._orientation(landscape=True)
        elif after_table:
            # Word would merge two tables that touch into one.
            self.paragraph()
        table = self._table(cols=len(block.header))
        header = table.add_row()
        for cell, text in zip(header.cells, block.header, strict=True):
            _add_text(cell.paragraphs[0].add_run(), text).bold = True
        _repeat_header(header)
        _keep_together(header)
        for cell in header.cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = True
        small = len(block.rows) <= KEEP_TOGETHER and not block.wide  # landscape: its own pages
        for number, row in enumerate(block.rows, start=1):
            added = table.add_row()
            _keep_together(added)
            if not any(row):
                added.height = EMPTY_ROW  # a row to fill in (a signature, a target) has room
            for cell, text in zip(added.cells, row, strict=False):
                paragraph = cell.paragraphs[0]
                if text:
                    _add_text(paragraph.add_run(), text)
                if small and number < len(block.rows):
                    # Keep-with-next on every row but the last keeps a small table on one page.
                    paragraph.paragraph_format.keep_with_next = True
        _set_widths(table, column_widths(block, self.width))
        if block.wide:
            self._orientation(landscape=False)


def _is_note(block: object) -> bool:
    """A note is a comment in the margin: it takes no place on the page."""
    return isinstance(block, Paragraph) and block.style == "note"


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


def _free_paragraph(part: Any) -> Any:
    """The header's or footer's paragraph to write in: the first one if the template left it
    empty, else a new one under what the template has there (a logo, an address)."""
    paragraphs = part.paragraphs
    used = [p for p in paragraphs if p.text.strip() or p._p.xpath(".//w:drawing|.//w:pict")]
    if not used and paragraphs:
        return paragraphs[0]
    return part.add_paragraph()


def _numbers_pages(footer: Any) -> bool:
    """Whether the template's footer shows page numbers already (a PAGE field)."""
    if footer.is_linked_to_previous:
        return False
    element = footer._element
    instructions = element.xpath(".//w:instrText/text()") + [
        f.get(qn("w:instr")) or "" for f in element.iter(qn("w:fldSimple"))
    ]
    return any("PAGE" in i.upper().split() for i in instructions)


def _repeat_header(row: Any) -> None:
    """Marks a table's first row as a header row that Word repeats on every page."""
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


TEXT_WIDTH = Cm(16)  # A4 less 2.5 cm margins: the shipped template
EMPTY_ROW = Cm(1)


CHAR_WIDTH_CM = 0.22  # about one character of the body text
HEADER_CHAR_WIDTH_CM = 0.3  # about one character of a bold header
CELL_PADDING_CM = 0.6
PROSE = 30  # a column whose cells run longer than this is prose: it wraps between words anyway
SHORT = 18  # a column whose cells are all this short is kept on one line
PROSE_LINES = 3  # a cell of prose would rather take at most this many lines
LONGEST_WORD = 22  # a longer token (a link, a code) may break: no column is made wider for it
KEEP_TOGETHER = 15  # a table of at most this many rows is kept on one page


def column_widths(block: Table, text_width: int = TEXT_WIDTH) -> list[int]:
    """Column widths that follow the content and never break a word where that can be helped.

    Every column is at least as wide as its longest word (Word and LibreOffice would break
    "kostprijsberekeningen" in a narrower one). A column of short phrases ("no owner yet") would
    rather stay on one line: it gets that width when the table has room. What is left goes to
    the longer texts. Only a table whose longest words alone do not fit is squeezed."""
    words: list[float] = []  # the least each column needs: its longest word
    wanted: list[float] = []  # what it would like: short phrases on one line, prose on 3 lines
    weight: list[float] = []
    for index in range(len(block.header)):
        body = [row[index] for row in block.rows if index < len(row)]
        cells = [*body, block.header[index]]
        longest = max((len(c) for c in cells), default=1)
        body_word = min(max((len(w) for c in body for w in c.split()), default=1), LONGEST_WORD)
        header_word = max((len(w) for w in block.header[index].split()), default=1)
        # The header row and the first column are bold (the table style): wider per character.
        body_char = HEADER_CHAR_WIDTH_CM if index == 0 else CHAR_WIDTH_CM
        word = max(body_word * body_char, header_word * HEADER_CHAR_WIDTH_CM)
        longest_cell = max((len(c) for c in body), default=0)
        if longest_cell <= SHORT:
            phrase = max(longest_cell * CHAR_WIDTH_CM, word)
        else:
            phrase = max(word, min(longest_cell, 80) / PROSE_LINES * CHAR_WIDTH_CM)
        words.append(word + CELL_PADDING_CM)
        wanted.append(phrase + CELL_PADDING_CM)
        weight.append(min(longest, 80) ** 0.5 if longest > PROSE else 0.0)
    available = text_width / Cm(1)  # in cm
    if sum(words) >= available:
        widths = [w * available / sum(words) for w in words]
    elif sum(wanted) > available:  # every column gets a share of what it would like more
        extra = [want - word for want, word in zip(wanted, words, strict=True)]
        share = (available - sum(words)) / sum(extra)
        widths = [word + e * share for word, e in zip(words, extra, strict=True)]
    else:
        room = available - sum(wanted)
        total = sum(weight)
        widths = [
            want + room * (w / total if total else 1 / len(wanted))
            for want, w in zip(wanted, weight, strict=True)
        ]
    return [int(Cm(w)) for w in widths]


def _set_widths(table: Any, widths: list[int]) -> None:
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width  # the grid, which LibreOffice follows
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _keep_together(row: Any) -> None:
    """A table row that never splits across two pages."""
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def _simple_field(paragraph: Any, instruction: str) -> None:
    """A field such as PAGE or NUMPAGES, which Word and LibreOffice compute when they show it."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _toc_field(paragraphs: Sequence[Any], lines: Sequence[str]) -> None:
    """A TOC field over `paragraphs`, marked dirty so that Word updates it on opening; until
    then (and in every viewer that does not update fields) its result is `lines`, one per
    paragraph."""

    def run_with(paragraph: Any, tag: str, **attributes: str) -> Any:
        run = OxmlElement("w:r")
        child = OxmlElement(tag)
        for name, value in attributes.items():
            child.set(qn(name), value)
        run.append(child)
        paragraph._p.append(run)
        return child

    first, last = paragraphs[0], paragraphs[-1]
    run_with(first, "w:fldChar", **{"w:fldCharType": "begin", "w:dirty": "true"})
    instruction = run_with(first, "w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = TOC_FIELD
    run_with(first, "w:fldChar", **{"w:fldCharType": "separate"})
    for paragraph, line in zip(paragraphs, lines, strict=True):
        _add_text(paragraph.add_run(), line)
    run_with(last, "w:fldChar", **{"w:fldCharType": "end"})


BOT_NAME = "IMVO-bot"  # the author of a draft compiled without a lead and a company name
_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _properties(document: Any, draft: PolicyDraft) -> None:
    """Word's document properties (File > Info) name the draft, the company and the lead.

    Core properties: title (the draft's title), author and last modified by (the lead who
    compiled it; from the command line the company, else "IMVO-bot"), subject (the subtitle),
    keywords (the company), comments (version and campaign), category (the running header),
    revision (the version), created and modified (the compile time). python-docx has no
    company among the core properties: Word's "Company" is an extended property
    (`docProps/app.xml`), set here where the template has that part.
    """
    page = draft.title_page
    core = document.core_properties
    core.title = safe_text(page.title)
    core.subject = safe_text(page.subtitle)
    core.keywords = safe_text(page.company)
    core.language = LANGUAGE_TAGS.get(draft.language, draft.language)
    core.created = core.modified = draft.generated_at
    # The template's own values ("python-docx", 2013) would otherwise show in Word.
    core.author = core.last_modified_by = safe_text(draft.compiled_by or page.company or BOT_NAME)
    core.comments = safe_text(" · ".join(filter(None, (page.version, page.campaign))))
    core.category = safe_text(page.word("header"))
    core.revision = max(1, draft.version)
    _company(document, safe_text(page.company))


def _company(document: Any, company: str) -> None:
    """Writes `company` into the extended properties' `Company` (when the file has them)."""
    for part in document.part.package.parts:
        if str(part.partname) != "/docProps/app.xml":
            continue
        root = parse_xml(part.blob)
        found = root.find(f"{{{_EXTENDED}}}Company")
        if found is None:
            found = root.makeelement(f"{{{_EXTENDED}}}Company", {})
            root.append(found)
        found.text = company
        part._blob = serialize_part_xml(root)
        return


def render_docx(
    draft: PolicyDraft, template: bytes | None = None, charts: Mapping[str, bytes] | None = None
) -> bytes:
    """The draft as the bytes of a .docx file: title page, chapters, annex and open items, in
    the house style of `template` (a .docx file's bytes; None: the shipped template), with the
    pictures of its charts (PNG bytes by `Chart.name`; a chart without one is told in words)."""
    writer = _Writer(draft.language, template or template_bytes(None))
    page = draft.title_page
    _properties(writer.doc, draft)
    writer.note_author = safe_text(page.word("note_author"))
    writer.page_setup(page)
    writer.title_page(page)
    writer.contents(page, [b for b in draft.blocks if isinstance(b, Heading)])
    after_table = False
    blocks = draft.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            # A wide table's landscape pages start at its heading, so they stay together.
            ahead = blocks[index + 1 : index + 3]
            if any(isinstance(b, Table) and b.wide for b in ahead) and not writer.landscape:
                writer._orientation(landscape=True)
            writer.heading(block)
        elif isinstance(block, Paragraph):
            after = next((b for b in islice(blocks, index + 1, None) if not _is_note(b)), None)
            writer.text(block, introduces=isinstance(after, (Table, Bullets)))
        elif isinstance(block, Bullets):
            writer.bullets(block)
        elif isinstance(block, Quote):
            writer.quote(block)
        elif isinstance(block, Chart):
            writer.chart(block, (charts or {}).get(block.name))
        else:
            writer.table(block, after_table)
        after_table = isinstance(block, Table)
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()
