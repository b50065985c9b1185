"""Dates as content writes them (bot.content.dates): which phrasings announce a start or a
deadline, which date they name, and the relative time words that go stale unnoticed."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date
from hypothesis import given
from hypothesis import strategies as st

from bot.content.dates import (
    Period,
    forward_dates,
    parse_date,
    parse_month_year,
    relative_words,
)


def _day(year: int, month: int, day: int) -> Period:
    return Period(date(year, month, day), date(year, month, day))


@pytest.mark.parametrize(
    ("text", "phrase", "period"),
    [
        ("geldt vanaf 27 september 2026 voor", "vanaf 27 september 2026", _day(2026, 9, 27)),
        ("From 14 December 2027, no product", "From 14 December 2027", _day(2027, 12, 14)),
        ("(from 27 Sept 2026)", "from 27 Sept 2026", _day(2026, 9, 27)),
        ("vanaf sept. 2026", "vanaf sept. 2026", Period(date(2026, 9, 1), date(2026, 9, 30))),
        ("moest uiterlijk 1 juli 2023 klaar", "uiterlijk 1 juli 2023", _day(2023, 7, 1)),
        (
            "plichten vanaf juli 2029.",
            "vanaf juli 2029",
            Period(date(2029, 7, 1), date(2029, 7, 31)),
        ),
        ("uiterlijk op 14 juni 2026", "uiterlijk op 14 juni 2026", _day(2026, 6, 14)),
        ("per 1 januari 2027", "per 1 januari 2027", _day(2027, 1, 1)),
        ("met ingang van 1 mrt. 2027", "met ingang van 1 mrt. 2027", _day(2027, 3, 1)),
        ("m.i.v. 1 jan 2027", "m.i.v. 1 jan 2027", _day(2027, 1, 1)),
        ("tegen 2030 de helft", "tegen 2030", Period(date(2030, 1, 1), date(2030, 12, 31))),
        ("vanaf 2025 gelden", "vanaf 2025", Period(date(2025, 1, 1), date(2025, 12, 31))),
        ("by 17 April 2028", "by 17 April 2028", _day(2028, 4, 17)),
        ("by the end of 2027", "by the end of 2027", Period(date(2027, 1, 1), date(2027, 12, 31))),
        ("starting on 1 July 2026", "starting on 1 July 2026", _day(2026, 7, 1)),
        ("no later than Dec 31, 2027", "no later than Dec 31, 2027", _day(2027, 12, 31)),
        ("from 2027-01-01 on", "from 2027-01-01", _day(2027, 1, 1)),
    ],
)
def test_a_forward_looking_phrase_and_its_date(text: str, phrase: str, period: Period) -> None:
    assert [(p.phrase, p.period) for p in forward_dates(text)] == [(phrase, period)]


@pytest.mark.parametrize(
    "text",
    [
        "geldt sinds 27 september 2026",
        "applies since 27 September 2026",
        "in force on 18 March 2026",
        "in 2025 hebben we",
        "het convenant liep van 2016 tot 2021",
        "from 2016 to 2021",
        "vanaf 2016–2021",
        "from 1 January 2026 until 31 December 2027",
        "as amended by Regulation (EU) 2025/2650",
        "by Directive (EU) 2026/470",
        "10% omzetgroei per jaar",
        "75% by 30 workers",
        "vanaf 31 februari 2027",  # no such day
    ],
)
def test_facts_that_stay_true_and_things_that_are_no_date_are_not_flagged(text: str) -> None:
    assert list(forward_dates(text)) == []


def test_every_phrase_in_a_text_in_the_order_written() -> None:
    text = "Lidstaten moesten uiterlijk 27 maart 2026 omzetten; vanaf 27 september 2026 geldt het."
    assert [p.phrase for p in forward_dates(text)] == [
        "uiterlijk 27 maart 2026",
        "vanaf 27 september 2026",
    ]


@pytest.mark.parametrize(
    ("today", "passed"),
    [
        (date(2026, 9, 26), False),
        (date(2026, 9, 27), False),  # on the day itself it is still true
        (date(2026, 9, 28), True),
    ],
)
def test_a_day_has_passed_the_day_after(today: date, passed: bool) -> None:
    (phrase,) = forward_dates("vanaf 27 september 2026")
    assert phrase.period.has_passed(today) is passed


def test_a_month_or_a_year_has_passed_when_all_of_it_has() -> None:
    (month,) = forward_dates("vanaf juli 2029")
    assert not month.period.has_passed(date(2029, 7, 31))
    assert month.period.has_passed(date(2029, 8, 1))
    (year,) = forward_dates("vanaf 2025")
    assert not year.period.has_passed(date(2025, 12, 31))
    assert year.period.has_passed(date(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Volgend jaar komt er een nieuwe wet.", ["Volgend jaar"]),
        (
            "De Commissie heeft onlangs, en dit jaar nog, richtsnoeren gepubliceerd.",
            ["onlangs", "dit jaar"],
        ),
        ("binnenkort", ["binnenkort"]),
        (
            "Rules due next year, recently announced, soon in force.",
            ["next year", "recently", "soon"],
        ),
        ("Let us know as soon as you can.", []),
        ("sooner or later; soonest; recentelijk", []),
        ("jaarlijks; per jaar; this yearly report", []),
    ],
)
def test_relative_time_words(text: str, words: list[str]) -> None:
    assert list(relative_words(text)) == words


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("maart 2026", date(2026, 3, 1)),
        ("March 2026", date(2026, 3, 1)),
        (" Sept 2026 ", date(2026, 9, 1)),
        ("dec. 2026", date(2026, 12, 1)),
    ],
)
def test_a_month_and_year_as_text(text: str, first: date) -> None:
    assert parse_month_year(text) == first


@pytest.mark.parametrize("text", ["2026", "1 maart 2026", "spring 2026", "maart", "soon", ""])
def test_anything_else_is_no_month_and_year(text: str) -> None:
    assert parse_month_year(text) is None


# ------------------------------------------------------------------ properties

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
# CLDR's ways of writing a day, as Babel writes them: "14 december 2027", "14 dec. 2027",
# "14 December 2027", "14 Sept 2027", "December 14, 2027".
FORMATS = st.sampled_from(
    [
        ("nl", "d MMMM y"),
        ("nl", "d MMM y"),
        ("en", "d MMMM y"),
        ("en", "d MMM y"),
        ("en_GB", "d MMM y"),
        ("en", "MMMM d, y"),
        ("en", "MMM d, y"),
    ]
)
TRIGGERS = st.sampled_from(
    [
        "vanaf",
        "uiterlijk",
        "per",
        "met ingang van",
        "tegen",
        "from",
        "by",
        "starting",
        "no later than",
    ]
)


@given(day=DAYS, how=FORMATS)
def test_every_day_babel_writes_reads_back(day: date, how: tuple[str, str]) -> None:
    locale, pattern = how
    assert parse_date(format_date(day, pattern, locale=locale)) == Period(day, day)


@given(day=DAYS, how=FORMATS, trigger=TRIGGERS, today=DAYS)
def test_a_phrase_warns_exactly_when_its_day_lies_before_today(
    day: date, how: tuple[str, str], trigger: str, today: date
) -> None:
    locale, pattern = how
    written = f"{trigger} {format_date(day, pattern, locale=locale)}"
    (phrase,) = forward_dates(f"Dit geldt {written}, zo staat het.")
    assert phrase.phrase == written
    assert phrase.period.has_passed(today) is (day < today)


@given(day=DAYS, how=FORMATS, word=st.sampled_from(["sinds", "since", "on", "in", "op", "na"]))
def test_a_statement_of_fact_never_warns(day: date, how: tuple[str, str], word: str) -> None:
    locale, pattern = how
    assert list(forward_dates(f"{word} {format_date(day, pattern, locale=locale)}")) == []


@given(day=DAYS, locale=st.sampled_from(["nl", "en"]))
def test_a_month_babel_writes_reads_back_as_its_first_day(day: date, locale: str) -> None:
    written = format_date(day, "MMMM y", locale=locale)
    assert parse_month_year(written) == day.replace(day=1)
