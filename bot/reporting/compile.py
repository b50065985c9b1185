"""Compiles a campaign's stored answers into a policy draft and keeps the files.

Used by the chat command `draft` and by `imvo-bot compile`: one path, so both give the same
files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.domain import Campaign, DraftFile
from bot.flows.services import Services
from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.docx import render_docx
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import PolicyDraft

FORMATS = ("docx", "md")
_MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}


@dataclass(frozen=True)
class CompiledDraft:
    draft: PolicyDraft
    files: tuple[DraftFile, ...]
    locations: tuple[str, ...]
    respondents: int


async def compile_draft(
    services: Services,
    campaign: Campaign,
    language: str,
    formats: Sequence[str] = FORMATS,
) -> CompiledDraft:
    """Builds the draft in `language`, renders the requested formats and saves them."""
    store = services.store
    answers = await store.answers(campaign.id)
    now = services.clock.now()
    pack = services.content.for_language(language)
    draft = build_draft(
        campaign=campaign,
        participants=await store.participants(campaign.id),
        answers=answers,
        owners=await store.theme_owners(),
        pack=pack,
        generated_at=now,
        anonymity_min=services.settings.anonymity_min,
        owner_answers=await store.owner_answers(),
    )
    stem = f"imvo-policy-draft-{campaign.id}-{language}-{now:%Y%m%d-%H%M%S}"
    files: list[DraftFile] = []
    for fmt in formats:
        if fmt == "docx":
            # Word rendering is CPU work: keep the event loop free for other people meanwhile.
            data = await asyncio.to_thread(render_docx, draft)
        else:
            data = render_markdown(draft, pack.draft_template).encode("utf-8")
        files.append(DraftFile(f"{stem}.{fmt}", _MEDIA_TYPES[fmt], data))
    locations = await services.sink.save(campaign.id, files)
    respondents = len({a.person for a in answers if a.has_content})
    return CompiledDraft(draft, tuple(files), locations, respondents)
