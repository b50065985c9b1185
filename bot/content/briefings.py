"""Short, sourced briefings: business-case drivers, consumer trends, legislation, and answers to
resistance. Loaded from `content/<lang>/briefings.toml` and tied to the poll's option keys, so
the bot can follow up on exactly what a person picked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bot.content.loader import ContentError, ContentRoot, read_toml
from bot.core.domain import LANGUAGES, Question

# Poll option keys that need no briefing of their own ("none / I don't know").
_NO_BRIEFING = {"legislation": frozenset({"unknown"})}


@dataclass(frozen=True)
class Briefing:
    """One sourced statement, e.g. about a law or a driver."""

    key: str
    text: str
    source: str
    title: str = ""


@dataclass(frozen=True)
class Counter:
    """A typical argument of resistance and what helps against it."""

    key: str
    argument: str
    answer: str
    source: str


@dataclass(frozen=True)
class Briefings:
    language: str
    as_of: str
    drivers: Mapping[str, Briefing]
    trends: Mapping[str, Briefing]
    legislation: Mapping[str, Briefing]
    legislation_intro: str
    legislation_disclaimer: str
    legislation_offer: str
    resistance: Mapping[str, Counter]
    resistance_heading: str


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{key}: must be a non-empty text")
    return " ".join(value.split())


def _group(
    raw: Mapping[str, Any], name: str, question: Question, where: str
) -> dict[str, dict[str, Any]]:
    table = raw.get(name)
    if not isinstance(table, dict):
        raise ContentError(f"{where}{name}: missing")
    skip = _NO_BRIEFING.get(name, frozenset())
    for option in question.options:
        if option.key not in skip and not isinstance(table.get(option.key), dict):
            raise ContentError(f"{where}{name}.{option.key}: missing (an option of the poll)")
    return {k: v for k, v in table.items() if isinstance(v, dict)}


def parse_briefings(
    language: str, raw: Mapping[str, Any], questions: Sequence[Question]
) -> Briefings:
    """Checks a parsed `briefings.toml` against the poll's options."""
    where = f"content/{language}/briefings.toml: "
    by_id = {q.id: q for q in questions}

    def statements(name: str) -> Mapping[str, Briefing]:
        items = _group(raw, name, by_id[name], where)
        return MappingProxyType(
            {
                key: Briefing(
                    key,
                    _text(item, "text", f"{where}{name}.{key}"),
                    _text(item, "source", f"{where}{name}.{key}"),
                    " ".join(str(item.get("title", "")).split()),
                )
                for key, item in items.items()
            }
        )

    counters = {
        key: Counter(
            key,
            _text(item, "argument", f"{where}resistance.{key}"),
            _text(item, "answer", f"{where}resistance.{key}"),
            _text(item, "source", f"{where}resistance.{key}"),
        )
        for key, item in _group(raw, "resistance", by_id["resistance"], where).items()
    }
    legislation = raw.get("legislation", {})
    return Briefings(
        language=language,
        as_of=_text(raw, "as_of", where.rstrip(": ")),
        drivers=statements("drivers"),
        trends=statements("trends"),
        legislation=statements("legislation"),
        legislation_intro=_text(legislation, "intro", f"{where}legislation"),
        legislation_disclaimer=_text(legislation, "disclaimer", f"{where}legislation"),
        legislation_offer=_text(
            raw.get("legislation_followup", {}), "offer", f"{where}legislation_followup"
        ),
        resistance=MappingProxyType(counters),
        resistance_heading=_text(
            raw.get("resistance_followup", {}), "heading", f"{where}resistance_followup"
        ),
    )


def load_briefings(
    root: ContentRoot, questions: Mapping[str, Sequence[Question]]
) -> Mapping[str, Briefings]:
    """Both languages, checked against the poll (`questions` per language) and each other."""
    loaded = {
        lang: parse_briefings(lang, read_toml(lang, "briefings", root), questions[lang])
        for lang in LANGUAGES
    }
    english = loaded["en"]
    for lang, mine in loaded.items():
        for group in ("drivers", "trends", "legislation", "resistance"):
            if set(getattr(mine, group)) != set(getattr(english, group)):
                raise ContentError(
                    f"content/{lang}/briefings.toml: {group}: keys differ from English"
                )
    return MappingProxyType(loaded)
