"""`imvo-bot content check`: the whole of `content/`, validated before anyone sees it.

Loads every file the bot uses in both languages (which checks keys, parts, placeholders,
poll options and instrument ids, and that the privacy and terms pages exist and use only known
placeholders), then checks every text for what no loader can: the size a Slack section or a
Teams card can show, and markers of unverified facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.content.library import load_content
from bot.content.loader import ContentError, ContentRoot, read_toml
from bot.core.domain import LANGUAGES

# Slack allows 3,000 characters in a section block; Teams cards hold more, so this is the bound.
MAX_TEXT_CHARS = 3000
_UNVERIFIED = re.compile(r"\[\s*(partly\s+)?unverified\s*\]|\[\s*niet\s+geverifieerd\s*\]", re.I)
FILES = (
    "questions",
    "owner_questions",
    "messages",
    "draft",
    "themes",
    "instruments",
    "briefings",
    "demo",
    "digest",
)


def _texts(value: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, f"{key}.{k}" if key else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, f"{key}[{i}]")


def check_content(root: ContentRoot = None) -> int:
    """Checks the content the bot will use (a company's folder over the shipped files, under an
    overlay). Raises ContentError naming the file and key at fault; returns how many texts were
    checked."""
    content = load_content(root)  # every file, both languages, the draft template, the pages
    checked = 0
    for language in LANGUAGES:
        for page in content.for_language(language).pages.values():
            if _UNVERIFIED.search(page.markdown):
                raise ContentError(
                    f"{page.source}: carries an [unverified] marker; hedge or remove it"
                )
            checked += 1
        for name in FILES:
            for key, text in _texts(read_toml(language, name, root), ""):
                where = f"content/{language}/{name}.toml: {key}"
                if len(text) > MAX_TEXT_CHARS:
                    raise ContentError(
                        f"{where}: {len(text):,} characters; "
                        f"at most {MAX_TEXT_CHARS:,} fit in a chat message"
                    )
                if _UNVERIFIED.search(text):
                    raise ContentError(
                        f"{where}: carries an [unverified] marker; hedge or remove it"
                    )
                checked += 1
    return checked
