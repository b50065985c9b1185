"""A small streaming writer of Excel workbooks (.xlsx, Office Open XML SpreadsheetML).

Why not openpyxl or another library: the answers workbook has a row per answer, 450,000 rows
for 50,000 respondents, and must be written in about a second. Measured on 450,000 rows of
three cells: openpyxl in write-only mode 9.3 s, xlsxwriter in constant-memory mode 7.5 s,
pyexcelerate 7.4 s; a writer that only streams worksheet XML into a zip file (deflate level 1)
0.74 s. The libraries spend that time on a cell object per value and general styling this file
does not need. So this module writes exactly what the workbook uses, and nothing else:

- worksheets written one after another, row by row, straight into the compressed zip stream
  (a sheet's XML is never all in memory);
- a shared-strings table for the texts that repeat (headers, option labels, disciplines);
  people's own texts are written inline in their cell (`inlineStr`), since they are nearly all
  different and a table of them would only hold them all in memory until the end;
- a styles part with a bold font, a wrapped text and a `yyyy-mm-dd` date format;
- per sheet: column widths and rows frozen at the top;
- the package parts Excel, LibreOffice and openpyxl expect: `[Content_Types].xml` (first),
  the relationships, `xl/workbook.xml` and `docProps/core.xml` with the title.

Every text is made safe here, whatever it contains (`cell_text`): characters XML 1.0 cannot
hold are removed; a value that a spreadsheet would take for a formula (starting with = + - @,
a tab or a carriage return) gets a leading apostrophe; `&`, `<`, `>` and the carriage return
are escaped, and so is a literal `_xHHHH_` (which Excel would otherwise decode as a character).
Values are only ever strings, numbers and dates: this writer cannot write a formula.

A cell is given as a *fragment* (what follows `<c r="A1" `), made by `Workbook.shared`,
`inline`, `number` or `EMPTY`, so that a row of cached fragments costs one string format.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from bot.reporting.draft.safety import FORMULA_START, strip_invalid

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel's limits: a cell holds at most 32,767 characters (UTF-16 code units), a sheet name 31
# characters without []:*?/\ and not starting or ending with an apostrophe.
CELL_LIMIT = 32_767
SHEET_NAME_LIMIT = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_SPECIAL = re.compile("[&<>\r]|_x[0-9A-Fa-f]{4}_")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}

# Style indexes (cellXfs in `_STYLES`).
PLAIN, BOLD, DATE, WRAP = 0, 1, 2, 3
EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 date system

# A cell with nothing in it (keeps the row's other cells in their columns).
EMPTY = "/>"

_CHUNK = 1 << 20  # characters of worksheet XML gathered before they go to the zip stream

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column(index: int) -> str:
    """The letters of the 0-based column `index`: A, B, …, Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escaped(text: str) -> str:
    return _SPECIAL.sub(lambda m: _ENTITIES.get(m[0]) or "_x005F_" + m[0][1:], text)


def cell_text(text: str) -> str:
    """`text` as safe XML character data for one cell: invalid characters removed, a leading
    formula character neutralised with an apostrophe, markup and `_xHHHH_` escaped."""
    if not text.isprintable():  # cheap tests first: nearly every text is plain
        text = strip_invalid(text)
    if text.startswith(FORMULA_START):
        text = "'" + text
    if "&" in text or "<" in text or ">" in text or "\r" in text or "_x" in text:
        return _escaped(text)
    return text


def split_for_cells(text: str, limit: int = CELL_LIMIT) -> list[str]:
    """`text` in pieces that each fit in a cell (at most `limit` UTF-16 code units, one left
    for an apostrophe). Where a split point a little earlier avoids it, a piece does not start
    with a formula character (which would get an apostrophe in the middle of the text)."""
    pieces: list[str] = []
    while len(text.encode("utf-16-le")) // 2 >= limit:
        end, used = 0, 0
        while used + (2 if ord(text[end]) > 0xFFFF else 1) < limit:  # Excel counts in UTF-16
            used += 2 if ord(text[end]) > 0xFFFF else 1
            end += 1
        for cut in range(end, max(end - 64, 1), -1):
            if not text[cut].startswith(FORMULA_START):
                end = cut
                break
        pieces.append(text[:end])
        text = text[end:]
    pieces.append(text)
    return pieces


def sheet_names(wanted: Iterable[str], fallback: str = "Sheet") -> list[str]:
    """Valid, unique sheet names (Excel compares them case-insensitively): forbidden characters
    and outer apostrophes removed, at most 31 characters, a number added to a repeated name."""
    names: list[str] = []
    taken: set[str] = set()
    for index, name in enumerate(wanted, start=1):
        clean = " ".join(_SHEET_NAME_FORBIDDEN.sub(" ", strip_invalid(name)).split())
        clean = clean.strip("'").strip()[:SHEET_NAME_LIMIT].strip() or f"{fallback} {index}"
        if clean.lower() == "history":  # Excel keeps this name for itself
            clean = f"{clean} {index}"
        candidate, n = clean, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f" ({n})"
            candidate = clean[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix
        taken.add(candidate.lower())
        names.append(candidate)
    return names


def excel_day(day: date) -> int:
    """The serial number of `day` in Excel's 1900 date system."""
    return day.toordinal() - EXCEL_EPOCH


def inline(text: str, style: int = PLAIN) -> str:
    """A cell fragment with `text` (made safe, see `cell_text`) written in the cell itself.
    Called for every answer: `cell_text` is repeated inline here."""
    if not text.isprintable():
        text = strip_invalid(text)
    if not text:
        return EMPTY
    if text.startswith(FORMULA_START):
        text = "'" + text
    if "&" in text or "<" in text or ">" in text or "\r" in text or "_x" in text:
        text = _escaped(text)
    if style:
        return f't="inlineStr" s="{style}"><is><t xml:space="preserve">{text}</t></is></c>'
    return f't="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def number(value: int | float, style: int = PLAIN) -> str:
    """A cell fragment with a number (with style DATE: an `excel_day`)."""
    return f's="{style}"><v>{value!r}</v></c>' if style else f"><v>{value!r}</v></c>"


@dataclass(frozen=True)
class Sheet:
    """How a worksheet is laid out: its name, column widths (in characters) and how many
    rows at the top stay in view when scrolling."""

    name: str
    widths: Sequence[float] = ()
    frozen_rows: int = 0


class SheetWriter:
    """Writes one worksheet's rows, in order, into the workbook's zip stream."""

    def __init__(self, stream: IO[bytes], sheet: Sheet) -> None:
        self._stream = stream
        self._buffer: list[str] = []
        self._size = 0
        self.rows = 0
        self._put(_sheet_start(sheet))

    def _put(self, xml: str) -> None:
        self._buffer.append(xml)
        self._size += len(xml)
        if self._size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._stream.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()
            self._size = 0

    def row(self, *cells: str) -> None:
        """Appends a row of cell fragments (`EMPTY` for a blank cell), from column A on."""
        self.rows += 1
        self._put(_row(self.rows, cells))

    def rows_of(self, rows: Iterable[Sequence[str]]) -> None:
        """Appends many rows of cell fragments: the fast path, one f-string per row of four
        cells (other rows are written as `row` writes them)."""
        put, n, size = self._buffer.append, self.rows, self._size
        for cells in rows:
            n += 1
            if len(cells) == 4:
                a, b, c, d = cells
                r = str(n)
                xml = (
                    f'<row r="{r}"><c r="A{r}" {a}<c r="B{r}" {b}'
                    f'<c r="C{r}" {c}<c r="D{r}" {d}</row>'
                )
            else:
                xml = _row(n, cells)
            put(xml)
            size += len(xml)
            if size >= _CHUNK:
                self.rows, self._size = n, size
                self.flush()
                size = 0
        self.rows, self._size = n, size

    def close(self) -> None:
        self._put("</sheetData></worksheet>")
        self.flush()
        self._stream.close()


def _row(n: int, cells: Sequence[str]) -> str:
    refs = "".join(f'<c r="{_column(i)}{n}" {cell}' for i, cell in enumerate(cells))
    return f'<row r="{n}">{refs}</row>'


def _sheet_start(sheet: Sheet) -> str:
    view = '<sheetView workbookViewId="0"'
    frozen = sheet.frozen_rows
    if frozen:
        corner = f"A{frozen + 1}"
        view += (
            f'><pane ySplit="{frozen}" topLeftCell="{corner}" activePane="bottomLeft"'
            f' state="frozen"/><selection pane="bottomLeft" activeCell="{corner}"'
            f' sqref="{corner}"/></sheetView>'
        )
    else:
        view += "/>"
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
        for i, w in enumerate(sheet.widths, start=1)
    )
    return (
        f'{_DECLARATION}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
        f"<sheetViews>{view}</sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    )


class Workbook:
    """An .xlsx file written as it goes: declare the sheets, then write each one in turn
    (`with book.sheet(i) as rows: ...`), then `close()` for the file's bytes.

    Sheets may be written in any order but one at a time; a declared sheet never written is
    left empty.
    """

    def __init__(self, sheets: Sequence[Sheet], title: str, created: datetime) -> None:
        self._sheets = tuple(sheets)
        self._done: set[int] = set()
        self._strings: dict[str, int] = {}
        self._string_xml: list[str] = []
        self._out = io.BytesIO()
        self._zip = zipfile.ZipFile(
            self._out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
        )
        self._open = False
        self._write("[Content_Types].xml", self._content_types())
        self._write("_rels/.rels", _ROOT_RELS)
        self._write("docProps/core.xml", _core(title, created))
        self._write("xl/workbook.xml", self._workbook())
        self._write("xl/_rels/workbook.xml.rels", self._workbook_rels())
        self._write("xl/styles.xml", _STYLES)

    def _write(self, name: str, xml: str) -> None:
        self._zip.writestr(name, xml.encode("utf-8"))

    def shared(self, text: str, style: int = PLAIN) -> str:
        """A cell fragment with `text` (made safe) from the shared-strings table: for texts
        that repeat."""
        index = self._strings.get(text)
        if index is None:
            safe = cell_text(text)
            if not safe:
                return EMPTY
            index = self._strings[text] = len(self._string_xml)
            self._string_xml.append(f'<si><t xml:space="preserve">{safe}</t></si>')
        styled = f' s="{style}"' if style else ""
        return f't="s"{styled}><v>{index}</v></c>'

    @contextmanager
    def sheet(self, index: int) -> Iterator[SheetWriter]:
        """Opens the `index`th declared sheet (0-based) for writing its rows, and closes it."""
        if self._open:
            raise RuntimeError("a workbook writes one sheet at a time")
        if index in self._done or not 0 <= index < len(self._sheets):
            raise ValueError(f"sheet {index} is not a declared sheet still to write")
        self._done.add(index)
        self._open = True
        stream = self._zip.open(f"xl/worksheets/sheet{index + 1}.xml", "w")
        writer = SheetWriter(stream, self._sheets[index])
        try:
            yield writer
        finally:
            writer.close()
            self._open = False

    def close(self) -> bytes:
        """Finishes the file (empty sheets for those never written, the shared strings) and
        returns its bytes."""
        for index in range(len(self._sheets)):
            if index not in self._done:
                with self.sheet(index):
                    pass
        with self._zip.open("xl/sharedStrings.xml", "w") as stream:
            stream.write(
                f'{_DECLARATION}<sst xmlns="{_NS}" uniqueCount="{len(self._string_xml)}">'.encode()
            )
            for start in range(0, len(self._string_xml), 10_000):
                stream.write("".join(self._string_xml[start : start + 10_000]).encode("utf-8"))
            stream.write(b"</sst>")
        self._zip.close()
        return self._out.getvalue()

    def _content_types(self) -> str:
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        office = "application/vnd.openxmlformats-officedocument"
        return (
            f'{_DECLARATION}<Types xmlns="{_NS_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}'
            '.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}"
            f'<Override PartName="/xl/styles.xml" ContentType="{office}'
            '.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}'
            '.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self._sheets, start=1)
        )
        return (
            f'{_DECLARATION}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>"
        )

    def _workbook_rels(self) -> str:
        rel = f"{_NS_R}/"
        parts = [
            f'<Relationship Id="rId{i}" Type="{rel}worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self._sheets) + 1)
        ]
        n = len(self._sheets)
        parts.append(f'<Relationship Id="rId{n + 1}" Type="{rel}styles" Target="styles.xml"/>')
        parts.append(
            f'<Relationship Id="rId{n + 2}" Type="{rel}sharedStrings" Target="sharedStrings.xml"/>'
        )
        return (
            f'{_DECLARATION}<Relationships xmlns="{_NS_PKG}/relationships">'
            f"{''.join(parts)}</Relationships>"
        )


_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_NS_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_NS_R}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_PKG}/relationships/metadata/core-properties"'
    ' Target="docProps/core.xml"/>'
    "</Relationships>"
)


def _core(title: str, created: datetime) -> str:
    when = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_DECLARATION}<cp:coreProperties"
        f' xmlns:cp="{_NS_PKG}/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(strip_invalid(title))}</dc:title>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        "</cp:coreProperties>"
    )
