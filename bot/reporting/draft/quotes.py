"""Choosing which of many colleagues' answers the draft quotes, and which answers mention a theme.

Both run over every free-text answer of a campaign, so they are written for speed: with 10,000
respondents there are some 80,000 texts. Quotes are picked without ever sorting all of them.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import compress, repeat
from operator import and_, itemgetter, or_

_WORD = re.compile(r"\w+")
# How many of the longest answers are looked at more closely before the best are chosen.
_CANDIDATES_PER_QUOTE = 4
_CHUNK = 20_000  # texts lower-cased and split at a time when looking for theme mentions


@dataclass(frozen=True)
class Selection:
    """The answers to quote as (text, source) pairs, best first, and how many were left out."""

    quotes: tuple[tuple[str, str], ...]
    more: int


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _substance(text: str) -> int:
    """How many different real words an answer has: "ok ok ok ok" counts as one."""
    return len({w for w in _WORD.findall(text.casefold()) if len(w) > 2})


def _rank(item: tuple[str, str]) -> tuple[int, int, str, str]:
    text = item[0]
    return (-_substance(text), -len(text), text, item[1])


def _length_then_text(item: tuple[str, str]) -> tuple[int, str, str]:
    return (len(item[0]), item[0], item[1])


def select_quotes(items: Sequence[tuple[str, str]], limit: int) -> Selection:
    """Picks at most `limit` of the (text, source) answers to quote, deterministically.

    Preference goes to longer answers with more different words; ties are broken by the text
    itself, so the same answers give the same draft whatever order they arrive in. Answers
    that say the same thing (ignoring case and spacing) are quoted once. `more` counts every
    answer not shown, duplicates included. Only the longest few are ranked closely, so the
    cost stays linear in the number of answers.
    """
    if limit <= 0 or not items:
        return Selection((), len(items))
    chosen: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in sorted(_candidates(items, limit), key=_rank):
        key = _normal(item[0])
        if key in seen:
            continue
        seen.add(key)
        chosen.append(item)
        if len(chosen) == limit:
            break
    return Selection(tuple(chosen), len(items) - len(chosen))


def _candidates(items: Sequence[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """The longest few items: every item at least as long as the pool's shortest one."""
    pool = max(limit * _CANDIDATES_PER_QUOTE, limit + 8)
    if len(items) <= pool:
        return list(items)
    lengths = list(map(len, map(itemgetter(0), items)))
    shortest = sorted(lengths)[-pool]
    found = list(compress(items, map(shortest.__le__, lengths)))
    if len(found) > 2 * pool:  # many answers of the same length: take the first by text
        found = heapq.nlargest(pool, found, key=_length_then_text)
    return found


# Word characters are ASCII letters, digits and "_" plus every non-ASCII byte (letters such as
# "é" or "ş" are multi-byte in UTF-8); every other ASCII byte separates words. NUL separates texts.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_TO_SPACE = bytes(b if b in _WORD_BYTES or b >= 0x80 or b == 0 else 0x20 for b in range(256))
# Typographic punctuation (U+2000-U+203F: dashes, quotes, ellipsis, bullets; and « » ¡ ¿ ·).
_TYPOGRAPHIC = (re.compile(rb"\xe2\x80[\x80-\xbf]"), re.compile(rb"\xc2[\xa1\xab\xb7\xbb\xbf]"))
_SPACES = re.compile(rb"  +")


def lowered_words(texts: Sequence[str], single_spaces: bool = True) -> list[bytes]:
    """Each text lower-cased as UTF-8 with punctuation turned into spaces, in one pass for all;
    words separated by exactly one space unless `single_spaces` is off (then split with
    `bytes.split()`)."""
    if not texts:
        return []
    corpus = "\0".join(texts)
    if corpus.count("\0") != len(texts) - 1:
        corpus = "\0".join(t.replace("\0", " ") for t in texts)
    # NFC first, so that "ë" typed as "e" plus a diaeresis still matches "chemicaliën".
    data = unicodedata.normalize("NFC", corpus).casefold().encode("utf-8", "replace")
    for pattern in _TYPOGRAPHIC:
        data = pattern.sub(b" ", data)
    # Words end up separated by exactly one space, so a phrase is found with `in`.
    data = data.translate(_TO_SPACE)
    return (_SPACES.sub(b" ", data) if single_spaces else data).split(b"\0")


class ThemeMatcher:
    """Finds which themes an answer mentions: a keyword as a whole word or a whole phrase.

    Matching ignores case, punctuation and spacing ("Living  Wage!" matches "living wage").
    All answers are lower-cased and split into words in a few passes over one joined string;
    each word is then looked up in a table of theme bits without running Python code per word,
    which keeps 80,000 answers well under a second.
    """

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        # Bits 0..n-1 stand for the themes; the bits above them for "a phrase starting with
        # this word may follow", one bit per distinct first word of a phrase.
        self._keys = tuple(keywords)
        self._theme_mask = (1 << len(self._keys)) - 1
        self._bits: dict[bytes, int] = {}
        self._phrases: dict[int, list[tuple[bytes, int]]] = {}
        starts: dict[bytes, int] = {}
        for index, words in enumerate(keywords.values()):
            bit = 1 << index
            for tokens in (k.split() for k in lowered_words(list(words))):
                if len(tokens) == 1:
                    self._bits[tokens[0]] = self._bits.get(tokens[0], 0) | bit
                elif tokens:
                    start = starts.setdefault(tokens[0], 1 << (len(self._keys) + len(starts)))
                    self._bits[tokens[0]] = self._bits.get(tokens[0], 0) | start
                    phrase = b" " + b" ".join(tokens) + b" "
                    self._phrases.setdefault(start, []).append((phrase, bit))

    def _masks(self, texts: Sequence[str]) -> list[int]:
        """The theme bits of each text: words are looked up without Python code per word.

        Texts are handled a chunk at a time: the lower-cased copies of 100,000 answers at once
        would cost several times the memory of the answers themselves."""
        masks: list[int] = []
        for start in range(0, len(texts), _CHUNK):
            masks += self._chunk_masks(texts[start : start + _CHUNK])
        return masks

    def _chunk_masks(self, texts: Sequence[str]) -> list[int]:
        records = lowered_words(texts)
        get = self._bits.get
        # The words of one text are split and dropped at once: keeping all of them alive
        # would cost far more memory than the texts themselves.
        masks = [reduce(or_, filter(None, map(get, r.split())), 0) for r in records]
        theme_mask = self._theme_mask
        for index, mask in enumerate(masks):
            if mask > theme_mask:  # a phrase may start in this text
                masks[index] = self._phrase_bits(records[index], mask)
        return masks

    def _phrase_bits(self, record: bytes, mask: int) -> int:
        padded = b" " + record + b" "
        starts = mask & ~self._theme_mask
        while starts:
            start = starts & -starts
            starts ^= start
            for phrase, bit in self._phrases[start]:
                if phrase in padded:
                    mask |= bit
        return mask & self._theme_mask

    def themes_in(self, text: str) -> set[str]:
        """The keys of the themes that `text` mentions (empty if none)."""
        mask = self._masks([text])[0]
        return {theme for index, theme in enumerate(self._keys) if mask >> index & 1}

    def mentions(self, items: Sequence[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
        """For each theme, the (text, source) items whose text mentions it, in their order."""
        masks = self._masks([text for text, _ in items])
        return {
            theme: list(compress(items, map(and_, masks, repeat(1 << index))))
            for index, theme in enumerate(self._keys)
        }
