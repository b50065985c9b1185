"""The command line: help, one-line errors with exit code 2, demo, compile, roles, chat."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from adapters.cli import build_parser, main
from bot.core.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def run(
    args: list[str],
    cwd: Path,
    stdin: str = "",
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("IMVO_")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["demo"], ["chat"], ["compile"], ["roles"], ["roles", "grant"], ["content", "check"]],
)
def test_every_command_has_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--help"])
    assert exit_info.value.code == 0
    assert "usage: imvo-bot" in capsys.readouterr().out


def _subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every subcommand of the real parser, at every level (`roles`, `roles grant`, …)."""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(*path, name), *_subcommands(sub, (*path, name))]
    return found


def test_every_subcommand_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    paths = _subcommands(build_parser())
    assert ("serve",) in paths and ("roles", "grant") in paths and ("db", "copy") in paths
    for path in paths:
        with pytest.raises(SystemExit):
            main([*path, "--help"])
        usage, description, *_ = capsys.readouterr().out.split("\n\n")
        assert usage.startswith(f"usage: imvo-bot {' '.join(path)}")
        # Without a description the usage is followed by the argument lists' headings.
        assert description.strip(), path
        assert description.splitlines()[0] not in ("options:", "positional arguments:"), path
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    serve = " ".join(capsys.readouterr().out.split())
    assert "Slack at POST /slack/events and/or Teams at POST /api/messages" in serve


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nonsense"], "invalid choice"),
        (["demo", "--lang", "de"], "invalid choice: 'de'"),
        (["compile", "--format", "pdf"], "unknown format 'pdf'"),
        (["roles", "grant", "bob", "csr_lead"], "'bob' is not a user"),
        (["roles", "grant", "console:bob", "king"], "invalid choice: 'king'"),
        (["chat", "--role", "admin"], "invalid choice: 'admin'"),
    ],
)
def test_wrong_arguments_give_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_settings_give_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(["roles", "list"], tmp_path, env={"IMVO_LANGUAGE": "fr"})
    assert result.returncode == 2
    assert result.stderr.strip() == "imvo-bot roles: IMVO_LANGUAGE must be one of nl, en, not 'fr'"
    result = run(["roles", "list"], tmp_path, env={"IMVO_DATABASE_URL": "mysql://x"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_compile_without_a_campaign_says_so(tmp_path: Path) -> None:
    result = run(["compile", "--lang", "en"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "imvo-bot compile: sqlite:///imvo.db holds no campaign yet"
    result = run(["compile", "--campaign", "7"], tmp_path, env={"IMVO_LANGUAGE": "en"})
    assert result.stderr.strip() == "imvo-bot compile: sqlite:///imvo.db holds no campaign #7"
    dutch = run(["compile"], tmp_path)  # IMVO_LANGUAGE's default, nl
    assert dutch.stderr.strip() == "imvo-bot compile: sqlite:///imvo.db bevat nog geen campagne"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_demo_runs_a_whole_campaign_and_writes_the_files(tmp_path: Path, language: str) -> None:
    out = tmp_path / "out"
    result = run(["demo", "--out", str(out), "--lang", language], tmp_path)
    assert result.returncode == 0, result.stderr
    docx_files = list(out.glob("campaign-*/*.docx"))
    md_files = list(out.glob("campaign-*/*.md"))
    assert len(docx_files) == 1 and len(md_files) == 1
    assert (out / "imvo-demo-summary.md").is_file()
    digest = (out / "imvo-demo-digest.md").read_text(encoding="utf-8")
    assert "#1" in digest and ("Hugo" in digest and "Chloe" in digest)
    markdown = md_files[0].read_text(encoding="utf-8") if md_files else ""
    owner_says = "What the owner says" if language == "en" else "Wat de eigenaar zegt"
    assert markdown.count(owner_says) == 2
    assert (out / "imvo-demo.db").is_file()
    for path in (*docx_files, *md_files):
        assert str(path) in result.stdout
    document = docx.Document(str(docx_files[0]))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert len(headings) > 15
    progress = "12 of 12" if language == "en" else "12 van 12"
    assert progress in result.stdout
    # one colleague never answers, so 11 responded
    assert ("11 colleagues" if language == "en" else "11 collega's") in result.stdout

    # The demo's database works with the other commands too.
    env = {"IMVO_DATABASE_URL": f"sqlite:///{out / 'imvo-demo.db'}"}
    compiled = run(
        ["compile", "--out", str(tmp_path / "again"), "--format", "md"], tmp_path, env=env
    )
    assert compiled.returncode == 0, compiled.stderr
    assert len(list((tmp_path / "again").glob("campaign-*/*.md"))) == 1
    assert not list((tmp_path / "again").glob("campaign-*/*.docx"))


def test_roles_grant_list_revoke(tmp_path: Path) -> None:
    env = {
        "IMVO_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "IMVO_ADMINS": "slack:U1",
        "IMVO_LANGUAGE": "en",
    }
    assert run(["roles", "grant", "console:Bob", "manager"], tmp_path, env=env).stdout.strip() == (
        "manager granted to console:bob"
    )
    listed = run(["roles", "list"], tmp_path, env=env).stdout
    assert "console:bob\tmanager" in listed and "slack:U1\tcsr_lead\t(IMVO_ADMINS)" in listed
    again = run(["roles", "grant", "console:bob", "manager"], tmp_path, env=env).stdout
    assert "(no change)" in again
    assert "revoked" in run(["roles", "revoke", "console:bob", "manager"], tmp_path, env=env).stdout
    assert "console:bob" not in run(["roles", "list"], tmp_path, env=env).stdout
    dutch = {**env, "IMVO_LANGUAGE": "nl"}
    said = run(["roles", "grant", "console:bob", "manager"], tmp_path, env=dutch).stdout
    assert said.strip() == "manager toegekend aan console:bob"


def test_chat_reads_piped_input_line_by_line(tmp_path: Path) -> None:
    env = {"IMVO_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    script = "help\nstart anna deadline 2099-01-31\nstatus\n"
    result = run(
        ["chat", "--user", "sanne", "--role", "csr_lead", "--lang", "en"],
        tmp_path,
        stdin=script,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "What I can do" in out
    assert "Campaign #1 has started for 1 person." in out
    assert "(→ anna: direct message delivered" in out
    assert "Invited: 1" in out

    answer = run(["chat", "--user", "anna"], tmp_path, stdin="3\nWe sell quality.\n", env=env)
    assert answer.returncode == 0, answer.stderr
    assert "Welcome back" in answer.stdout or "[1/9]" in answer.stdout
    assert "[3/9]" in answer.stdout


def test_content_check_passes_on_the_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    assert "complete" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "IMVO_RETENTION_DAYS must be a whole number of days, not 'soon'"),
        ("0", "IMVO_RETENTION_DAYS must be between 1 and 3650, not 0"),
        ("99999", "IMVO_RETENTION_DAYS must be between 1 and 3650, not 99999"),
    ],
)
def test_a_bad_retention_is_refused_with_its_reason(value: str, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"IMVO_RETENTION_DAYS": value})
    assert str(refused.value).startswith(message)
    assert load_settings({}).retention_days == 30
    assert load_settings({"IMVO_RETENTION_DAYS": "7"}).retention_days == 7


def test_compile_in_a_house_style_with_charts_and_in_the_drafts_language(tmp_path: Path) -> None:
    """`compile --template`: the company's styles and header; the charts next to the Markdown
    and inside the Word file; every line printed in the draft's language."""
    out = tmp_path / "out"
    assert run(["demo", "--out", str(out), "--lang", "nl"], tmp_path).returncode == 0
    template = docx.Document()
    template.sections[0].header.paragraphs[0].add_run("ACME Fashion B.V.")
    template.save(str(tmp_path / "acme.docx"))
    env = {"IMVO_DATABASE_URL": f"sqlite:///{out / 'imvo-demo.db'}", "IMVO_LANGUAGE": "nl"}
    again = tmp_path / "again"
    args = [
        "compile",
        "--out",
        str(again),
        "--lang",
        "en",
        "--template",
        str(tmp_path / "acme.docx"),
    ]
    compiled = run(args, tmp_path, env=env)
    assert compiled.returncode == 0, compiled.stderr
    assert "Policy draft of campaign #1" in compiled.stdout and "Still missing:" in compiled.stdout
    assert "Conceptbeleid" not in compiled.stdout and "Wat nog ontbreekt" not in compiled.stdout
    (word,) = again.glob("campaign-1/*.docx")
    (markdown,) = again.glob("campaign-1/*.md")
    charts = sorted(again.glob("campaign-1/*.png"))
    assert len(charts) >= 3  # drivers, resistance, trends (the demo's disciplines are small)
    text = markdown.read_text(encoding="utf-8")
    for chart in charts:
        assert f"]({chart.name})" in text
        assert str(chart) in compiled.stdout
    document = docx.Document(str(word))
    assert len(document.inline_shapes) == len(charts)
    header = "\n".join(p.text for p in document.sections[0].header.paragraphs)
    assert "ACME Fashion B.V." in header and "Draft for discussion" in header


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"not a word file", "is not a .docx file"), (None, "is not a file")],
)
def test_a_bad_template_gives_one_line_and_exit_2(
    tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "template.docx"
    if content is not None:
        path.write_bytes(content)
    for how in (["compile", "--template", str(path)], ["compile"]):
        env = {} if how[1:] else {"IMVO_DRAFT_TEMPLATE": str(path)}
        result = run(how, tmp_path, env=env)
        assert result.returncode == 2, how
        assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
