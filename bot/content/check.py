"""`imvo-bot content check`: the whole of `content/`, validated before anyone sees it.

Loads every file the bot uses in both languages (which checks keys, parts, placeholders,
poll options and instrument ids), then checks every text for what no loader can: the size a
Slack section or a Teams card can show, and markers of unverified facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bot.content.briefings import load_briefings
from bot.content.digest_texts import load_digest_texts
from bot.content.draft_texts import load_draft_texts
from bot.content.loader import ContentError, content_root, load_content, read_toml
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


def check_content(root: Traversable | Path | None = None) -> int:
    """Raises ContentError naming the file and key at fault; returns how many texts were checked."""
    load_content(root)
    load_draft_texts(root)
    load_briefings(root)
    load_digest_texts(root)
    checked = 0
    for language in LANGUAGES:
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
    template = (root if root is not None else content_root()).joinpath("templates")
    if not template.joinpath("draft.md.j2").is_file():
        raise ContentError("content/templates/draft.md.j2: file is missing")
    return checked
