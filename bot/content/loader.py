"""Loads `content/`: the question sets, every sentence the bot says, and the draft's texts.

Content is data a CSR lead can read and edit: TOML files per language (`content/nl/`,
`content/en/`, the same keys in both) and Jinja2 templates (`content/templates/`). The code
holds no user-facing sentences; it refers to them by key.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bot.core.domain import LANGUAGES, Option, Question, QuestionKind


class ContentError(Exception):
    """`content/` is incomplete or malformed; the message names the file and key at fault."""


def content_root() -> Traversable:
    """The shipped `content` package (installed as package data)."""
    return resources.files("content")


def read_toml(language: str, name: str, root: Traversable | Path | None = None) -> dict[str, Any]:
    """Reads `content/<language>/<name>.toml`, with the file named in any error."""
    base = root if root is not None else content_root()
    node = base.joinpath(language).joinpath(f"{name}.toml")
    try:
        return tomllib.loads(node.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"content/{language}/{name}.toml: file is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"content/{language}/{name}.toml: {exc}") from exc


def read_template(name: str, root: Traversable | Path | None = None) -> str:
    base = root if root is not None else content_root()
    node = base.joinpath("templates").joinpath(name)
    try:
        return node.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(f"content/templates/{name}: file is missing") from exc


def _where(language: str, name: str, key: str) -> str:
    return f"content/{language}/{name}.toml: {key}"


def _str(raw: Mapping[str, Any], field: str, where: str, required: bool = True) -> str:
    value = raw.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{field}: must be a non-empty text")
    return value.strip()


def parse_questions(
    language: str, raw: Mapping[str, Any], name: str = "questions"
) -> tuple[Question, ...]:
    items = raw.get("question")
    if not isinstance(items, list) or not items:
        raise ContentError(_where(language, name, "question") + ": no questions")
    questions: list[Question] = []
    for index, item in enumerate(items):
        where = _where(language, name, f"question[{index}]")
        qid = _str(item, "id", where)
        try:
            kind = QuestionKind(item.get("kind", "text"))
        except ValueError as exc:
            raise ContentError(f"{where}.kind: must be 'text' or 'choice'") from exc
        options = tuple(
            Option(_str(o, "key", f"{where}.options"), _str(o, "label", f"{where}.options"))
            for o in item.get("options", [])
        )
        if kind is QuestionKind.CHOICE and len(options) < 2:
            raise ContentError(f"{where}.options: a choice question needs at least two options")
        max_choices = int(item.get("max_choices", 1))
        if not 1 <= max_choices <= max(1, len(options)):
            raise ContentError(f"{where}.max_choices: must be between 1 and the number of options")
        why = item.get("why")
        questions.append(
            Question(
                id=qid,
                kind=kind,
                prompt=_str(item, "prompt", where),
                options=options,
                max_choices=max_choices,
                why_prompt=_str(item, "why", where) if why is not None else None,
                title=_str(item, "title", where),
            )
        )
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ContentError(_where(language, name, "id") + ": ids must be unique")
    return tuple(questions)


class Messages:
    """Every sentence the bot says in one language, looked up by key.

    Placeholders use `{name}`; values are inserted as data, never parsed again, so a person's
    text inside a message cannot change the message's structure.
    """

    def __init__(self, language: str, strings: Mapping[str, str]) -> None:
        self.language = language
        self._strings = dict(strings)

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            template = self._strings[key]
        except KeyError:
            raise ContentError(_where(self.language, "messages", key) + ": missing") from None
        return template.format_map(_Strict(key, self.language, values)) if values else template

    def has(self, key: str) -> bool:
        return key in self._strings

    def keys(self) -> frozenset[str]:
        return frozenset(self._strings)

    def words(self, key: str) -> tuple[str, ...]:
        """A message that is a list of words separated by `|` (command aliases)."""
        return tuple(w.strip().lower() for w in self(key).split("|") if w.strip())


class _Strict(dict[str, object]):
    def __init__(self, key: str, language: str, values: Mapping[str, object]) -> None:
        super().__init__(values)
        self._key = key
        self._language = language

    def __missing__(self, name: str) -> object:
        raise ContentError(
            _where(self._language, "messages", self._key) + f": unknown placeholder {{{name}}}"
        )


def _flatten(prefix: str, raw: Mapping[str, Any], out: dict[str, str], where: str) -> None:
    for key, value in raw.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out, where)
        elif isinstance(value, str):
            out[full] = value.strip("\n")
        else:
            raise ContentError(f"{where}: {full}: must be a text")


def parse_messages(language: str, raw: Mapping[str, Any]) -> Messages:
    flat: dict[str, str] = {}
    _flatten("", raw, flat, f"content/{language}/messages.toml")
    for key, template in flat.items():
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if any(not n.isidentifier() for n in names):
            raise ContentError(_where(language, "messages", key) + ": placeholders must be {name}")
    return Messages(language, flat)


@dataclass(frozen=True)
class Content:
    """All of `content/` that the conversation needs, for both languages."""

    questions: Mapping[str, tuple[Question, ...]]
    messages: Mapping[str, Messages]
    owner_questions: Mapping[str, tuple[Question, ...]]

    def questions_for(self, language: str) -> tuple[Question, ...]:
        return self.questions[language if language in self.questions else "en"]

    def owner_questions_for(self, language: str) -> tuple[Question, ...]:
        return self.owner_questions[language if language in self.owner_questions else "en"]

    def messages_for(self, language: str) -> Messages:
        return self.messages[language if language in self.messages else "en"]


def load_content(root: Traversable | Path | None = None) -> Content:
    """Loads and cross-checks both languages; raises ContentError naming the file and key."""
    questions = {
        lang: parse_questions(lang, read_toml(lang, "questions", root)) for lang in LANGUAGES
    }
    messages = {lang: parse_messages(lang, read_toml(lang, "messages", root)) for lang in LANGUAGES}
    owner_questions = {
        lang: parse_questions(lang, read_toml(lang, "owner_questions", root), "owner_questions")
        for lang in LANGUAGES
    }
    _same_shape(questions)
    _same_shape(owner_questions, "owner_questions")
    base_keys = messages["en"].keys()
    for lang, msgs in messages.items():
        missing = base_keys - msgs.keys()
        extra = msgs.keys() - base_keys
        if missing or extra:
            key = sorted(missing or extra)[0]
            raise ContentError(
                _where(lang, "messages", key)
                + (": missing here but present in English" if missing else ": not in English")
            )
    return Content(questions=questions, messages=messages, owner_questions=owner_questions)


def _same_shape(questions: Mapping[str, tuple[Question, ...]], name: str = "questions") -> None:
    reference = questions["en"]
    for lang, qs in questions.items():
        if [q.id for q in qs] != [q.id for q in reference]:
            raise ContentError(_where(lang, name, "id") + ": ids differ from English")
        for mine, theirs in zip(qs, reference, strict=True):
            if [o.key for o in mine.options] != [o.key for o in theirs.options]:
                raise ContentError(
                    _where(lang, name, mine.id) + ": option keys differ from English"
                )
            if (mine.kind, mine.max_choices, mine.asks_why) != (
                theirs.kind,
                theirs.max_choices,
                theirs.asks_why,
            ):
                raise ContentError(_where(lang, name, mine.id) + ": differs from English")


@cache
def default_content() -> Content:
    """The shipped content, loaded once per process."""
    return load_content()
