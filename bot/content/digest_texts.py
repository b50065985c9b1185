"""The manager digest's texts: `content/<lang>/digest.toml`, typed and checked.

Every heading, label and sentence of the digest lives in that file, so a CSR lead can edit it.
Both languages must have exactly the keys below, each with exactly its placeholders; anything
else is refused with a ContentError that names the file and key at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bot.content.loader import ContentError, ContentRoot, fill, placeholders, read_toml
from bot.core.domain import LANGUAGES

_NONE: frozenset[str] = frozenset()

# Every key of digest.toml (dotted: table.key) and the placeholders it must use, exactly.
KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "title": frozenset({"id"}),
        "footer": frozenset({"min"}),
        "timeline.title": _NONE,
        "timeline.running": _NONE,
        "timeline.closed": frozenset({"date"}),
        "timeline.closed_undated": _NONE,
        "timeline.deadline": _NONE,
        "timeline.no_deadline": _NONE,
        "timeline.days_left": frozenset({"date", "days"}),
        "timeline.one_day_left": frozenset({"date"}),
        "timeline.today": frozenset({"date"}),
        "timeline.passed": frozenset({"date", "days"}),
        "timeline.passed_yesterday": frozenset({"date"}),
        "changes.title": _NONE,
        "changes.since": frozenset({"responded", "finished", "owners", "date"}),
        "changes.first": _NONE,
        "participation.title": _NONE,
        "participation.invited": _NONE,
        "participation.responded": _NONE,
        "participation.finished": _NONE,
        "participation.rate": _NONE,
        "disciplines.title": _NONE,
        "disciplines.merged": _NONE,
        "disciplines.unknown": _NONE,
        "disciplines.rest": _NONE,
        "disciplines.too_few": frozenset({"min"}),
        "choices.answered": frozenset({"count"}),
        "choices.count_share": frozenset({"count", "share"}),
        "choices.other": _NONE,
        "choices.other_note": frozenset({"min"}),
        "choices.too_few": frozenset({"count", "min"}),
        "choices.none": _NONE,
        "drivers.title": _NONE,
        "resistance.title": _NONE,
        "quote.title": _NONE,
        "quote.text": frozenset({"text"}),
        "owners.title": _NONE,
        "owners.summary": frozenset({"owned", "total"}),
        "owners.proposed": frozenset({"name"}),
        "owners.open": _NONE,
        "owners.ask": frozenset({"disciplines"}),
        "owners.unnamed": _NONE,
        "approval.title": _NONE,
        "approval.none": _NONE,
        "approval.pending": frozenset({"version", "names"}),
        "approval.changes": frozenset({"version", "names"}),
        "approval.done": frozenset({"version", "names"}),
        "open.title": _NONE,
        "open.unanswered": frozenset({"questions"}),
        "open.unowned": frozenset({"count"}),
        "open.unheard": frozenset({"disciplines"}),
        "open.none": _NONE,
    }
)


@dataclass(frozen=True)
class DigestTexts:
    """Everything the digest says in one language, looked up by dotted key."""

    language: str
    strings: Mapping[str, str]

    def __call__(self, key: str, /, **values: object) -> str:
        """The text of `key` with its placeholders filled in; values are inserted as data."""
        template = self.strings[key]
        return fill(template, self.language, values) if values else template


def _flatten(prefix: str, raw: Mapping[str, Any], out: dict[str, Any]) -> None:
    for key, value in raw.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = value


def parse_digest_texts(language: str, raw: Mapping[str, Any]) -> DigestTexts:
    """Checks a parsed `digest.toml`: every key present, a non-empty text, right placeholders."""
    flat: dict[str, Any] = {}
    _flatten("", raw, flat)
    where = f"content/{language}/digest.toml: "
    extra = sorted(set(flat) - set(KEYS))
    if extra:
        raise ContentError(f"{where}{extra[0]}: not a key the digest uses")
    strings: dict[str, str] = {}
    for key, expected in KEYS.items():
        value = flat.get(key)
        if value is None:
            raise ContentError(f"{where}{key}: missing")
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}{key}: must be a non-empty text")
        if placeholders(value, where + key) != expected:
            wanted = ", ".join(f"{{{n}}}" for n in sorted(expected)) or "none"
            raise ContentError(f"{where}{key}: placeholders must be exactly: {wanted}")
        strings[key] = " ".join(value.split())
    return DigestTexts(language=language, strings=MappingProxyType(strings))


def load_digest_texts(root: ContentRoot = None) -> Mapping[str, DigestTexts]:
    """Loads the digest texts of both languages; ContentError names the file and key at fault."""
    return MappingProxyType(
        {lang: parse_digest_texts(lang, read_toml(lang, "digest", root)) for lang in LANGUAGES}
    )
