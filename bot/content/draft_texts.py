"""The draft's texts: `content/<lang>/draft.toml` and `themes.toml`, typed and checked.

Every heading, label and policy sentence of the draft lives in those files, so a CSR lead can
edit them. This module turns them into frozen values and refuses incomplete content with a
ContentError that names the file and key at fault. Both languages must have the same keys,
the same placeholders and the nine themes in the contract's order.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.content.loader import ContentError, ContentRoot, fill, placeholders, read_toml
from bot.content.themes import (
    Instrument,
    ThemeText,
    parse_instruments,
    parse_themes,
    same_commitments,
)
from bot.core.domain import LANGUAGES

ILO_CODES: frozenset[str] = frozenset(
    {"C29", "C87", "C98", "C100", "C105", "C111", "C138", "C155", "C182", "C187"}
)

# Sections of the draft; the number is how many `items` a section must have (None: no list,
# 0: any non-empty list).
SECTIONS: Mapping[str, int | None] = MappingProxyType(
    {
        "intro": None,
        "mission": None,
        "principles": 0,
        "frameworks": 0,
        "ilo": None,
        "scope": 0,
        "subcontracting": 0,
        "due_diligence": 6,
        "purchasing": 5,
        "legislation": None,
        "themes": None,
        "grievance": 0,
        "governance": 0,
        "signoff": None,
        "annex": None,
        "open_items": None,
    }
)

# Labels and the placeholders each one must use (exactly these).
LABELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "intro_figures": frozenset({"responded", "invited", "completed"}),
        "colleagues_said": frozenset(),
        "no_answers": frozenset(),
        "more_answers": frozenset({"count"}),
        "references_title": frozenset(),
        "references_intro": frozenset(),
        "one_more_answer": frozenset(),
        "theme_owner": frozenset({"owner"}),
        "no_owner": frozenset(),
        "proposed_owner": frozenset({"name"}),
        "owner_unnamed": frozenset(),
        "theme_references": frozenset(),
        "theme_meaning": frozenset(),
        "theme_risk": frozenset(),
        "theme_instruments": frozenset(),
        "version": frozenset({"n"}),
        "changes_first": frozenset(),
        "changes": frozenset({"previous", "respondents", "owners", "closed", "added"}),
        "open_fill_mission": frozenset({"chapter"}),
        "open_check_purchasing": frozenset({"chapter"}),
        "open_fill_grievance": frozenset({"chapter"}),
        "open_fill_governance": frozenset({"chapter"}),
        "open_silent": frozenset({"count", "invited"}),
        "open_unmentioned": frozenset({"themes", "chapter"}),
        "references_frameworks": frozenset(),
        "references_ilo": frozenset(),
        "references_guidance": frozenset(),
        "references_codes": frozenset(),
        "references_laws": frozenset(),
        # The chapter on laws and rules (bot.reporting.draft.legislation).
        "legislation_source": frozenset({"source"}),
        "legislation_named": frozenset({"count", "answered"}),
        "legislation_not_named": frozenset({"answered"}),
        "legislation_as_of": frozenset({"as_of"}),
        "plan_title": frozenset(),
        "plan_intro": frozenset(),
        "plan_theme": frozenset(),
        "plan_owner": frozenset(),
        "plan_first_step": frozenset(),
        "plan_information": frozenset(),
        "plan_involve": frozenset(),
        "plan_by_when": frozenset(),
        "plan_note": frozenset(),
        "plan_targets_title": frozenset(),
        "plan_targets_intro": frozenset(),
        "plan_indicator": frozenset(),
        "plan_baseline": frozenset(),
        "plan_target": frozenset(),
        "plan_targets_note": frozenset(),
        "theme_not_mentioned": frozenset(),
        "theme_owner_only": frozenset(),
        "ilo_category": frozenset(),
        "ilo_code": frozenset(),
        "ilo_name": frozenset(),
        "ilo_year": frozenset(),
        "signoff_name": frozenset(),
        "signoff_role": frozenset(),
        "signoff_date": frozenset(),
        "signoff_signature": frozenset(),
        "participation": frozenset(),
        "participation_total": frozenset({"count"}),
        "rest": frozenset(),
        "withheld": frozenset({"min", "count"}),
        "chart_participation": frozenset(),
        "chart_axis": frozenset(),
        "discipline": frozenset(),
        "respondents": frozenset(),
        "share": frozenset(),
        "total": frozenset(),
        "merged_group": frozenset(),
        "unknown_discipline": frozenset(),
        "anonymity_note": frozenset({"min"}),
        "option": frozenset(),
        "count": frozenset(),
        "share_answered": frozenset(),
        "all_respondents": frozenset({"count"}),
        "group": frozenset({"group", "count"}),
        "why": frozenset(),
        "open_skipped": frozenset({"questions"}),
        "open_skipped_one": frozenset({"question", "count"}),
        "annex_spreadsheet": frozenset({"file"}),
        "open_unanswered": frozenset({"question"}),
        "open_unowned": frozenset({"theme"}),
        "open_unowned_candidates": frozenset({"theme", "disciplines"}),
        "owner_says": frozenset(),
        "owner_question": frozenset(),
        "owner_answer": frozenset(),
        "owner_says_one": frozenset({"question", "answer"}),
        "open_proposed": frozenset({"theme", "name"}),
        "open_unheard": frozenset({"disciplines"}),
        "open_signoff": frozenset(),
        "open_pending": frozenset({"version", "names"}),
        "open_changes": frozenset({"version", "said"}),
        "open_changes_one": frozenset({"name", "comment"}),
        "open_reapprove": frozenset({"version", "names"}),
        "signoff_in_chat": frozenset({"version"}),
        "open_none": frozenset(),
        "file_name": frozenset(),
        # Free-text answers grouped into topics (bot.reporting.draft.topics).
        "topics_intro": frozenset({"min"}),
        "topic": frozenset({"topic", "count", "total"}),
        "topics_none": frozenset({"min"}),
        "topics_too_few": frozenset({"count", "min"}),
        "topics_not_shown": frozenset({"count", "total", "file"}),
        "topics_not_shown_here": frozenset({"count", "total"}),
    }
)

# The start of the draft's file names (`imvo-beleid` in `imvo-beleid-v3-nl-<time>.docx`): a
# plain, portable name, so the files can be kept and sent anywhere.
FILE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

TITLE_PAGE: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "title": frozenset(),
        "subtitle": frozenset(),
        "campaign": frozenset({"id", "date"}),
        "date": frozenset({"date"}),
        "invited": frozenset(),
        "responded": frozenset(),
        "completed": frozenset(),
        "response_rate": frozenset(),
        "header": frozenset(),
        "footer": frozenset({"page", "pages"}),
        "contents": frozenset(),
        "contents_hint": frozenset(),
        "note_author": frozenset(),
        "note_label": frozenset(),
    }
)

# The answers workbook (bot.reporting.spreadsheet): its read-me sheet and column headings.
SPREADSHEET: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "sheet_name": frozenset(),
        "title": frozenset({"id"}),
        "campaign": frozenset(),
        "made": frozenset(),
        "respondents": frozenset(),
        "anonymity_label": frozenset(),
        "anonymity": frozenset({"min"}),
        "order_label": frozenset(),
        "order": frozenset(),
        "long": frozenset(),
        "too_few": frozenset({"count", "min"}),
        "answer": frozenset(),
        "own_words": frozenset(),
        "discipline": frozenset(),
        "date": frozenset(),
    }
)

ILO_CATEGORIES: tuple[str, ...] = (
    "freedom_of_association",
    "forced_labour",
    "child_labour",
    "discrimination",
    "safety_health",
)


@dataclass(frozen=True)
class SectionText:
    """One section of the policy: its heading, what the policy says, and a hint for the lead."""

    heading: str
    text: str
    note: str
    items: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class IloConvention:
    """One fundamental ILO convention as listed in the frameworks table."""

    code: str
    category: str
    name: str
    year: str


@dataclass(frozen=True)
class DraftTexts:
    """Everything the draft says in one language."""

    language: str
    months: tuple[str, ...]
    date_format: str
    percent_format: str
    title_page: Mapping[str, str]
    sections: Mapping[str, SectionText]
    labels: Mapping[str, str]
    ilo_categories: Mapping[str, str]
    ilo_conventions: tuple[IloConvention, ...]
    themes: tuple[ThemeText, ...]
    # Every instrument the draft can cite (instruments.toml), for the References chapter.
    instruments: tuple[Instrument, ...] = ()
    # The answers workbook's words (`[spreadsheet]`).
    spreadsheet: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Words that never make a topic of colleagues' free-text answers (`topics.toml`).
    stopwords: frozenset[str] = frozenset()

    def label(self, key: str, /, **values: object) -> str:
        """A label with its `{placeholders}` filled in; values are inserted as plain data."""
        return fill(self.labels[key], self.language, values) if values else self.labels[key]

    def title(self, key: str, /, **values: object) -> str:
        """A title-page text with its placeholders filled in."""
        template = self.title_page[key]
        return fill(template, self.language, values) if values else template

    def sheet(self, key: str, /, **values: object) -> str:
        """A text of the answers workbook with its placeholders filled in."""
        template = self.spreadsheet[key]
        return fill(template, self.language, values) if values else template

    def section(self, key: str) -> SectionText:
        return self.sections[key]

    def theme(self, key: str) -> ThemeText:
        return next(t for t in self.themes if t.key == key)

    def format_date(self, day: int, month: int, year: int) -> str:
        return self.date_format.format(day=day, month=self.months[month - 1], year=year)

    def percent(self, value: int) -> str:
        return self.percent_format.format(value=value)

    def number(self, value: int) -> str:
        """A count the way the language writes it (Dutch 12.500, English 12,500)."""
        return fill("{count}", self.language, {"count": value})


def _at(where: str, key: str) -> str:
    """`where` names a file ("content/nl/draft.toml: ") or a key in it; adds `key` to it."""
    return f"{where}{key}" if where.endswith(": ") else f"{where}.{key}"


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{_at(where, key)}: must be a non-empty text")
    return " ".join(value.split())


def _texts(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise ContentError(f"{_at(where, key)}: must be a non-empty list of texts")
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"{_at(where, key)}[{index}]: must be a non-empty text")
        out.append(" ".join(item.split()))
    return tuple(out)


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ContentError(f"{_at(where, key)}: table is missing")
    return value


def _checked(
    raw: Mapping[str, Any], spec: Mapping[str, frozenset[str]], where: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, expected in spec.items():
        text = _text(raw, key, where)
        found = placeholders(text, _at(where, key))
        if found != expected:
            wanted = ", ".join(f"{{{n}}}" for n in sorted(expected)) or "none"
            raise ContentError(f"{_at(where, key)}: placeholders must be exactly: {wanted}")
        out[key] = text
    return out


def _section(raw: Mapping[str, Any], key: str, items: int | None, where: str) -> SectionText:
    table = _table(raw, key, where)
    here = _at(where, key)
    listed: tuple[str, ...] = ()
    if items is not None:
        listed = _texts(table, "items", here)
        if items and len(listed) != items:
            raise ContentError(f"{here}.items: must have exactly {items} entries")
    extra = {
        k: _text(table, k, here) for k in table if k not in {"heading", "text", "note", "items"}
    }
    return SectionText(
        heading=_text(table, "heading", here),
        text=_text(table, "text", here),
        note=_text(table, "note", here),
        items=listed,
        extra=MappingProxyType(extra),
    )


def parse_draft(language: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checks a parsed `draft.toml` and returns the parts DraftTexts is made of."""
    where = f"content/{language}/draft.toml: "
    fmt = _table(raw, "format", where)
    months = _texts(fmt, "months", where + "format")
    if len(months) != 12:
        raise ContentError(where + "format.months: must name the twelve months")
    date_format = _checked(fmt, {"date": frozenset({"day", "month", "year"})}, where + "format")
    percent = _checked(fmt, {"percent": frozenset({"value"})}, where + "format")
    title_page = _checked(_table(raw, "title_page", where), TITLE_PAGE, where + "title_page")
    sections_raw = _table(raw, "section", where)
    sections = {k: _section(sections_raw, k, n, where + "section") for k, n in SECTIONS.items()}
    _text(sections_raw["ilo"], "protocol", where + "section.ilo")
    labels = _checked(_table(raw, "labels", where), LABELS, where + "labels")
    if not FILE_NAME.fullmatch(labels["file_name"]):
        raise ContentError(
            where + "labels.file_name: must be lower-case letters and digits joined by hyphens"
        )
    sheet = _checked(_table(raw, "spreadsheet", where), SPREADSHEET, where + "spreadsheet")
    ilo = _table(raw, "ilo", where)
    categories_raw = _table(ilo, "category", where + "ilo")
    categories = {k: _text(categories_raw, k, where + "ilo.category") for k in ILO_CATEGORIES}
    conventions: list[IloConvention] = []
    for index, item in enumerate(ilo.get("convention", [])):
        here = f"{where}ilo.convention[{index}]"
        if not isinstance(item, dict):
            raise ContentError(f"{here}: must be a table")
        conv = IloConvention(*(_text(item, k, here) for k in ("code", "category", "name", "year")))
        if conv.category not in categories:
            raise ContentError(f"{here}.category: unknown category {conv.category!r}")
        conventions.append(conv)
    codes = [c.code for c in conventions]
    if sorted(codes) != sorted(ILO_CODES):
        raise ContentError(
            where + "ilo.convention: must list exactly the ten fundamental conventions"
        )
    return {
        "months": months,
        "date_format": date_format["date"],
        "percent_format": percent["percent"],
        "title_page": MappingProxyType(title_page),
        "sections": MappingProxyType(sections),
        "labels": MappingProxyType(labels),
        "spreadsheet": MappingProxyType(sheet),
        "ilo_categories": MappingProxyType(categories),
        "ilo_conventions": tuple(conventions),
    }


def parse_stopwords(language: str, raw: Mapping[str, Any]) -> frozenset[str]:
    """The stop words of `topics.toml`: a non-empty list of single lower-case words."""
    where = f"content/{language}/topics.toml: "
    words = _texts(raw, "stopwords", where)
    for index, word in enumerate(words):
        if word != word.casefold() or len(word.split()) != 1:
            raise ContentError(f"{where}stopwords[{index}]: must be one word in lower case")
    return frozenset(words)


def _shape(value: Any) -> Any:
    """The structure of parsed TOML without its texts: what both languages must share."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str):
        try:
            return sorted({n for _, n, _, _ in string.Formatter().parse(value) if n})
        except ValueError:
            return "?"
    return type(value).__name__


def _first_difference(a: Any, b: Any, path: str, lists: bool) -> str | None:
    """The first key path where two shapes differ; `lists=False` lets list lengths differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}".lstrip(".")
            found = _first_difference(a[key], b[key], f"{path}.{key}", lists)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if not lists:
            return None
        if len(a) != len(b):
            return path.lstrip(".") + " (number of entries)"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{index}]", lists)
            if found:
                return found
        return None
    return None if a == b else path.lstrip(".")


def load_draft_texts(root: ContentRoot = None) -> Mapping[str, DraftTexts]:
    """Loads and cross-checks the draft texts of both languages; ContentError names file and key."""
    raws = {
        lang: (read_toml(lang, "draft", root), read_toml(lang, "themes", root))
        for lang in LANGUAGES
    }
    registries = {lang: read_toml(lang, "instruments", root) for lang in LANGUAGES}
    out: dict[str, DraftTexts] = {}
    for lang, (draft_raw, themes_raw) in raws.items():
        instruments = parse_instruments(lang, registries[lang])
        out[lang] = DraftTexts(
            language=lang,
            themes=parse_themes(lang, themes_raw, instruments),
            instruments=tuple(instruments.values()),
            stopwords=parse_stopwords(lang, read_toml(lang, "topics", root)),
            **parse_draft(lang, draft_raw),
        )
    same_commitments({lang: texts.themes for lang, texts in out.items()})
    if list(registries["nl"].get("instrument", {})) != list(registries["en"]["instrument"]):
        raise ContentError("content/nl/instruments.toml: instrument: ids differ from English")
    base_draft, base_themes = raws["en"]
    for lang, (draft_raw, themes_raw) in raws.items():
        # Keyword and instrument lists of a theme may differ in length between languages.
        pairs = (("draft", draft_raw, base_draft, True), ("themes", themes_raw, base_themes, False))
        for name, mine, theirs, lists in pairs:
            diff = _first_difference(_shape(mine), _shape(theirs), "", lists)
            if diff:
                raise ContentError(f"content/{lang}/{name}.toml: {diff}: differs from English")
        mine_codes = [(c.code, c.category) for c in out[lang].ilo_conventions]
        if mine_codes != [(c.code, c.category) for c in out["en"].ilo_conventions]:
            raise ContentError(f"content/{lang}/draft.toml: ilo.convention: differs from English")
    return MappingProxyType(out)
