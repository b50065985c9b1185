"""A company's own content: `content init DIR`, `IMVO_CONTENT_DIR=DIR` read over the shipped
files key by key, `content check` on what the bot will use, and a bad edit refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.library import content_source, load_content, shipped_content
from bot.content.loader import ContentError
from tests.test_cli import run


def test_init_copies_the_shipped_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "ours"
    done = run(["content", "init", str(target)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (target / "nl" / "messages.toml").is_file()
    assert (target / "en" / "themes.toml").is_file()
    assert (target / "templates" / "draft.md.j2").is_file()
    assert "IMVO_CONTENT_DIR=" in done.stdout

    (target / "nl" / "messages.toml").write_text("# ours\n", encoding="utf-8")
    again = run(["content", "init", str(target)], tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert (target / "nl" / "messages.toml").read_text(encoding="utf-8") == "# ours\n"
    forced = run(["content", "init", str(target), "--force"], tmp_path)
    assert forced.returncode == 0
    assert (target / "nl" / "messages.toml").read_text(encoding="utf-8") != "# ours\n"


def test_a_companys_keys_replace_the_shipped_ones_and_the_rest_falls_back(
    tmp_path: Path,
) -> None:
    (tmp_path / "nl").mkdir()
    (tmp_path / "nl" / "messages.toml").write_text(
        '[idle]\ngreeting = "Dag {name}, welkom bij ACME."\n', encoding="utf-8"
    )
    ours = load_content(content_source(tmp_path)).for_language("nl").messages
    shipped = shipped_content().for_language("nl").messages
    assert ours("idle.greeting", name="Anna") == "Dag Anna, welkom bij ACME."
    assert ours("help.title") == shipped("help.title")  # a key missing there: shipped
    assert ours.keys() == shipped.keys()


def test_the_bot_speaks_the_companys_words(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    (ours / "en").mkdir(parents=True)
    (ours / "en" / "messages.toml").write_text(
        '[idle]\ngreeting = "Hello {name}, ACME\'s policy bot here."\n', encoding="utf-8"
    )
    env = {"IMVO_CONTENT_DIR": str(ours), "IMVO_DATABASE_URL": f"sqlite:///{tmp_path}/db.db"}
    chat = run(["chat", "--user", "anna", "--lang", "en"], tmp_path, stdin="", env=env)
    assert chat.returncode == 0, chat.stderr
    assert "Hello Anna, ACME's policy bot here." in chat.stdout  # console names title-cased


@pytest.mark.parametrize(
    ("file", "text", "named"),
    [
        ("nl/messages.toml", '[idle]\ngreeting = "Dag {nam}"\n', "idle.greeting"),
        ("en/themes.toml", "[theme.living-wage]\nrisk = 3\n", "theme.living-wage.risk"),
        ("nl/questions.toml", "[[question]\n", "nl/questions.toml"),
    ],
)
def test_a_bad_edit_is_refused_at_start_with_its_file_and_key(
    tmp_path: Path, file: str, text: str, named: str
) -> None:
    ours = tmp_path / "ours"
    (ours / file).parent.mkdir(parents=True)
    (ours / file).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match="IMVO_CONTENT_DIR"):
        load_content(content_source(ours))
    env = {"IMVO_CONTENT_DIR": str(ours), "IMVO_DATABASE_URL": f"sqlite:///{tmp_path}/db.db"}
    check = run(["content", "check"], tmp_path, env=env)
    assert check.returncode == 1 and named in check.stderr, check.stderr
    chat = run(["chat", "--user", "anna"], tmp_path, stdin="help\n", env=env, timeout=30)
    assert chat.returncode == 2 and named in chat.stderr
    assert chat.stdout == ""  # refused before saying anything
    assert not (tmp_path / "db.db").exists()  # nothing was opened


def test_a_content_dir_that_is_no_folder_is_a_clear_error(tmp_path: Path) -> None:
    env = {"IMVO_CONTENT_DIR": str(tmp_path / "missing")}
    check = run(["content", "check"], tmp_path, env=env)
    assert check.returncode == 2 and "content init" in check.stderr
