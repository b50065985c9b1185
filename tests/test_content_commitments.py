"""Each theme's menu of commitments (`[[theme.<key>.commitments]]` in `themes.toml`, issue 21):
5 to 8 items per theme with a stable kebab-case key, a level (basic or further), the policy
sentence in policy voice and the standard clause it implements; the same keys in the same order
in Dutch and English. A malformed menu is refused with the file and the key at fault, by the
loader and by `content check`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.content.check import check_content
from bot.content.draft_texts import load_draft_texts
from bot.content.library import content_source
from bot.content.loader import ContentError
from bot.content.themes import COMMITMENT_LEVELS, THEME_KEYS

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A sentence addressed to the reader has no place in what the policy adopts.
ADDRESSED = re.compile(r"\b(?:je|jij|jou|jouw|u|uw|you|your)\b", re.I)
VOICE = {"nl": "Wij ", "en": "We "}
THEME = "child-labour"


def test_the_shipped_menus_load_in_both_languages_with_the_same_keys() -> None:
    texts = load_draft_texts()
    for lang in ("nl", "en"):
        for theme in texts[lang].themes:
            menu = theme.commitments
            assert 5 <= len(menu) <= 8, (lang, theme.key)
            keys = [c.key for c in menu]
            assert len(set(keys)) == len(keys) and all(KEBAB.match(k) for k in keys)
            assert {c.level for c in menu} == set(COMMITMENT_LEVELS), (lang, theme.key)
            for item in menu:
                assert item.policy.startswith(VOICE[lang]), (lang, theme.key, item.key)
                assert not ADDRESSED.search(item.policy), (lang, theme.key, item.key)
                assert item.clause and not ADDRESSED.search(item.clause)
                assert theme.commitment(item.key) is item
            assert theme.commitment("no-such-commitment") is None
    for nl, en in zip(texts["nl"].themes, texts["en"].themes, strict=True):
        assert [(c.key, c.level) for c in nl.commitments] == [
            (c.key, c.level) for c in en.commitments
        ]
    assert tuple(t.key for t in texts["nl"].themes) == THEME_KEYS


def _item(key: str, level: str = "basic", lang: str = "en", **fields: Any) -> dict[str, Any]:
    policy = f"{VOICE[lang]}check item {key} at every supplier visit."
    return {"key": key, "level": level, "policy": policy, "clause": "ETI Base Code", **fields}


def _menu(lang: str, count: int = 5) -> list[dict[str, Any]]:
    return [_item(f"item-{i}", "further" if i == 0 else "basic", lang) for i in range(count)]


def _write(folder: Path, lang: str, menu: list[dict[str, Any]]) -> None:
    """A company's own `themes.toml` that replaces one theme's menu (a list replaces the shipped
    list under the overlay; every other key falls back to the shipped file)."""
    (folder / lang).mkdir(parents=True, exist_ok=True)
    tables = []
    for item in menu:
        lines = [f"[[theme.{THEME}.commitments]]"]
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in item.items()]
        tables.append("\n".join(lines))
    (folder / lang / "themes.toml").write_text("\n\n".join(tables) + "\n", encoding="utf-8")


def test_a_companys_own_menu_replaces_the_shipped_one(tmp_path: Path) -> None:
    for lang in ("nl", "en"):
        _write(tmp_path, lang, _menu(lang, 8))
    texts = load_draft_texts(content_source(tmp_path))
    theme = next(t for t in texts["nl"].themes if t.key == THEME)
    assert [c.key for c in theme.commitments] == [f"item-{i}" for i in range(8)]
    assert theme.commitments[0].policy == "Wij check item item-0 at every supplier visit."


def _without_policy(lang: str) -> list[dict[str, Any]]:
    menu = _menu(lang)
    del menu[2]["policy"]
    return menu


def _bad_level(lang: str) -> list[dict[str, Any]]:
    menu = _menu(lang)
    menu[1]["level"] = "advanced"
    return menu


def _duplicate(lang: str) -> list[dict[str, Any]]:
    menu = _menu(lang)
    menu[3]["key"] = "item-1"
    return menu


def _not_kebab(lang: str) -> list[dict[str, Any]]:
    menu = _menu(lang)
    menu[0]["key"] = "Item_0"
    return menu


def _tip(lang: str) -> list[dict[str, Any]]:
    menu = _menu(lang)
    menu[4]["policy"] = {
        "nl": "Leg in de gedragscode vast dat niemand onder de 15 werkt.",
        "en": "You write into the code that nobody under 15 works.",
    }[lang]
    return menu


def _one_level(lang: str) -> list[dict[str, Any]]:
    return [_item(f"item-{i}", "basic", lang) for i in range(5)]


@pytest.mark.parametrize(
    ("lang", "broken", "where", "problem"),
    [
        ("nl", _without_policy, "commitments.item-2.policy", "non-empty text"),
        ("en", _bad_level, "commitments.item-1.level", "basic, further"),
        ("nl", _duplicate, "commitments.item-1", "appears twice"),
        ("en", _not_kebab, r"commitments\[0\].key", "kebab-case"),
        ("nl", lambda lang: _menu(lang, 4), "commitments", "5 to 8 commitments.*found 4"),
        ("en", lambda lang: _menu(lang, 9), "commitments", "5 to 8 commitments.*found 9"),
        ("nl", _tip, "commitments.item-4.policy", 'policy voice, "Wij ..."'),
        ("en", _tip, "commitments.item-4.policy", 'policy voice, "We ..."'),
        ("en", _one_level, "commitments", "level 'further'"),
    ],
)
def test_a_malformed_menu_is_refused_with_file_and_key(
    tmp_path: Path, lang: str, broken: Any, where: str, problem: str
) -> None:
    _write(tmp_path, lang, broken(lang))
    expected = rf"content/{lang}/themes.toml: theme\.{THEME}\.{where}: .*{problem}"
    with pytest.raises(ContentError, match=expected):
        load_draft_texts(content_source(tmp_path))
    # `imvo-bot content check` loads the same files, so it refuses the same menu.
    with pytest.raises(ContentError, match=expected):
        check_content(content_source(tmp_path))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ("renamed", "item-9"),  # a key only Dutch has
        ("reordered", "item-2"),  # the same keys in another order
        ("shorter", "item-5"),  # English has one more
    ],
)
def test_dutch_and_english_menus_must_have_the_same_keys_in_order(
    tmp_path: Path, change: str, key: str
) -> None:
    nl, en = _menu("nl", 6), _menu("en", 6)
    if change == "renamed":
        nl[3]["key"] = "item-9"
    elif change == "reordered":
        nl[1], nl[2] = nl[2], nl[1]
    else:
        nl.pop()
    _write(tmp_path, "nl", nl)
    _write(tmp_path, "en", en)
    expected = rf"content/nl/themes.toml: theme\.{THEME}\.commitments\.{key}: .*differ from English"
    with pytest.raises(ContentError, match=expected):
        load_draft_texts(content_source(tmp_path))


def test_the_same_item_has_the_same_level_in_both_languages(tmp_path: Path) -> None:
    nl, en = _menu("nl"), _menu("en")
    nl[2]["level"] = "further"
    _write(tmp_path, "nl", nl)
    _write(tmp_path, "en", en)
    with pytest.raises(ContentError, match=r"theme\.child-labour\.commitments\.item-2\.level"):
        load_draft_texts(content_source(tmp_path))
