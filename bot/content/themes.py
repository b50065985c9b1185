"""The nine themes and the instruments they refer to: `content/<lang>/themes.toml` and
`content/<lang>/instruments.toml`, typed and checked.

One source serves the chat (`guidance`) and the policy draft alike, so editing a theme changes
both. A reference names an instrument by id; an unknown id is refused with the file and key.

Each theme also holds its menu of commitments (`[[theme.<key>.commitments]]`): 5 to 8 items an
owner can choose from, each a commitment in policy voice with a stable kebab-case key, a level
(basic or further) and the standard clause it implements. A decision stores the theme key and
the commitment key, never the wording, so both keys must stay the same across edits and
languages (`same_commitments`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bot.content.loader import ContentError

THEME_KEYS: tuple[str, ...] = (
    "discrimination-gender",
    "child-labour",
    "forced-labour",
    "freedom-of-association",
    "living-wage",
    "health-safety",
    "raw-materials",
    "water-chemicals-energy",
    "animal-welfare",
)

# The Dutch aliases of CONTRACT.md; theme names and numbers 1-9 work as well.
THEME_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "discriminatie": "discrimination-gender",
        "kinderarbeid": "child-labour",
        "gedwongen-arbeid": "forced-labour",
        "vakvereniging": "freedom-of-association",
        "leefbaar-loon": "living-wage",
        "veilig-gezond": "health-safety",
        "grondstoffen": "raw-materials",
        "water-chemicalien-energie": "water-chemicals-energy",
        "dierenwelzijn": "animal-welfare",
    }
)

# The example codes of conduct every theme maps to a clause of (instrument ids).
CODES: tuple[str, ...] = ("eti", "fairwear", "amfori", "sa8000")
# Instruments every reference list names besides the theme's own.
FRAMEWORKS: tuple[str, ...] = ("oecd-guidelines", "ungps")
INSTRUMENT_KINDS = frozenset({"ilo", "oecd", "un", "code", "eu", "nl", "other"})

# A theme's menu of commitments: how many items, which levels, how a key and a policy look.
COMMITMENTS_MIN, COMMITMENTS_MAX = 5, 8
COMMITMENT_LEVELS: tuple[str, ...] = ("basic", "further")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The first word of a commitment in policy voice ("Wij ...", "We ..."), per language.
POLICY_VOICE: Mapping[str, str] = MappingProxyType({"nl": "Wij", "en": "We"})


@dataclass(frozen=True)
class Instrument:
    """An international instrument, code or law a theme can refer to."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class ThemeReferences:
    """The exact instruments of a theme: conventions and guidance, the OECD chapter, the UNGPs,
    and the clause of each example code that covers it."""

    instruments: tuple[Instrument, ...]
    oecd: tuple[Instrument, str]
    ungps: tuple[Instrument, str]
    codes: tuple[tuple[Instrument, str], ...]

    def lines(self) -> tuple[str, ...]:
        """The references as lines for a list: instruments first, then frameworks and codes."""
        named = [
            f"{source.name}: {detail}" for source, detail in (self.oecd, self.ungps, *self.codes)
        ]
        return (*(i.name for i in self.instruments), *named)

    def compact(self, instruments_label: str) -> tuple[str, ...]:
        """The references in a few lines: the conventions and guidance on one line (after
        `instruments_label`), then one line for the OECD Guidelines, the UNGPs and each code."""
        named = [
            f"{source.name}: {detail}" for source, detail in (self.oecd, self.ungps, *self.codes)
        ]
        named_ids = {self.oecd[0].id, self.ungps[0].id} | {code.id for code, _ in self.codes}
        # An instrument that has a line of its own is not listed again (each once).
        listed = "; ".join(i.name for i in self.instruments if i.id not in named_ids)
        return ((f"{instruments_label}: {listed}",) if listed else ()) + tuple(named)


@dataclass(frozen=True)
class Commitment:
    """One item of a theme's menu of commitments. `key` is stable (kebab-case, unique within the
    theme, the same in every language): a decision refers to (theme key, commitment key).
    `level` is "basic" (what every company in the sector should commit to) or "further";
    `policy` is the sentence the policy adopts, in policy voice; `clause` names the standard
    clause, convention or guidance module it implements."""

    key: str
    level: str
    policy: str
    clause: str


@dataclass(frozen=True)
class ThemeText:
    """One of the nine themes: what it is, the policy principle and commitments (`examples`, in
    the "we" form the draft adopts), the typical risk, references."""

    key: str
    name: str
    summary: str
    principle: str
    examples: tuple[str, ...]
    risk: str
    references: ThemeReferences
    keywords: tuple[str, ...]
    # Poll discipline keys whose colleagues are natural candidates to own the theme.
    disciplines: tuple[str, ...] = ()
    # The word a reader of this language types for the theme (`guidance kinderarbeid`): the
    # Dutch alias in Dutch, the key in English. Both work everywhere (`find_theme`).
    word: str = ""
    # The menu an owner chooses from (`Commitment`), in the order of the file.
    commitments: tuple[Commitment, ...] = ()

    def commitment(self, key: str) -> Commitment | None:
        """The menu item with `key`, or None (a stored choice whose item was removed)."""
        return next((c for c in self.commitments if c.key == key), None)

    @property
    def instruments(self) -> tuple[str, ...]:
        """The reference list as the draft prints it."""
        return self.references.lines()


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{key}: must be a non-empty text")
    return " ".join(value.split())


def _texts(raw: Mapping[str, Any], key: str, where: str, minimum: int = 1) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or len(value) < minimum:
        raise ContentError(f"{where}.{key}: must be a list of at least {minimum} texts")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{where}.{key}: every item must be a non-empty text")
    return tuple(" ".join(v.split()) for v in value)


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ContentError(f"{where}.{key}: missing")
    return value


def parse_instruments(language: str, raw: Mapping[str, Any]) -> Mapping[str, Instrument]:
    """Checks a parsed `instruments.toml`; the frameworks and the four codes must be there."""
    where = f"content/{language}/instruments.toml: instrument"
    table = raw.get("instrument")
    if not isinstance(table, dict) or not table:
        raise ContentError(f"{where}: no instruments")
    found: dict[str, Instrument] = {}
    for key, item in table.items():
        here = f"{where}.{key}"
        if not isinstance(item, dict):
            raise ContentError(f"{here}: must be a table with name and kind")
        kind = _text(item, "kind", here)
        if kind not in INSTRUMENT_KINDS:
            raise ContentError(f"{here}.kind: must be one of {', '.join(sorted(INSTRUMENT_KINDS))}")
        found[key] = Instrument(key, _text(item, "name", here), kind)
    for needed in (*FRAMEWORKS, *CODES):
        if needed not in found:
            raise ContentError(f"{where}.{needed}: missing")
    return MappingProxyType(found)


def _known(instruments: Mapping[str, Instrument], ident: object, where: str) -> Instrument:
    if not isinstance(ident, str) or ident not in instruments:
        raise ContentError(f"{where}: {ident!r} is not an instrument in instruments.toml")
    return instruments[ident]


def _references(
    raw: Mapping[str, Any], where: str, instruments: Mapping[str, Instrument]
) -> ThemeReferences:
    refs = _table(raw, "references", where)
    here = f"{where}.references"
    ids = refs.get("instruments")
    if not isinstance(ids, list) or not ids:
        raise ContentError(f"{here}.instruments: must list at least one instrument id")
    own = tuple(_known(instruments, i, f"{here}.instruments") for i in ids)
    return ThemeReferences(
        instruments=own,
        oecd=(instruments["oecd-guidelines"], _text(refs, "oecd", here)),
        ungps=(instruments["ungps"], _text(refs, "ungps", here)),
        codes=tuple((instruments[code], _text(refs, code, here)) for code in CODES),
    )


def _commitment(raw: object, where: str, language: str) -> Commitment:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: must be a table with key, level, policy and clause")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEBAB.match(key):
        raise ContentError(f"{where}.key: must be a kebab-case key such as 'no-recruitment-fees'")
    here = f"{where.rsplit('[', 1)[0]}.{key}"
    level = _text(raw, "level", here)
    if level not in COMMITMENT_LEVELS:
        raise ContentError(f"{here}.level: must be one of {', '.join(COMMITMENT_LEVELS)}")
    policy = _text(raw, "policy", here)
    voice = POLICY_VOICE.get(language)
    if voice and policy.split(" ", 1)[0] != voice:
        raise ContentError(f'{here}.policy: must be a commitment in policy voice, "{voice} ..."')
    return Commitment(key, level, policy, _text(raw, "clause", here))


def _commitments(raw: Mapping[str, Any], where: str, language: str) -> tuple[Commitment, ...]:
    """A theme's menu: 5-8 items, unique keys, both levels present."""
    here = f"{where}.commitments"
    items = raw.get("commitments")
    if not isinstance(items, list) or not COMMITMENTS_MIN <= len(items) <= COMMITMENTS_MAX:
        count = len(items) if isinstance(items, list) else 0
        raise ContentError(
            f"{here}: must list {COMMITMENTS_MIN} to {COMMITMENTS_MAX} commitments "
            f"([[theme.<key>.commitments]]), found {count}"
        )
    menu = tuple(_commitment(item, f"{here}[{i}]", language) for i, item in enumerate(items))
    seen: set[str] = set()
    for item in menu:
        if item.key in seen:
            raise ContentError(f"{here}.{item.key}: key appears twice in this theme")
        seen.add(item.key)
    missing = [level for level in COMMITMENT_LEVELS if all(c.level != level for c in menu)]
    if missing:
        raise ContentError(f"{here}: needs at least one commitment of level {missing[0]!r}")
    return menu


def same_commitments(themes: Mapping[str, Sequence[ThemeText]]) -> None:
    """Every language offers the same menu: the same commitment keys, in the same order, with
    the same level (a stored choice means the same item whichever language shows it)."""
    reference = {t.key: t for t in themes["en"]}
    for lang, mine in themes.items():
        for theme in mine:
            theirs = reference[theme.key]
            here = f"content/{lang}/themes.toml: theme.{theme.key}.commitments"
            keys = [c.key for c in theme.commitments]
            other = [c.key for c in theirs.commitments]
            if keys != other:
                # The first key that differs, or the first one only one language has.
                odd = next((a for a, b in zip(keys, other, strict=False) if a != b), None)
                odd = odd or (keys[len(other) :] or other[len(keys) :])[0]
                raise ContentError(f"{here}.{odd}: keys or their order differ from English")
            for a, b in zip(theme.commitments, theirs.commitments, strict=True):
                if a.level != b.level:
                    raise ContentError(f"{here}.{a.key}.level: differs from English")


def parse_themes(
    language: str, raw: Mapping[str, Any], instruments: Mapping[str, Instrument]
) -> tuple[ThemeText, ...]:
    """Checks a parsed `themes.toml`: the nine contract keys in order, every part present."""
    where = f"content/{language}/themes.toml: theme"
    table = raw.get("theme")
    if not isinstance(table, dict):
        raise ContentError(f"{where}: missing")
    if tuple(table) != THEME_KEYS:
        missing = [k for k in THEME_KEYS if k not in table]
        detail = f"{missing[0]} is missing" if missing else "keys or order differ from the contract"
        raise ContentError(f"{where}: {detail}")
    themes: list[ThemeText] = []
    for key in THEME_KEYS:
        here = f"{where}.{key}"
        item = _table(table, key, where)
        keywords = _texts(item, "keywords", here)
        if any(k != k.lower() for k in keywords):
            raise ContentError(f"{here}.keywords: must be lowercase")
        themes.append(
            ThemeText(
                key=key,
                name=_text(item, "name", here),
                summary=_text(item, "summary", here),
                principle=_text(item, "principle", here),
                examples=_texts(item, "examples", here, minimum=2),
                risk=_text(item, "risk", here),
                references=_references(item, here, instruments),
                keywords=keywords,
                disciplines=_texts(item, "disciplines", here),
                word=theme_word(key, language),
                commitments=_commitments(item, here, language),
            )
        )
    return tuple(themes)


def theme_word(key: str, language: str) -> str:
    """The word for theme `key` that a reader of `language` types and sees: the Dutch alias for
    Dutch readers (never an English key first), the key itself otherwise."""
    if language == "nl":
        return next(alias for alias, k in THEME_ALIASES.items() if k == key)
    return key


def find_theme(word: str, themes: Sequence[ThemeText]) -> ThemeText | None:
    """A theme by key, Dutch alias, name (either language's, as given) or number 1-9."""
    wanted = word.strip().lower()
    key = THEME_ALIASES.get(wanted, wanted)
    if wanted.isdigit() and 1 <= int(wanted) <= len(themes):
        return themes[int(wanted) - 1]
    for theme in themes:
        if key in (theme.key, theme.name.lower(), theme.name.lower().replace(" ", "-")):
            return theme
    return None
