"""The structure of a policy draft, independent of its file format.

The builder turns answers and content into these blocks; the Markdown renderer (a Jinja2
template in `content/templates/`) and the Word renderer (python-docx) both walk the same blocks,
so the two files always say the same thing.

Text in a block is plain text: people's answers are data and each renderer escapes it for its
own format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 = chapter, 2 = section, 3 = subsection


@dataclass(frozen=True)
class Paragraph:
    text: str
    # "body" for policy text, "note" for a hint to the CSR lead (rendered in italics).
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Quote:
    """A colleague's words, never with their name. `source` is e.g. a discipline or question."""

    text: str
    source: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    wide: bool = False  # many columns of text: Word puts it on landscape pages


@dataclass(frozen=True)
class Chart:
    """A bar chart of counts, where people would rather look than read: each bar a label and
    a number of colleagues. The data only; `bot.reporting.charts` draws it, and the Word draft
    embeds the picture while the Markdown links the file `name` + ".png" next to it."""

    name: str  # a plain file-name part: "participation", "drivers"
    title: str
    bars: tuple[tuple[str, int], ...]
    axis: str  # what the numbers count ("colleagues")
    alt: str  # the same figures in words, for screen readers and text-only readers


Block = Heading | Paragraph | Bullets | Quote | Table | Chart


@dataclass(frozen=True)
class TitlePage:
    title: str
    subtitle: str
    campaign: str  # e.g. "Campaign #3, started 2026-11-02"
    date: str  # the compile date, formatted for the draft's language
    figures: tuple[tuple[str, str], ...]  # (label, value): invited, responded, completed, rate
    company: str = ""  # IMVO_COMPANY_NAME; empty: the draft names no company
    version: str = ""  # "Version 3"
    changes: str = ""  # what changed since the previous version, in a sentence
    # The Word layout's own words: running header, "page X of Y", the contents and its hint.
    layout: tuple[tuple[str, str], ...] = ()

    def word(self, key: str) -> str:
        return dict(self.layout).get(key, "")


@dataclass(frozen=True)
class PolicyDraft:
    campaign_id: int
    language: str
    generated_at: datetime
    title_page: TitlePage
    blocks: tuple[Block, ...]
    # What is still missing, as sentences; the draft's last chapter and the chat reply.
    open_items: tuple[str, ...]
    # The figures the next version compares itself with (`snapshot` in draft_versions).
    figures: tuple[tuple[str, int], ...] = ()
    # Who compiled it: the lead's display name from chat; empty from the command line.
    compiled_by: str = ""
    version: int = 1  # the draft's version number (also in `title_page.version`, in words)
