"""Dates as content writes them, in Dutch and English, for `content check`'s expiry warnings.

A text goes stale without anyone noticing when it announces something "from" or "by" a date
that has since passed ("vanaf 27 september 2026", "by 14 June 2026"), or uses a relative time
word ("binnenkort", "next year"). This module finds both; `bot.content.check` decides what to
warn about on which day.

Dates are read as a day ("14 december 2027", "27 Sept 2026", "December 14, 2027",
"2027-12-14"), a month ("juli 2029", "end of March 2027") or a year ("2025"); a `Period` is the
span such a date names, and a statement about it has passed once the whole span has. Month
names and abbreviations are CLDR's (via Babel) for Dutch, English and British English, with or
without a full stop: "maart", "mrt.", "March", "Mar", "Sept", "sep.".

Only forward-looking phrasings count (see `_TRIGGER`); "sinds", "since", "on" or "in" a date
state a fact that stays true. A range ("from 2016 to 2021", "vanaf 2020 tot 2030") never
counts: it tells its own end.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from babel import Locale

# Where month names come from: CLDR's wide and abbreviated names ("Sept" is British English).
_MONTH_LOCALES = ("nl", "en", "en_GB")


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for tag in _MONTH_LOCALES:
        locale = Locale.parse(tag)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    names[name.lower().rstrip(".")] = number
    return names


MONTHS: dict[str, int] = _month_names()

_MONTH = r"(?:{})\b\.?".format("|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)))
_YEAR = r"\b(?:19|20)\d\d(?![\d/])"  # not "2024/1781", a regulation's number
_DATE = (
    rf"(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\s+(?P<year>{_YEAR})"
    rf"|(?P<us_month>{_MONTH})\s+(?P<us_day>\d{{1,2}}),?\s+(?P<us_year>{_YEAR})"
    r"|(?P<iso>\b\d{4}-\d\d-\d\d\b)"
    rf"|(?P<m_month>{_MONTH})\s+(?P<m_year>{_YEAR})"
    rf"|(?P<y_year>{_YEAR})"
)
# Phrasings that announce a start or a deadline still ahead. "as of" and "stand per" also say
# how old a text is, but "per" announces a start as often in Dutch, so it counts.
_TRIGGER = (
    r"vanaf|uiterlijk|per|met\s+ingang\s+van|m\.i\.v\.|tegen|niet\s+later\s+dan"
    r"|from|by|starting(?:\s+(?:on|from|in))?|no\s+later\s+than|not\s+later\s+than"
)
# Words between the phrasing and its date: "uiterlijk op", "by the end of", "vanaf medio".
_BETWEEN = (
    r"(?:op|in|on|eind|einde|begin|medio|(?:the\s+)?(?:end|start|beginning|middle)\s+of"
    r"|end|early|late|mid-?)\s*"
)
_RANGE_END = r"\s*(?:-|–|—|to|until|till|through|tot(?:\s+en\s+met)?|t/m)\s*\d"
_FORWARD = re.compile(
    rf"(?<![\w.])(?P<trigger>{_TRIGGER})\s+(?:{_BETWEEN})?(?:{_DATE})(?!{_RANGE_END})",
    re.IGNORECASE,
)
_WHOLE = re.compile(rf"\s*(?:{_DATE})\s*", re.IGNORECASE)

# Relative time words: true on the day they were written, silently wrong a year later.
_RELATIVE = re.compile(
    r"\b(?:volgende?\s+jaar|dit\s+jaar|vorige?\s+jaar|binnenkort|onlangs"
    r"|next\s+year|this\s+year|last\s+year|(?<!\bas\s)soon|recently)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    """The span a written date names: one day, a whole month or a whole year."""

    first: date
    last: date

    def has_passed(self, today: date) -> bool:
        """True once the whole span lies before `today`."""
        return self.last < today


@dataclass(frozen=True)
class DatedPhrase:
    """A forward-looking phrase as written ("vanaf 27 september 2026") and its date."""

    phrase: str
    period: Period


def _month_of(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def _day(year: int, month: int, day: int) -> Period | None:
    try:
        moment = date(year, month, day)
    except ValueError:
        return None  # "31 februari": not a date, so no statement about one
    return Period(moment, moment)


def _period(found: re.Match[str]) -> Period | None:
    g = found.groupdict()
    if g["day"]:
        return _day(int(g["year"]), _month_of(g["month"]), int(g["day"]))
    if g["us_day"]:
        return _day(int(g["us_year"]), _month_of(g["us_month"]), int(g["us_day"]))
    if g["iso"]:
        year, month, day = map(int, g["iso"].split("-"))
        return _day(year, month, day)
    if g["m_month"]:
        year, month = int(g["m_year"]), _month_of(g["m_month"])
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    year = int(g["y_year"])
    return Period(date(year, 1, 1), date(year, 12, 31))


def parse_date(text: str) -> Period | None:
    """The span `text` names if it is nothing but a date ("14 december 2027", "Sept 2026",
    "2025"); None otherwise."""
    found = _WHOLE.fullmatch(text)
    return _period(found) if found else None


def parse_month_year(text: str) -> date | None:
    """The first day of the month `text` names if it is a month and a year and nothing else
    ("maart 2026", "March 2026", "Sept 2026"); None otherwise."""
    found = _WHOLE.fullmatch(text)
    if found is None or not found["m_month"]:
        return None
    return date(int(found["m_year"]), _month_of(found["m_month"]), 1)


def forward_dates(text: str) -> Iterator[DatedPhrase]:
    """Every "from/by <date>" phrase in `text`, in the order written."""
    for found in _FORWARD.finditer(text):
        period = _period(found)
        if period is not None:
            yield DatedPhrase(" ".join(found.group().split()), period)


def relative_words(text: str) -> Iterator[str]:
    """Every relative time word in `text` ("binnenkort", "next year"), as written."""
    for found in _RELATIVE.finditer(text):
        yield " ".join(found.group().split())
