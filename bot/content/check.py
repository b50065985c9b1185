"""`imvo-bot content check`: the whole of `content/`, validated before anyone sees it.

Loads every file the bot uses in both languages (which checks keys, parts, placeholders,
poll options and instrument ids, and that the privacy and terms pages exist and use only known
placeholders), then checks every text for what no loader can: the size a Slack section or a
Teams card can show, and markers of unverified facts. Those are errors (`check_content`).

`dated_warnings` finds what goes stale as time passes; it reads the same texts on a given day:
- a phrase that announces a start or a deadline ("vanaf 27 september 2026", "uiterlijk juli
  2029", "by 14 June 2026", "from 2025") whose date has passed on that day: write it in the past
  tense ("geldt sinds …", "applies since …") or update it;
- a relative time word ("binnenkort", "volgend jaar", "soon", "next year") in a text of facts
  (themes, instruments, briefings, the draft's texts, the privacy and terms pages): write the date
  instead (the chat's messages, the poll, the digest and the demo's answers are said at the moment
  they are shown, so they may use them);
- the briefings' `as_of` more than six months before that day: check the legal facts, then
  update it.
Warnings do not stop the bot; `content check --strict` fails on them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from bot.content.briefings import parse_as_of
from bot.content.dates import forward_dates, relative_words
from bot.content.library import load_content
from bot.content.loader import ContentError, ContentRoot, Overlay, read_toml
from bot.core.domain import LANGUAGES

# Slack allows 3,000 characters in a section block; Teams cards hold more, so this is the bound.
MAX_TEXT_CHARS = 3000
# How old `as_of` in briefings.toml may be before the check asks for the legal facts to be reviewed.
AS_OF_MAX_MONTHS = 6
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
    "topics",
)
# The files that state facts meant to stay true (and the privacy and terms pages): a relative
# time word there goes stale. The others are said at the moment they are shown (the chat's
# messages, the poll's questions, the digest, the demo's simulated answers), where "this year"
# is right whenever it is read.
_FACTS = frozenset({"themes", "instruments", "briefings", "draft"})


@dataclass(frozen=True)
class ContentWarning:
    """Something in the content that has gone stale (or will without notice); the bot still
    runs. `where` names the file and key."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass(frozen=True)
class _Value:
    """One value of a content file, with the file it comes from as a person finds it (under an
    overlay: the company's own file when the key is set there)."""

    language: str
    name: str
    file: str
    key: str
    value: object

    @property
    def where(self) -> str:
        return f"{self.file}: {self.key}"


def _leaves(value: Any, key: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{key}.{k}" if key else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{key}[{i}]")
    else:
        yield key, value


def _values(root: ContentRoot) -> Iterator[_Value]:
    for language in LANGUAGES:
        for name in FILES:
            shipped = f"content/{language}/{name}.toml"
            own, own_keys = shipped, frozenset[str]()
            if isinstance(root, Overlay) and (root.folder / language / f"{name}.toml").is_file():
                own = str(root.folder / language / f"{name}.toml")
                own_keys = frozenset(
                    k for k, _ in _leaves(read_toml(language, name, root.folder), "")
                )
            for key, value in _leaves(read_toml(language, name, root), ""):
                yield _Value(language, name, own if key in own_keys else shipped, key, value)


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
    for item in _values(root):
        if not isinstance(item.value, str):
            continue
        if len(item.value) > MAX_TEXT_CHARS:
            raise ContentError(
                f"{item.where}: {len(item.value):,} characters; "
                f"at most {MAX_TEXT_CHARS:,} fit in a chat message"
            )
        if _UNVERIFIED.search(item.value):
            raise ContentError(f"{item.where}: carries an [unverified] marker; hedge or remove it")
        checked += 1
    return checked


def dated_warnings(root: ContentRoot, today: date) -> tuple[ContentWarning, ...]:
    """What in the content has gone stale on `today` (see the module's docstring), in file
    order. Call it on content that `check_content` passed."""
    checked_on = {language: f"checked on {_day(today, language)}" for language in LANGUAGES}
    warnings: list[ContentWarning] = []
    for item in _values(root):
        on = checked_on[item.language]
        if item.name == "briefings" and item.key == "as_of":
            warnings.extend(_old_as_of(item, today, on))
        elif isinstance(item.value, str):
            warnings.extend(_stale(item.where, item.value, today, on, item.name in _FACTS))
    content = load_content(root)
    for language in LANGUAGES:
        for page in content.for_language(language).pages.values():
            warnings.extend(
                _stale(page.source, page.markdown, today, checked_on[language], relative=True)
            )
    return tuple(warnings)


def _old_as_of(item: _Value, today: date, on: str) -> Iterator[ContentWarning]:
    as_of = parse_as_of(item.value, item.where)
    if _months_later(as_of, AS_OF_MAX_MONTHS) < today:
        # as written: a date as a day, a month and year ("maart 2026") as such
        shown = _day(as_of, item.language) if isinstance(item.value, date) else item.value
        yield ContentWarning(
            item.where,
            f"{shown} is more than {AS_OF_MAX_MONTHS} months ago ({on}); "
            "check the legal facts, then update as_of",
        )


def _stale(where: str, text: str, today: date, on: str, relative: bool) -> Iterator[ContentWarning]:
    for phrase in forward_dates(text):
        if phrase.period.has_passed(today):
            yield ContentWarning(where, f'"{phrase.phrase}" has passed ({on})')
    if relative:
        for word in relative_words(text):
            yield ContentWarning(
                where, f'"{word}" goes stale without notice; write the date instead'
            )


def _day(day: date, language: str) -> str:
    return format_date(day, "d MMMM y", locale=language)


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where that month is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
