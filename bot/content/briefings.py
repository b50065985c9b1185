"""Short, sourced briefings: business-case drivers, consumer trends, legislation, and answers to
resistance. Loaded from `content/<lang>/briefings.toml` and tied to the poll's option keys, so
the bot can follow up on exactly what a person picked.

`as_of` says how current the legal facts are: a TOML date (`as_of = 2026-12-01`), or, in a
company's folder written before it was one, a month and year as text ("maart 2026", "March
2026"). People see it as month and year in their language ("december 2026"), in the overviews'
titles and in the legislation disclaimer's `{as_of}`. `imvo-bot content check` warns once it is
more than six months old.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from babel.dates import format_skeleton

from bot.content.dates import parse_month_year
from bot.content.loader import ContentError, ContentRoot, fill, placeholders, read_toml
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
    """One language's briefings; `as_of` is the day the legal facts were last checked."""

    language: str
    as_of: date
    drivers: Mapping[str, Briefing]
    trends: Mapping[str, Briefing]
    legislation: Mapping[str, Briefing]
    legislation_intro: str
    legislation_disclaimer: str
    legislation_offer: str
    resistance: Mapping[str, Counter]
    resistance_heading: str

    @property
    def as_of_text(self) -> str:
        """`as_of` as people read it: month and year in the briefings' language."""
        return month_and_year(self.as_of, self.language)


def month_and_year(day: date, language: str) -> str:
    """ "december 2026" in Dutch, "December 2026" in English (CLDR's words, via Babel)."""
    return format_skeleton("yMMMM", day, locale=language)


def parse_as_of(value: object, where: str) -> date:
    """`as_of` as read from TOML: a date (`2026-12-01`), or a month and year as text ("maart
    2026", "March 2026", as company folders wrote it before); anything else is a ContentError
    naming `where`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and (month := parse_month_year(value)) is not None:
        return month
    raise ContentError(
        f"{where}: must be a date such as as_of = 2026-12-01 (or a month and year such as"
        f' "maart 2026"), not {value!r}'
    )


def _disclaimer(raw: Mapping[str, Any], language: str, as_of: date, where: str) -> str:
    text = _text(raw, "disclaimer", where)
    unknown = placeholders(text, f"{where}.disclaimer") - {"as_of"}
    if unknown:
        raise ContentError(
            f"{where}.disclaimer: unknown placeholder {{{sorted(unknown)[0]}}};"
            " it can use: {as_of}"
        )
    return fill(text, language, {"as_of": month_and_year(as_of, language)})


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
    as_of = parse_as_of(raw.get("as_of"), f"{where}as_of")
    return Briefings(
        language=language,
        as_of=as_of,
        drivers=statements("drivers"),
        trends=statements("trends"),
        legislation=statements("legislation"),
        legislation_intro=_text(legislation, "intro", f"{where}legislation"),
        legislation_disclaimer=_disclaimer(legislation, language, as_of, f"{where}legislation"),
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
