"""Making people's text safe to put in a file, whatever it contains.

Both renderers use these: text loses characters that XML (and so Word) cannot hold, and a line
that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return)
gets a leading apostrophe, so pasting the draft into a spreadsheet runs nothing.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Control characters XML 1.0 does not allow (tab, newline and carriage return are allowed),
# lone surrogates, and the two non-characters U+FFFE and U+FFFF.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_invalid(text: str) -> str:
    """Removes characters that cannot appear in an XML document."""
    return _INVALID_XML.sub("", text)


def neutralise(line: str) -> str:
    """Prefixes a line that a spreadsheet would take for a formula with an apostrophe."""
    return "'" + line if line.startswith(FORMULA_START) else line


def safe_lines(text: str) -> list[str]:
    """The text as lines: invalid characters removed, each line neutralised.

    The whole text is checked before it is split too, so a text that starts with a carriage
    return keeps its apostrophe.
    """
    text = strip_invalid(text)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return [neutralise(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def safe_text(text: str) -> str:
    """The text with invalid characters removed and every line neutralised, newlines kept."""
    return "\n".join(safe_lines(text))
