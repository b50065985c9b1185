"""The one door to `content/`: `load_content` reads every file once, checks both languages
against each other, and gives a `Content` whose `for_language(lang)` is that language's `Pack`.

Nothing else in the core reads content files or keeps content in a process-wide cache: a test
or a company's own content (`IMVO_CONTENT_DIR`, see `Overlay`) replaces it by loading another
`Content`. A bad edit raises ContentError naming the file and key, so the bot refuses to start
rather than run half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.content.briefings import Briefings, load_briefings
from bot.content.digest_texts import DigestTexts, load_digest_texts
from bot.content.draft_texts import DraftTexts, load_draft_texts
from bot.content.loader import (
    ContentError,
    ContentRoot,
    Messages,
    Overlay,
    parse_messages,
    parse_questions,
    read_template,
    read_toml,
    same_shape,
)
from bot.content.pages import Page, load_pages
from bot.content.themes import ThemeText
from bot.core.domain import LANGUAGES, Question

DRAFT_TEMPLATE = "draft.md.j2"


@dataclass(frozen=True)
class Pack:
    """Everything the bot says and asks in one language."""

    language: str
    messages: Messages
    questions: tuple[Question, ...]
    owner_questions: tuple[Question, ...]
    draft: DraftTexts
    briefings: Briefings
    digest: DigestTexts
    draft_template: str
    # The privacy notice and terms of use, by name (`privacy`, `terms`): see bot.content.pages.
    pages: Mapping[str, Page]

    @property
    def themes(self) -> tuple[ThemeText, ...]:
        return self.draft.themes


@dataclass(frozen=True)
class Content:
    """All of `content/`, for both languages."""

    packs: Mapping[str, Pack]

    def for_language(self, language: str | None) -> Pack:
        """The pack of `language`; English for a language the bot does not speak."""
        return self.packs.get(language or "", self.packs["en"])

    @property
    def messages(self) -> Mapping[str, Messages]:
        """Every language's sentences (command words are looked up in all of them)."""
        return {lang: pack.messages for lang, pack in self.packs.items()}

    def messages_for(self, language: str) -> Messages:
        return self.for_language(language).messages

    def questions_for(self, language: str) -> tuple[Question, ...]:
        return self.for_language(language).questions

    def owner_questions_for(self, language: str) -> tuple[Question, ...]:
        return self.for_language(language).owner_questions


def load_content(root: ContentRoot = None) -> Content:
    """Loads and cross-checks every content file of both languages; raises ContentError naming
    the file and key at fault (and, under an overlay, the company's folder)."""
    try:
        return _load(root)
    except ContentError as exc:
        if isinstance(root, Overlay):
            raise ContentError(
                f"{exc} (IMVO_CONTENT_DIR={root.folder} over the shipped files)"
            ) from exc
        raise


def _load(root: ContentRoot) -> Content:
    questions = {
        lang: parse_questions(lang, read_toml(lang, "questions", root)) for lang in LANGUAGES
    }
    messages = {lang: parse_messages(lang, read_toml(lang, "messages", root)) for lang in LANGUAGES}
    owner_questions = {
        lang: parse_questions(lang, read_toml(lang, "owner_questions", root), "owner_questions")
        for lang in LANGUAGES
    }
    same_shape(questions)
    same_shape(owner_questions, "owner_questions")
    # The code fills in what the shipped English messages ask for; another placeholder in an
    # edited message would only fail when that message is said.
    shipped = parse_messages("en", read_toml("en", "messages", _shipped_root(root)))
    base_keys = messages["en"].keys()
    for lang, msgs in messages.items():
        missing = base_keys - msgs.keys()
        extra = msgs.keys() - base_keys
        if missing or extra:
            key = sorted(missing or extra)[0]
            raise ContentError(
                f"content/{lang}/messages.toml: {key}"
                + (": missing here but present in English" if missing else ": not in English")
            )
        for key in sorted(msgs.keys()):
            unknown = msgs.placeholders(key) - shipped.placeholders(key)
            if unknown:
                wanted = ", ".join(f"{{{n}}}" for n in sorted(shipped.placeholders(key)))
                raise ContentError(
                    f"content/{lang}/messages.toml: {key}: unknown placeholder"
                    f" {{{sorted(unknown)[0]}}}; this message can use: {wanted or 'none'}"
                )
    draft = load_draft_texts(root)
    briefings = load_briefings(root, questions)
    digest = load_digest_texts(root)
    template = read_template(DRAFT_TEMPLATE, root)
    pages = load_pages(root)
    packs = {
        lang: Pack(
            language=lang,
            messages=messages[lang],
            questions=questions[lang],
            owner_questions=owner_questions[lang],
            draft=draft[lang],
            briefings=briefings[lang],
            digest=digest[lang],
            draft_template=template,
            pages=pages[lang],
        )
        for lang in LANGUAGES
    }
    return Content(packs=packs)


def _shipped_root(root: ContentRoot) -> ContentRoot:
    return root.base if isinstance(root, Overlay) else root


def content_source(folder: Path | None) -> ContentRoot:
    """Where the bot reads its content: a company's folder over the shipped files, or just the
    shipped files."""
    return None if folder is None else Overlay(folder)


@cache
def shipped_content() -> Content:
    """The content that ships with the bot, loaded once: for tests and benchmarks that do not
    wire a composition root. The bot itself loads what its settings name (`load_content`)."""
    return load_content()
