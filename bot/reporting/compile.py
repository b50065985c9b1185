"""Compiles a campaign's stored answers into a policy draft and keeps the files.

Used by the chat command `draft` and by `imvo-bot compile`: one path, so both give the same
files.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from bot.core.domain import Campaign, DraftFile
from bot.flows.services import Services
from bot.reporting.draft.builder import build_draft, snapshot
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
    stored: tuple[int, ...] = ()  # the files' ids in the store, in the same order


async def compile_draft(
    services: Services,
    campaign: Campaign,
    language: str,
    formats: Sequence[str] = FORMATS,
) -> CompiledDraft:
    """Builds the draft in `language`, renders the requested formats and saves them.

    The answers come aggregated from the store (`Store.tally`); building and rendering are CPU
    work and run on a worker thread, so the event loop keeps answering other people meanwhile.
    """
    store = services.store
    collected = await store.tally(campaign.id)
    owners = await store.theme_owners()
    owner_answers = await store.owner_answers()
    now = services.clock.now()
    pack = services.content.for_language(language)
    last = await store.last_draft_version(campaign.id)
    version, previous = (last[0] + 1, json.loads(last[1])) if last else (1, None)
    build = partial(
        build_draft,
        campaign=campaign,
        collected=collected,
        owners=owners,
        pack=pack,
        generated_at=now,
        anonymity_min=services.settings.anonymity_min,
        owner_answers=owner_answers,
        company=services.settings.company_name,
        version=version,
        previous=previous,
    )
    draft = await asyncio.to_thread(build)
    respondents = collected.respondents
    del collected, build  # the draft holds what it needs; the answers can go
    stem = f"imvo-policy-draft-{campaign.id}-{language}-{now:%Y%m%d-%H%M%S}"
    files: list[DraftFile] = []
    for fmt in formats:
        if fmt == "docx":
            data = await asyncio.to_thread(render_docx, draft)
        else:
            markdown = await asyncio.to_thread(render_markdown, draft, pack.draft_template)
            data = markdown.encode("utf-8")
        files.append(DraftFile(f"{stem}.{fmt}", _MEDIA_TYPES[fmt], data))
    await store.new_draft_version(campaign.id, now, json.dumps(snapshot(draft)))
    stored = await store.save_drafts(campaign.id, files, now)  # any replica can hand them out
    locations = await services.sink.save(campaign.id, files)  # the folder: an export
    return CompiledDraft(draft, tuple(files), locations, respondents, stored)
