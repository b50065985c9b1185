"""Renders a policy draft as Markdown through the template `content/templates/draft.md.j2`.

The template runs in a Jinja2 sandbox and receives the draft as data. Every value it prints
goes through an escaping filter (or, if the template forgets one, through `finalize`, which
escapes too): people's answers can never become Markdown, HTML, a link, a mention or a
spreadsheet formula, and `{{ }}` in an answer stays literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from bot.reporting.draft.model import (
    Block,
    Bullets,
    Chart,
    Heading,
    Paragraph,
    PolicyDraft,
    Quote,
)
from bot.reporting.draft.safety import neutralise, safe_lines

# Characters with a meaning in (GitHub-flavoured) Markdown or HTML anywhere in a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
# "1." or "1)" at the start of a line would start a numbered list.
_ORDERED = re.compile(r"^(\d+)([.)])")
# A chart's file name, which goes into a link as it is: letters, digits, dots and hyphens.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
# Bare addresses that GitHub-flavoured Markdown would turn into links.
_SCHEME = re.compile(r":(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")


class _Markdown(str):
    """Text that is already escaped Markdown; `finalize` leaves it alone."""


def _escape_line(line: str) -> str:
    # Leading spaces would make an indented code block; without them, check for a formula again.
    line = _SPECIAL.sub(r"\\\1", neutralise(line.lstrip()))
    line = _SCHEME.sub(r"\\:", line)
    line = _WWW.sub(r"\1\\.", line)
    return _ORDERED.sub(r"\1\\\2", line)


def escape_lines(value: object) -> list[str]:
    """A text as escaped Markdown lines (for quotes and paragraphs that keep their breaks)."""
    return [_escape_line(line) for line in safe_lines(str(value))]


def escape_inline(value: object) -> _Markdown:
    """A text as one escaped Markdown line: for headings, table cells and list items."""
    return _Markdown(" ".join(line for line in escape_lines(value) if line))


def _lines(value: object) -> list[_Markdown]:
    return [_Markdown(line) for line in escape_lines(value)]


def _finalize(value: Any) -> Any:
    return value if isinstance(value, _Markdown) else escape_inline(value)


def _hashes(level: object) -> _Markdown:
    depth = min(max(int(str(level)), 1), 5)
    return _Markdown("#" * depth)


def _marker(index: object, numbered: object) -> _Markdown:
    return _Markdown(f"{int(str(index))}." if numbered else "-")


@lru_cache(maxsize=4)
def _template(source: str) -> Template:
    env = SandboxedEnvironment(
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        finalize=_finalize,
    )
    env.filters.update(md=escape_inline, md_lines=_lines, hashes=_hashes, marker=_marker)
    return env.from_string(source)


def _block(block: Block, charts: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(block, Chart):
        # The picture is a file next to this one; without it, the figures in words.
        name = charts.get(block.name, "")
        link = _Markdown(name) if _FILE_NAME.fullmatch(name) else ""
        return {"kind": "chart", "file": link, "alt": block.alt, "title": block.title}
    if isinstance(block, Heading):
        # The draft's title is the only level-1 heading; chapters start at level 2.
        return {"kind": "heading", "level": block.level + 1, "text": block.text}
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "style": block.style, "text": block.text}
    if isinstance(block, Bullets):
        return {"kind": "bullets", "numbered": block.numbered, "items": list(block.items)}
    if isinstance(block, Quote):
        return {"kind": "quote", "text": block.text, "source": block.source}
    return {"kind": "table", "header": list(block.header), "rows": [list(r) for r in block.rows]}


def render_markdown(
    draft: PolicyDraft, template: str, charts: Mapping[str, str] | None = None
) -> str:
    """The draft as a Markdown document: title page, chapters, annex and open items. `charts`
    names the picture file of each chart (by `Chart.name`), saved next to the Markdown."""
    page = draft.title_page
    text = _template(template).render(
        title={
            "title": page.title,
            "subtitle": page.subtitle,
            "campaign": page.campaign,
            "date": page.date,
            "figures": [list(f) for f in page.figures],
            "company": page.company,
            "version": page.version,
            "changes": page.changes,
            "note_label": page.word("note_label"),
        },
        blocks=[_block(b, charts or {}) for b in draft.blocks],
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
