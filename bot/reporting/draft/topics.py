"""Grouping colleagues' free-text answers into topics: the words that keep coming back.

A topic is one word, reduced to its stem by the Snowball stemmer of the answers' language
(Dutch "prijs" and "prijzen", English "price" and "prices" are one topic), that occurs in at
least `minimum` answers (the anonymity minimum: a topic never stands for fewer people). Stop
words (`content/<lang>/topics.toml`), words shorter than three letters and numbers are never a
topic. Each answer counts at most once per topic and may feed several topics; a topic whose
answers are mostly those of a bigger topic ("fair" beside "prices") is left out, so the topics
shown say different things. Each topic is named by the form its word most often takes in the
answers and quoted by one answer: the shortest one with some substance that fits the quote
length limit.

Built for many answers: the texts are lower-cased and split a chunk at a time in a few passes
over joined text (`lowered_words`), each distinct word is stemmed once, recurring words are
looked for in an evenly spread sample and counted exactly in all answers with a dictionary
lookup per word and no Python code per word: about 0.3 s per 100,000 answers. The same answers
always give the same topics; up to 5,000 answers (no sample) in whatever order they come.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import chain, compress, groupby, repeat
from operator import or_

from bot.reporting.draft.quotes import lowered_words

STEMMERS = {"nl": "dutch", "en": "english"}
MAX_TOPICS = 5  # topics shown per question
QUOTE_MAX_CHARS = 300  # a longer answer is only quoted, cut short, when no other one fits
MIN_WORD_CHARS = 3  # shorter words are never a topic
MIN_QUOTE_WORDS = 3  # a quote should say something: at least this many different real words
# A topic whose answers are for more than this share also a bigger topic's is left out.
OVERLAP = 0.5
_CANDIDATES_PER_TOPIC = 4  # recurring words looked at per topic shown
_QUOTE_POOL = 16  # shortest answers of a topic looked at closely for its quote
# Answers lower-cased at a time: small enough that the copies made while splitting stay below
# what the theme matching (`ThemeMatcher`) needs anyway: a few MB at 100,000 answers.
_CHUNK = 5_000
_SAMPLE = 5_000  # answers at most in which recurring words are looked for (then counted in all)
_NOT_LETTERS = bytes(
    0x20 if chr(b) in "0123456789_" else b for b in range(256)
)  # digits and "_" separate words too: numbers are never a topic
_REAL_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class Topic:
    """A recurring word: its commonest form in the answers, how many answers hold it, and the
    answer quoted for it."""

    label: str
    count: int
    quote: str


@dataclass(frozen=True)
class Topics:
    """The topics of one question's answers, biggest first, and how many answers there were."""

    topics: tuple[Topic, ...]
    answers: int

    @property
    def not_quoted(self) -> int:
        """How many answers the topics do not quote (each topic quotes a different one)."""
        return self.answers - len(self.topics)


class _Stems(dict[bytes, str | None]):
    """Each distinct word's stem, worked out once; None for a word that is never a topic."""

    def __init__(self, language: str, stopwords: Collection[str]) -> None:
        super().__init__()
        # Imported when first needed: the package loads all its 30-odd stemmers (about 3 MB),
        # which only a compile uses.
        import snowballstemmer

        self._stem = snowballstemmer.stemmer(STEMMERS.get(language, "english")).stemWord
        self._stop = frozenset(w.casefold() for w in stopwords)
        # A word whose stem is a stop word's stem is a stop word too ("zijn", "zijnde").
        self._stop_stems = frozenset(self._stem(w) for w in self._stop)

    def __missing__(self, word: bytes) -> str | None:
        text = word.decode("utf-8", "replace")
        stem: str | None = None
        if len(text) >= MIN_WORD_CHARS and text.isalpha() and text not in self._stop:
            stem = str(self._stem(text))
            if stem in self._stop_stems:
                stem = None
        self[word] = stem
        return stem


class _Bits(dict[bytes, int]):
    """Each distinct word's candidate bit (0 for none), worked out once from its stem."""

    def __init__(self, stems: _Stems, bits: dict[str, int]) -> None:
        super().__init__()
        self._stems, self._bits = stems, bits

    def __missing__(self, word: bytes) -> int:
        found = self[word] = self._bits.get(self._stems[word] or "", 0)
        return found


def _records(texts: Sequence[str]) -> Iterator[list[bytes]]:
    """The texts a chunk at a time, each lower-cased, as words separated by single spaces
    (digits count as spaces): the lower-cased copies of all answers at once would cost about
    as much memory as the answers themselves."""
    for start in range(0, len(texts), _CHUNK):
        chunk = lowered_words(texts[start : start + _CHUNK], single_spaces=False)
        yield list(map(bytes.translate, chunk, repeat(_NOT_LETTERS)))


def find_topics(
    texts: Sequence[str],
    language: str,
    stopwords: Collection[str],
    minimum: int,
    limit: int = MAX_TOPICS,
) -> Topics:
    """At most `limit` topics of `texts` (answers to one question, in `language`), each found in
    at least `minimum` answers (at least two); none when there are fewer answers than that."""
    threshold = max(minimum, 2)
    if len(texts) < threshold or limit <= 0:
        return Topics((), len(texts))
    # Which words come back, counted per answer in an evenly spread sample (all answers when
    # there are not many): without Python code per word or answer.
    sample = texts[:: -(-len(texts) // _SAMPLE)]
    spread: Counter[bytes] = Counter()
    for records in _records(sample):
        spread.update(chain.from_iterable(map(set, map(bytes.split, records))))
    stems = _Stems(language, stopwords)
    forms: dict[str, list[bytes]] = {}
    rough: Counter[str] = Counter()  # per stem, about the answers of the sample that hold it
    for word, seen in spread.items():
        stem = stems[word]
        if stem is not None:
            forms.setdefault(stem, []).append(word)
            rough[stem] += seen
    ranked = sorted(rough, key=lambda s: (-rough[s], s))
    # Then, exactly over every answer, which of the likeliest topics each answer holds.
    held = _Held(texts, stems, ranked[: limit * _CANDIDATES_PER_TOPIC])
    candidates = sorted(
        (s for s in held.bits if held.count(s) >= threshold),
        key=lambda s: (-held.count(s), s),
    )
    chosen = _distinct(candidates, held, limit)
    quotes = _quotes(texts, [held.members(s) for s in chosen])
    topics = tuple(
        Topic(_label(forms[stem], spread), held.count(stem), quote)
        for stem, quote in zip(chosen, quotes, strict=True)
    )
    return Topics(topics, len(texts))


class _Held:
    """Which candidate stems each answer holds, kept as groups of answers with the same ones.

    Each answer gets a bit mask of the candidates it holds (a dictionary lookup per word, no
    Python code per known word); answers are grouped by mask a chunk at a time, so counts and
    overlaps are worked out per distinct mask, not per answer."""

    def __init__(self, texts: Sequence[str], stems: _Stems, candidates: Sequence[str]) -> None:
        self.bits = {stem: 1 << index for index, stem in enumerate(candidates)}
        bit = _Bits(stems, self.bits).__getitem__
        self.groups: dict[int, list[int]] = {}
        start = 0
        for records in _records(texts):
            # Answers that read the same once lower-cased (and without numbers) are looked at once.
            distinct = list(dict.fromkeys(records))
            words = map(map, repeat(bit), map(bytes.split, distinct))
            found = map(reduce, repeat(or_), map(filter, repeat(None), words), repeat(0))
            masks = list(map(dict(zip(distinct, found, strict=True)).__getitem__, records))
            order = sorted(range(len(masks)), key=masks.__getitem__)
            for mask, group in groupby(order, key=masks.__getitem__):
                if mask:
                    self.groups.setdefault(mask, []).extend(map(start.__add__, group))
            start += len(records)
        self.sizes = {mask: len(group) for mask, group in self.groups.items()}
        self.counts = {stem: self.count(stem, stem) for stem in self.bits}

    def count(self, stem: str, *others: str) -> int:
        """How many answers hold `stem` (and every one of `others`)."""
        if not others:
            return self.counts[stem]
        flag = self.bits[stem]
        for other in others:
            flag |= self.bits[other]
        return sum(size for mask, size in self.sizes.items() if mask & flag == flag)

    def members(self, stem: str) -> list[int]:
        """The answers (by index) that hold `stem`, each once."""
        flag = self.bits[stem]
        return list(chain.from_iterable(g for mask, g in self.groups.items() if mask & flag))


def _label(forms: Collection[bytes], spread: Counter[bytes]) -> str:
    """A stem's commonest form in the answers (ties: the first alphabetically)."""
    return min(forms, key=lambda w: (-spread[w], w)).decode("utf-8", "replace")


def _distinct(candidates: Sequence[str], held: _Held, limit: int) -> list[str]:
    """The biggest candidates, leaving out one whose answers mostly belong to a bigger one."""
    chosen: list[str] = []
    for stem in candidates:
        mine = held.count(stem)
        if any(held.count(stem, bigger) > OVERLAP * mine for bigger in chosen):
            continue
        chosen.append(stem)
        if len(chosen) == limit:
            break
    return chosen


def _quotes(texts: Sequence[str], groups: Sequence[list[int]]) -> list[str]:
    """One answer per topic: among its shortest answers that fit the limit, the first with at
    least a few different real words; never the same answer for two topics."""
    ranks = [n if n <= QUOTE_MAX_CHARS else QUOTE_MAX_CHARS + n for n in map(len, texts)]
    taken: set[str] = set()
    chosen: list[str] = []
    for members in groups:
        pool = sorted(_shortest(members, ranks, texts), key=lambda t: (_thin(t), _rank(t), t))
        text = next((t for t in pool if _normal(t) not in taken), pool[0])
        taken.add(_normal(text))
        chosen.append(_shortened(text))
    return chosen


def _rank(text: str) -> int:
    """Shorter is better, but any answer within the quote length limit beats a longer one."""
    return len(text) if len(text) <= QUOTE_MAX_CHARS else QUOTE_MAX_CHARS + len(text)


def _shortest(members: list[int], ranks: list[int], texts: Sequence[str]) -> list[str]:
    """The few shortest answers (by rank), the same whatever order the answers came in: of the
    answers as long as the longest one taken, the first by text are taken."""
    if len(members) <= _QUOTE_POOL:
        return [texts[i] for i in members]
    of = ranks.__getitem__
    limit = max(heapq.nsmallest(_QUOTE_POOL, map(of, members)))
    shorter = [texts[i] for i in compress(members, map(limit.__gt__, map(of, members)))]
    tied = set(map(texts.__getitem__, compress(members, map(limit.__eq__, map(of, members)))))
    return shorter + heapq.nsmallest(_QUOTE_POOL - len(shorter), tied)


def _thin(text: str) -> bool:
    return len(set(_REAL_WORD.findall(text.casefold()))) < MIN_QUOTE_WORDS


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _shortened(text: str) -> str:
    """The answer itself, or its start up to the quote length limit, cut at a word, with "…"."""
    text = text.strip()
    if len(text) <= QUOTE_MAX_CHARS:
        return text
    cut = text[:QUOTE_MAX_CHARS].rsplit(None, 1)[0]
    return cut.rstrip(" ,;:.-") + " …"
