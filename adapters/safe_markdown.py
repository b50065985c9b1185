"""A deliberately tiny Markdown-to-HTML renderer for the pages a company edits (/privacy, /terms).

It knows headings (`#` to `######`), paragraphs and lists (`-`, `*`, `+` or `1.` items, with
indented or lazy continuation lines), nothing else. Every character of text is escaped, so
anything else a file holds (raw HTML, `<script>`, links, images, emphasis) is shown as the
literal text it is and can never become markup: no HTML and no URL from the file reaches the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^ {0,3}[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(r"^ {0,3}(\d{1,9})[.)][ \t]+(.*)$")


def _text(raw: str) -> str:
    return html.escape(" ".join(raw.split()), quote=True)


@dataclass
class _Blocks:
    out: list[str] = field(default_factory=list)
    paragraph: list[str] = field(default_factory=list)
    kind: str = ""  # "ul" or "ol" while a list is open
    items: list[list[str]] = field(default_factory=list)
    start: str = ""  # an ordered list's ` start="n"` when it does not start at 1

    def flush_paragraph(self) -> None:
        if self.paragraph:
            self.out.append(f"<p>{_text(' '.join(self.paragraph))}</p>")
            self.paragraph = []

    def close_list(self) -> None:
        if self.kind:
            lines = "".join(f"<li>{_text(' '.join(item))}</li>" for item in self.items)
            self.out.append(f"<{self.kind}{self.start}>{lines}</{self.kind}>")
            self.kind, self.items, self.start = "", [], ""

    def flush(self) -> None:
        self.flush_paragraph()
        self.close_list()

    def item(self, kind: str, text: str, number: int = 1) -> None:
        self.flush_paragraph()
        if self.kind != kind:
            self.close_list()
            self.kind = kind
            self.start = f' start="{number}"' if kind == "ol" and number != 1 else ""
        self.items.append([text])


def to_html(markdown: str) -> str:
    """The HTML of `markdown`'s headings, paragraphs and lists; all text escaped."""
    blocks = _Blocks()
    after_blank = False
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            blocks.flush_paragraph()
            after_blank = True
            continue
        if heading := _HEADING.match(line):
            blocks.flush()
            level = len(heading.group(1))
            blocks.out.append(f"<h{level}>{_text(heading.group(2) or '')}</h{level}>")
        elif bullet := _BULLET.match(line):
            blocks.item("ul", bullet.group(1))
        elif numbered := _NUMBERED.match(line):
            blocks.item("ol", numbered.group(2), int(numbered.group(1)))
        elif blocks.kind and (line[:1] in (" ", "\t") or not after_blank):
            blocks.items[-1].append(line)  # an item's continuation line
        else:
            blocks.close_list()
            blocks.paragraph.append(line)
        after_blank = False
    blocks.flush()
    return "\n".join(blocks.out)


def title_of(markdown: str, fallback: str) -> str:
    """The text of the first heading (unescaped), or `fallback` when there is none."""
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading and (heading.group(2) or "").strip():
            return " ".join((heading.group(2) or "").split())
    return fallback
