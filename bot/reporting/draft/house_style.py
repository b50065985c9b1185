"""Makes the Word template that ships with the bot (`content/templates/draft-template.docx`).

    python -m bot.reporting.draft.house_style content/templates/draft-template.docx

Word's standard styles (python-docx's own template), on A4 with 2.5 cm margins, a quote that
stands out from the policy text, and nothing in the header or footer: the draft adds its
running header and page numbers itself. A company makes its own from this file or from any of
its Word documents (README, "Your own house style").
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.shared import Cm, Mm, Pt, RGBColor

A4 = (Mm(210), Mm(297))
MARGIN = Cm(2.5)
QUOTE_GREY = RGBColor(0x40, 0x40, 0x40)


def default_template() -> bytes:
    """The shipped template's bytes."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = A4
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.25)
    quote = document.styles["Quote"]
    quote.paragraph_format.left_indent = Cm(0.75)
    quote.paragraph_format.right_indent = Cm(0.75)
    quote.font.color.rgb = QUOTE_GREY
    quote.font.size = Pt(10.5)
    core = document.core_properties
    core.author = core.last_modified_by = "IMVO bot"
    core.title = "IMVO policy draft template"
    core.comments = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(default_template())
