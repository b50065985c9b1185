"""The shipped content's language packs, for tests that build drafts, digests and guidance
without a composition root."""

from __future__ import annotations

from bot.content.briefings import Briefings
from bot.content.digest_texts import DigestTexts
from bot.content.draft_texts import DraftTexts
from bot.content.library import Pack, shipped_content


def pack(language: str) -> Pack:
    return shipped_content().for_language(language)


def draft_texts(language: str) -> DraftTexts:
    return pack(language).draft


def digest_texts(language: str) -> DigestTexts:
    return pack(language).digest


def briefings(language: str) -> Briefings:
    return pack(language).briefings
