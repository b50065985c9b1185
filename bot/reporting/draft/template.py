"""The Word template a draft takes its house style from (`IMVO_DRAFT_TEMPLATE`, `--template`).

A template is an ordinary .docx file: the draft keeps its styles (fonts, colours, headings,
table look), its page size and margins, its theme, and its header and footer (a logo, an
address line). Its body text is dropped. Styles the draft needs and the template lacks (Word
only saves the styles a document uses) are borrowed from python-docx's own template, lists
with their numbering, so a company letter with just a logo is enough.

Without a setting the draft uses the template that ships in `content/templates/`, made by
`house_style.py`: A4, 2.5 cm margins, Word's standard styles.
"""

from __future__ import annotations

import io
import zipfile
from copy import deepcopy
from functools import cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.numbering import NumberingPart

from bot.content.loader import content_root

SHIPPED = ("templates", "draft-template.docx")

# Limits before python-docx opens a file (it reads zip parts with no size guard).
MAX_FILE = 10 * 1024 * 1024
MAX_UNPACKED = 50 * 1024 * 1024
MAX_ENTRIES = 1000
MAX_RATIO = 100
NEEDED_PARTS = ("word/document.xml", "[Content_Types].xml")


class TemplateError(ValueError):
    """The template cannot be used; the message says why and what to do."""


def chosen_template(setting: Path | None, content_dir: Path | None) -> Path | None:
    """The template to use: `IMVO_DRAFT_TEMPLATE`, else the one in the company's content
    folder (`content init` copies the shipped one there to edit), else None: the shipped one."""
    if setting is not None:
        return setting
    if content_dir is not None and (content_dir / SHIPPED[0] / SHIPPED[1]).is_file():
        return content_dir / SHIPPED[0] / SHIPPED[1]
    return None


def template_bytes(path: Path | None) -> bytes:
    """The template's bytes: the file at `path`, checked, or the shipped one."""
    if path is None:
        return content_root().joinpath(*SHIPPED).read_bytes()
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_FILE else b""
    except OSError as exc:
        shown = str(path)
        raise TemplateError(f"the Word template {shown!r} cannot be read: {exc.strerror}") from None
    if not data:
        raise TemplateError(
            f"the Word template {str(path)!r} is empty or larger than {MAX_FILE // 2**20} MB"
        )
    check_template(data, str(path))
    return data


def check_template(data: bytes, shown: str) -> None:
    """Refuses what is not a plain Word document, before python-docx unpacks it: not a zip,
    too many or too large parts (a zip bomb), no document part, or a macro-enabled file."""

    def refuse(why: str) -> TemplateError:
        return TemplateError(
            f"the Word template {shown!r} {why}; save it in Word as 'Word Document (.docx)'"
        )

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise refuse("is not a .docx file") from None
    names = {entry.filename for entry in entries}
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise refuse("unpacks to too many or too large parts")
    if any(e.compress_size and e.file_size / e.compress_size > MAX_RATIO for e in entries):
        raise refuse("has a part packed suspiciously tightly")
    if any(name not in names for name in NEEDED_PARTS):
        raise refuse("has no Word document inside")
    if "word/vbaProject.bin" in names:
        raise refuse("holds macros")
    try:
        Document(io.BytesIO(data))
    except Exception as exc:  # python-docx's own errors say which part is wrong
        raise refuse(f"cannot be opened ({type(exc).__name__})") from None


@cache
def _standard() -> Any:
    """python-docx's own template: where missing styles are borrowed from."""
    return Document()


def open_template(data: bytes, styles: tuple[str, ...]) -> Any:
    """The template as a python-docx Document with an empty body and every style in `styles`."""
    document = Document(io.BytesIO(data))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    present = {style.name for style in document.styles}
    for name in styles:
        if name not in present:
            _borrow_style(document, name)
    return document


def _borrow_style(document: Any, name: str) -> None:
    """Copies the style `name` (and, for a list, its numbering) from the standard template."""
    standard = _standard()
    element = deepcopy(standard.styles[name].element)
    based_on = element.find(qn("w:basedOn"))
    if based_on is not None and based_on.get(qn("w:val")) not in _style_ids(document):
        element.remove(based_on)  # a style based on one the template lacks: stand alone
    number = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
    if number is not None:
        number.set(qn("w:val"), _borrow_numbering(document, standard, number.get(qn("w:val"))))
    document.styles.element.append(element)


def _style_ids(document: Any) -> set[str]:
    return {s.get(qn("w:styleId")) for s in document.styles.element.findall(qn("w:style"))}


def _borrow_numbering(document: Any, standard: Any, num_id: str) -> str:
    """Copies one list numbering from the standard template; returns its id in `document`."""
    source = standard.part.numbering_part.element
    target = _numbering(document)
    num = next(n for n in source.findall(qn("w:num")) if n.get(qn("w:numId")) == num_id)
    abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
    abstracts = source.findall(qn("w:abstractNum"))
    abstract = next(a for a in abstracts if a.get(qn("w:abstractNumId")) == abstract_id)

    def next_id(tag: str, attribute: str) -> str:
        used = [int(e.get(qn(attribute))) for e in target.findall(qn(tag))]
        return str(max(used, default=0) + 1)

    new_abstract = deepcopy(abstract)
    new_abstract.set(qn("w:abstractNumId"), next_id("w:abstractNum", "w:abstractNumId"))
    new_num = deepcopy(num)
    new_num.set(qn("w:numId"), next_id("w:num", "w:numId"))
    new_num.find(qn("w:abstractNumId")).set(qn("w:val"), new_abstract.get(qn("w:abstractNumId")))
    # The schema wants every abstractNum before the first num.
    first_num = target.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(new_abstract)
    else:
        target.append(new_abstract)
    target.append(new_num)
    return str(new_num.get(qn("w:numId")))


def _numbering(document: Any) -> Any:
    """The document's numbering definitions, made if the template has none (python-docx
    cannot make this part itself)."""
    try:
        part = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING)
    except KeyError:
        element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
        uri = PackURI("/word/numbering.xml")
        part = NumberingPart(uri, CONTENT_TYPE.WML_NUMBERING, element, document.part.package)
        document.part.relate_to(part, RELATIONSHIP_TYPE.NUMBERING)
    return part.element
