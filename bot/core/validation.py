"""Checks on text people send, before anything is stored.

Bad input gets a clear answer and changes nothing. Text is never cut silently: an over-long
answer is refused with the limit named. Everything else (emoji, right-to-left script, braces,
Markdown, `<!channel>`, `=HYPERLINK(...)`) is accepted as data; renderers escape it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_ANSWER_CHARS = 4000

# Tab, newline and carriage return are ordinary in pasted text; other control characters
# (NUL, escape sequences, C1 controls) have no place in an answer and can corrupt terminals,
# Word files and logs.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


@dataclass(frozen=True)
class Refusal:
    """Why a text was refused: a message key and its values."""

    key: str
    values: dict[str, object]


def check_text(text: str) -> Refusal | None:
    """None when `text` may be stored as an answer, else why not."""
    if not text.strip():
        return Refusal("input.empty", {})
    if len(text) > MAX_ANSWER_CHARS:
        return Refusal("input.too_long", {"length": len(text), "limit": MAX_ANSWER_CHARS})
    for ch in text:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc":
            return Refusal("input.control", {"code": f"U+{ord(ch):04X}"})
    return None


def normalise(text: str) -> str:
    """The form an answer is stored in: Unicode NFC, line ends unified, outer blanks trimmed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
