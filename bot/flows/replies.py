"""Reading a short typed reply as a yes or a no: to forget-me's question, or to an offer of
more information made just before a question.

People answer such a question in their own words ("ja graag", "Yes please!", "ok", "nee dank
je") or type a button's text or number. Case and punctuation do not matter, and the words of
every language count (`words.yes`, `words.no`, `words.filler` in `messages.toml`), so a Dutch
"ja" works for someone who reads English. Anything mixed or unknown is neither: the caller asks
again rather than guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.loader import Messages

_APOSTROPHES = re.compile(r"['’`]")


def words_of(text: str) -> tuple[str, ...]:
    """The words of `text`: lower case, without punctuation ("Don't!" → ("dont",))."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _APOSTROPHES.sub("", folded)
    cleaned = "".join(ch if ch.isalnum() else " " for ch in folded)
    return tuple(cleaned.split())


def _entries(messages: Iterable[Messages], key: str) -> tuple[frozenset[str], frozenset[str]]:
    """The single words and the whole phrases of a `|`-separated word list, in every language."""
    single: set[str] = set()
    phrases: set[str] = set()
    for msgs in messages:
        for entry in msgs(key).split("|"):
            found = words_of(entry)
            if len(found) == 1:
                single.add(found[0])
            elif found:
                phrases.add(" ".join(found))
    return frozenset(single), frozenset(phrases)


@dataclass(frozen=True)
class YesNo:
    """The words that say yes or no to one kind of question."""

    yes: frozenset[str]  # a word that says yes on its own: "ja", "ok", (here) "wis"
    no: frozenset[str]  # a word that says no: "nee", "niet", (here) "bewaar"
    filler: frozenset[str]  # words that go with either: "graag", "please", "mijn"
    yes_phrases: frozenset[str] = frozenset()  # a whole reply that says yes: a button's text
    no_phrases: frozenset[str] = frozenset()
    # Words that only say yes for this question ("wis", "toon"): with a no they are what is
    # declined ("niet wissen"), so they may stand beside a no.
    acts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, messages: Iterable[Messages]) -> YesNo:
        """The plain yes and no of every language."""
        packs = tuple(messages)
        yes, yes_phrases = _entries(packs, "words.yes")
        no, no_phrases = _entries(packs, "words.no")
        filler, _ = _entries(packs, "words.filler")
        return cls(yes, no, filler, yes_phrases, no_phrases)

    def also(
        self,
        messages: Iterable[Messages],
        *,
        acts: str = "",
        keeps: str = "",
        yes: Iterable[str] = (),
        no: Iterable[str] = (),
    ) -> YesNo:
        """These words with those of one question: its action words (key `acts`), its words
        for keeping things as they are (key `keeps`), and replies that are its buttons (their
        labels and numbers)."""
        packs = tuple(messages)
        act_words, act_phrases = _entries(packs, acts) if acts else (frozenset(), frozenset())
        keep_words, keep_phrases = _entries(packs, keeps) if keeps else (frozenset(), frozenset())
        return YesNo(
            yes=self.yes,
            no=self.no | keep_words,
            filler=self.filler,
            yes_phrases=self.yes_phrases | act_phrases | _phrases(yes),
            no_phrases=self.no_phrases | keep_phrases | _phrases(no),
            acts=self.acts | act_words,
        )

    def read(self, text: str) -> bool | None:
        """True for a yes, False for a no, None for anything else (mixed, unknown, empty)."""
        found = words_of(text)
        if not found:
            return None
        whole = " ".join(found)
        if whole in self.no_phrases:
            return False
        if whole in self.yes_phrases:
            return True
        said = set(found)
        if said & self.no:
            # "nee", "niet wissen", "no thanks"; never with a plain yes ("ja, niet doen").
            allowed = self.no | self.acts | self.filler
            return False if said <= allowed else None
        if said & (self.yes | self.acts) and said <= self.yes | self.acts | self.filler:
            return True
        return None


def _phrases(replies: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(w) for r in replies if (w := words_of(r)))
