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

from babel import Locale
from babel.numbers import format_decimal

from bot.core.domain import Option, Question, QuestionKind


class ContentError(Exception):
    """`content/` is incomplete or malformed; the message names the file and key at fault."""


def content_root() -> Traversable:
    """The shipped `content` package (installed as package data)."""
    return resources.files("content")


@dataclass(frozen=True)
class Overlay:
    """A company's own content folder over the shipped files (`IMVO_CONTENT_DIR`).

    A file there replaces the shipped file key by key: tables merge, every other value (a text,
    a list of questions) replaces the shipped one. A file or key missing there falls back to the
    shipped one, so a company only keeps what it changed.
    """

    folder: Path
    base: Traversable | Path | None = None

    def joinpath(self, *parts: str) -> Traversable | Path:
        """The shipped node (for what is read whole, such as a template, see `read_template`)."""
        return (self.base if self.base is not None else content_root()).joinpath(*parts)


ContentRoot = Traversable | Path | Overlay | None


def _parse(node: Traversable | Path, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(node.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{shown}: file is missing") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(f"{shown}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{shown}: {exc}") from exc


def _merged(base: dict[str, Any], mine: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in mine.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(language: str, name: str, root: ContentRoot = None) -> dict[str, Any]:
    """Reads `content/<language>/<name>.toml` (under an overlay: the company's file merged over
    the shipped one), with the file named in any error."""
    if isinstance(root, Overlay):
        shipped = read_toml(language, name, root.base)
        own = root.folder / language / f"{name}.toml"
        if not own.is_file():
            return shipped
        return _merged(shipped, _parse(own, str(own)))
    base = root if root is not None else content_root()
    node = base.joinpath(language).joinpath(f"{name}.toml")
    return _parse(node, f"content/{language}/{name}.toml")


def read_template(name: str, root: ContentRoot = None) -> str:
    """Reads `content/templates/<name>` (a company's own copy first, under an overlay)."""
    if isinstance(root, Overlay):
        own = root.folder / "templates" / name
        if own.is_file():
            return own.read_text(encoding="utf-8")
        root = root.base
    base = root if root is not None else content_root()
    node = base.joinpath("templates").joinpath(name)
    try:
        return node.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(f"content/templates/{name}: file is missing") from exc


def read_page(language: str, name: str, root: ContentRoot = None) -> tuple[str, str]:
    """Reads `content/<language>/<name>.md` whole (a company's own copy first, under an
    overlay); returns the text and the file as an error should name it."""
    if isinstance(root, Overlay):
        own = root.folder / language / f"{name}.md"
        if own.is_file():
            return _read_text(own, str(own)), str(own)
        root = root.base
    base = root if root is not None else content_root()
    shown = f"content/{language}/{name}.md"
    return _read_text(base.joinpath(language).joinpath(f"{name}.md"), shown), shown


def _read_text(node: Traversable | Path, shown: str) -> str:
    try:
        return node.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(f"{shown}: file is missing") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(f"{shown}: not UTF-8 text ({exc.reason})") from exc


def _where(language: str, name: str, key: str) -> str:
    return f"content/{language}/{name}.toml: {key}"


def _str(raw: Mapping[str, Any], field: str, where: str, required: bool = True) -> str:
    value = raw.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{field}: must be a non-empty text")
    return value.strip()


def _option(raw: Mapping[str, Any], where: str) -> Option:
    """One option: `key`, `label` and, for an option that stands alone ("I expect no
    resistance"), `exclusive = true`."""
    exclusive = raw.get("exclusive", False)
    if not isinstance(exclusive, bool):
        raise ContentError(f"{where}.exclusive: must be true or false")
    return Option(_str(raw, "key", where), _str(raw, "label", where), exclusive=exclusive)


def _exclusive_fits(options: tuple[Option, ...], max_choices: int, where: str) -> None:
    """An exclusive option only means something where several can be chosen; one per question."""
    exclusive = sum(o.exclusive for o in options)
    if exclusive and max_choices < 2:
        raise ContentError(f"{where}.options: 'exclusive' needs max_choices of 2 or more")
    if exclusive > 1:
        raise ContentError(f"{where}.options: at most one option can be exclusive")


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
        options = tuple(_option(o, f"{where}.options") for o in item.get("options", []))
        if kind is QuestionKind.CHOICE and len(options) < 2:
            raise ContentError(f"{where}.options: a choice question needs at least two options")
        max_choices = int(item.get("max_choices", 1))
        if not 1 <= max_choices <= max(1, len(options)):
            raise ContentError(f"{where}.max_choices: must be between 1 and the number of options")
        _exclusive_fits(options, max_choices, where)
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


# From which size a whole number gets its thousands separator: English writes 4,000; Dutch
# usually writes four digits without one (4000) and 100.000 with. Ids and years never get one.
GROUPED_FROM = {"en": 1_000, "nl": 10_000}
UNGROUPED = frozenset({"id", "year", "day", "n"})


class _LocalFormatter(string.Formatter):
    """Fills a text's placeholders the way its language writes them (Babel, CLDR data):

    - a whole number from 10,000 up gets the language's grouping (100.000 in Dutch);
    - `{count:colleague|colleagues}` picks the singular or plural form for `count` by the
      language's plural rules (`one|other`), so no text says "1 collega's".
    """

    def __init__(self, language: str) -> None:
        super().__init__()
        self.locale = Locale.parse(language)
        self.grouped_from = GROUPED_FROM.get(language, 1_000)

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec:
            one, _, other = format_spec.partition("|")
            if isinstance(value, int) and self.locale.plural_form(abs(value)) == "one":
                return one
            return other
        if isinstance(value, int) and not isinstance(value, bool) and not format_spec:
            grouped = abs(value) >= self.grouped_from
            return format_decimal(value, locale=self.locale) if grouped else str(value)
        return super().format_field(value, format_spec)


@cache
def _formatter(language: str) -> _LocalFormatter:
    return _LocalFormatter(language)


def fill(template: str, language: str, values: Mapping[str, object]) -> str:
    """`template` with its placeholders filled in for `language` (see `_LocalFormatter`);
    values are inserted as data, never parsed again."""
    return _formatter(language).vformat(template, (), ungrouped(values))


def ungrouped(values: Mapping[str, object]) -> Mapping[str, object]:
    """`values` with ids and years as plain digits (never "#1,234")."""
    if not UNGROUPED.intersection(values):
        return values
    plain = {k: str(v) if k in UNGROUPED and isinstance(v, int) else v for k, v in values.items()}
    if isinstance(values, _Strict):
        return _Strict(values.key, values.language, plain)
    return plain


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
        if not values:
            return template
        return fill(template, self.language, _Strict(key, self.language, values))

    def has(self, key: str) -> bool:
        return key in self._strings

    def keys(self) -> frozenset[str]:
        return frozenset(self._strings)

    def placeholders(self, key: str) -> frozenset[str]:
        """The `{name}`s a message uses."""
        return placeholders(self._strings[key])

    def words(self, key: str) -> tuple[str, ...]:
        """A message that is a list of words separated by `|` (command aliases)."""
        return tuple(w.strip().lower() for w in self(key).split("|") if w.strip())


class _Strict(dict[str, object]):
    def __init__(self, key: str, language: str, values: Mapping[str, object]) -> None:
        super().__init__(values)
        self.key = key
        self.language = language

    def __missing__(self, name: str) -> object:
        raise ContentError(
            _where(self.language, "messages", self.key) + f": unknown placeholder {{{name}}}"
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


def placeholders(text: str, where: str = "") -> frozenset[str]:
    """The `{name}`s a text uses; ContentError (naming `where`) for a malformed one."""
    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name]
    except ValueError as exc:
        raise ContentError(f"{where}: {exc}") from exc
    if any(not name.isidentifier() for name, _ in fields):
        raise ContentError(f"{where}: placeholders must look like {{name}}")
    for name, spec in fields:
        if spec and (spec.count("|") != 1 or not all(spec.split("|"))):
            raise ContentError(
                f"{where}: {{{name}:{spec}}}: a plural is written {{{name}:one|other}},"
                " e.g. {count:colleague|colleagues}"
            )
    return frozenset(name for name, _ in fields)


def parse_messages(language: str, raw: Mapping[str, Any]) -> Messages:
    flat: dict[str, str] = {}
    _flatten("", raw, flat, f"content/{language}/messages.toml")
    for key, template in flat.items():
        placeholders(template, _where(language, "messages", key))
    return Messages(language, flat)


def same_shape(questions: Mapping[str, tuple[Question, ...]], name: str = "questions") -> None:
    reference = questions["en"]
    for lang, qs in questions.items():
        if [q.id for q in qs] != [q.id for q in reference]:
            raise ContentError(_where(lang, name, "id") + ": ids differ from English")
        for mine, theirs in zip(qs, reference, strict=True):
            if [o.key for o in mine.options] != [o.key for o in theirs.options]:
                raise ContentError(
                    _where(lang, name, mine.id) + ": option keys differ from English"
                )
            if [o.exclusive for o in mine.options] != [o.exclusive for o in theirs.options]:
                raise ContentError(
                    _where(lang, name, mine.id) + ": exclusive options differ from English"
                )
            if (mine.kind, mine.max_choices, mine.asks_why) != (
                theirs.kind,
                theirs.max_choices,
                theirs.asks_why,
            ):
                raise ContentError(_where(lang, name, mine.id) + ": differs from English")
