"""Expired time-relative content is impossible to miss: `as_of` is a date people see as month
and year, and `content check` warns (and `--strict` fails) on a "vanaf/by <date>" that has
passed, a relative time word, or an `as_of` more than six months old, on an injected day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import adapters.content_cli
from adapters.cli import main
from bot.content.briefings import month_and_year
from bot.content.check import dated_warnings
from bot.content.guidance import legislation_card, topic_card
from bot.content.library import content_source, load_content
from bot.content.loader import ContentError
from tests.packs import briefings, pack
from tests.test_cli import run

CHECKED = date(2026, 12, 8)
BEFORE = date(2026, 8, 1)  # before the company's deadline, and as_of not yet six months old


def _ours(tmp_path: Path, briefings_nl: str) -> Path:
    ours = tmp_path / "ours"
    (ours / "nl").mkdir(parents=True)
    (ours / "nl" / "briefings.toml").write_text(briefings_nl, encoding="utf-8")
    return ours


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    """A company's folder written before `as_of` was a date, with a claim that has expired."""
    return _ours(
        tmp_path,
        'as_of = "maart 2026"\n\n[legislation.green_claims]\n'
        'text = "De EU verbiedt vanaf 27 september 2026 vage milieuclaims; binnenkort meer."\n',
    )


def _mine(ours: Path, today: date) -> list[str]:
    return [str(w) for w in dated_warnings(content_source(ours), today) if str(ours) in w.where]


# ------------------------------------------------------------------ as_of


@pytest.mark.parametrize(("language", "shown"), [("nl", "december 2026"), ("en", "December 2026")])
def test_as_of_is_shown_as_month_and_year_in_the_readers_language(
    language: str, shown: str
) -> None:
    assert month_and_year(date(2026, 12, 1), language) == shown
    b, msgs = briefings(language), pack(language).messages
    assert isinstance(b.as_of, date)
    assert b.as_of_text == month_and_year(b.as_of, language)
    assert b.as_of_text in legislation_card(b, msgs).title
    assert b.as_of_text in topic_card("drivers", b, msgs).title
    assert b.as_of_text in b.legislation_disclaimer
    assert "{as_of}" not in b.legislation_disclaimer


def test_a_company_folder_may_still_write_as_of_as_month_and_year(ours: Path) -> None:
    nl = load_content(content_source(ours)).for_language("nl").briefings
    assert nl.as_of == date(2026, 3, 1)
    assert nl.as_of_text == "maart 2026"


@pytest.mark.parametrize(
    "value", ['"soon"', '"1 maart 2026"', '""', "2026", "2026-12-01T10:00:00", "[2026]"]
)
def test_any_other_as_of_is_an_error_naming_file_and_key(tmp_path: Path, value: str) -> None:
    ours = _ours(tmp_path, f"as_of = {value}\n")
    with pytest.raises(ContentError, match=r"content/nl/briefings\.toml: as_of: must be a date"):
        load_content(content_source(ours))


def test_the_disclaimer_may_use_only_as_of(tmp_path: Path) -> None:
    ours = _ours(tmp_path, '[legislation]\ndisclaimer = "Stand {datum}."\n')
    with pytest.raises(
        ContentError, match=r"legislation\.disclaimer: unknown placeholder \{datum\}"
    ):
        load_content(content_source(ours))


# ------------------------------------------------------------------ the warnings


def test_an_expired_phrase_and_an_old_as_of_warn_naming_file_key_phrase_and_day(
    ours: Path,
) -> None:
    own = ours / "nl" / "briefings.toml"
    assert _mine(ours, CHECKED) == [
        f"{own}: as_of: maart 2026 is more than 6 months ago (checked on 8 december 2026); "
        "check the legal facts, then update as_of",
        f'{own}: legislation.green_claims.text: "vanaf 27 september 2026" has passed'
        " (checked on 8 december 2026)",
        f'{own}: legislation.green_claims.text: "binnenkort" goes stale without notice;'
        " write the date instead",
    ]


def test_before_the_deadline_only_the_relative_word_warns(ours: Path) -> None:
    assert _mine(ours, BEFORE) == [
        f'{ours / "nl" / "briefings.toml"}: legislation.green_claims.text: "binnenkort" goes'
        " stale without notice; write the date instead",
    ]


def test_as_of_warns_the_day_after_six_months(tmp_path: Path) -> None:
    ours = _ours(tmp_path, "as_of = 2026-12-01\n")
    assert _mine(ours, date(2027, 6, 1)) == []
    (warning,) = _mine(ours, date(2027, 6, 2))
    assert "as_of: 1 december 2026 is more than 6 months ago (checked on 2 juni 2027)" in warning


def test_texts_said_now_may_use_relative_words(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    (ours / "en").mkdir(parents=True)
    (ours / "en" / "messages.toml").write_text(
        '[idle]\ngreeting = "Hello {name}, the poll opens soon."\n', encoding="utf-8"
    )
    (ours / "en" / "themes.toml").write_text(
        '[theme.living-wage]\nsummary = "A benchmark follows next year."\n', encoding="utf-8"
    )
    assert _mine(ours, BEFORE) == [
        f'{ours / "en" / "themes.toml"}: theme.living-wage.summary: "next year" goes stale'
        " without notice; write the date instead"
    ]


# ------------------------------------------------------------------ the command line


def test_the_command_warns_and_only_strict_fails(tmp_path: Path, ours: Path) -> None:
    env = {"IMVO_CONTENT_DIR": str(ours)}
    check = run(["content", "check", "--today", "2026-12-08"], tmp_path, env=env)
    assert check.returncode == 0, check.stderr
    assert "complete and consistent" in check.stdout
    lines = check.stderr.splitlines()
    assert (
        f"warning: {ours / 'nl' / 'briefings.toml'}: legislation.green_claims.text:"
        ' "vanaf 27 september 2026" has passed (checked on 8 december 2026)'
    ) in lines
    assert any(
        line.startswith("warning: ") and ": as_of: maart 2026 is more" in line for line in lines
    )
    assert "--strict fails on them" in lines[-1]

    strict = run(["content", "check", "--strict", "--today", "2026-12-08"], tmp_path, env=env)
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[:-1] == lines[:-1]
    assert "failing" in strict.stderr.splitlines()[-1]

    before = run(["content", "check", "--today", BEFORE.isoformat()], tmp_path, env=env)
    assert before.returncode == 0
    (only,) = [line for line in before.stderr.splitlines() if str(ours) in line]
    assert '"binnenkort" goes stale' in only  # a relative word warns whatever the day


def test_strict_passes_when_nothing_has_gone_stale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[date] = []

    def nothing(root: object, today: date) -> tuple[()]:
        seen.append(today)
        return ()

    monkeypatch.setattr(adapters.content_cli, "dated_warnings", nothing)
    assert main(["content", "check", "--strict", "--today", "2031-02-03"]) == 0
    assert seen == [date(2031, 2, 3)]
    assert main(["content", "check", "--strict"]) == 0
    assert seen[-1] >= CHECKED  # the real clock's day when no --today is given
    assert capsys.readouterr().err == ""


def test_a_bad_day_is_refused_in_one_line(tmp_path: Path) -> None:
    check = run(["content", "check", "--today", "8-12-2026"], tmp_path)
    assert check.returncode == 2
    assert check.stderr.strip().endswith("(see imvo-bot content check --help)")
    assert "must be a day as YYYY-MM-DD, not '8-12-2026'" in check.stderr


def test_the_shipped_content_has_nothing_stale_on_8_december_2026() -> None:
    assert [str(w) for w in dated_warnings(None, CHECKED)] == []
