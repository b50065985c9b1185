"""Compiles a campaign's stored answers into a policy draft and keeps the files.

Used by the chat command `draft` and by `imvo-bot compile`: one path, so both give the same
files.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from bot.core.domain import Campaign, DraftFile
from bot.flows.services import Services
from bot.reporting.answers import read_answers
from bot.reporting.charts import draft_charts
from bot.reporting.charts import prepare as charts_ready
from bot.reporting.draft.builder import build_draft, snapshot
from bot.reporting.draft.docx import render_docx
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import PolicyDraft
from bot.reporting.draft.template import chosen_template, template_bytes
from bot.reporting.spreadsheet import open_workbook, workbook_name

FORMATS = ("docx", "md")
_MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "png": "image/png",
}


@dataclass(frozen=True)
class CompiledDraft:
    draft: PolicyDraft
    files: tuple[DraftFile, ...]  # what the lead gets: the draft's formats (and the answers)
    locations: tuple[str, ...]  # where every file was kept, charts included
    respondents: int
    stored: tuple[int, ...] = ()  # the files' ids in the store, in the same order as `files`
    charts: tuple[DraftFile, ...] = ()  # the pictures the Markdown links, kept next to it


async def compile_draft(
    services: Services,
    campaign: Campaign,
    language: str,
    formats: Sequence[str] = FORMATS,
    spreadsheet: bool = True,
    compiled_by: str = "",
) -> CompiledDraft:
    """Builds the draft in `language`, renders the requested formats and saves them.

    The answers are read once, a question at a time, counted for the draft and (with
    `spreadsheet`) written into the answers workbook (`bot.reporting.answers`); counting,
    building and rendering are CPU work and run on worker threads, so the event loop keeps
    answering other people meanwhile.
    With `spreadsheet`, every answer comes too, anonymised (`answers-<campaign>.xlsx`).
    `compiled_by` is the lead who asked for it (their display name), named in the Word file's
    properties; empty from the command line.
    """
    settings = services.settings
    # The template first: a broken one (TemplateError) stops before any work is done.
    chosen = chosen_template(settings.draft_template, settings.content_dir)
    template = await asyncio.to_thread(template_bytes, chosen)
    # matplotlib is imported while the database works (its C code lets the import run).
    warm = asyncio.ensure_future(asyncio.to_thread(charts_ready))
    now = services.clock.now()
    pack = services.content.for_language(language)
    base, skipped = await asyncio.gather(
        services.reports.respondents(campaign.id), services.reports.skipped(campaign.id)
    )
    # One read of every answer: counted for the draft, written into the workbook.
    book = (
        await asyncio.to_thread(open_workbook, services, campaign, language, base, now)
        if spreadsheet
        else None
    )
    questions = [q.id for q in pack.questions]
    collected = await read_answers(services.reports, campaign.id, questions, base, book)
    owners = await services.owners.theme_owners()
    owner_answers = await services.owners.owner_answers()
    company = settings.company_name or await services.drafts.workspace_name(
        campaign.platform, campaign.tenant
    )
    last = await services.drafts.last_draft_version(campaign.id)
    version, previous = (last.number + 1, last.figures) if last else (1, None)
    build = partial(
        build_draft,
        campaign=campaign,
        collected=collected,
        owners=owners,
        pack=pack,
        generated_at=now,
        anonymity_min=services.settings.anonymity_min,
        owner_answers=owner_answers,
        company=company,
        version=version,
        previous=previous,
        skipped=skipped,
        approvals=await services.drafts.approvals(campaign.id),
        spreadsheet=workbook_name(campaign.id) if book is not None else "",
    )
    draft = replace(await asyncio.to_thread(build), compiled_by=compiled_by, version=version)
    respondents = collected.respondents
    del collected, build  # the draft holds what it needs; the answers can go
    stem = draft_stem(pack.draft.label("file_name"), version, language, now)
    await warm
    pictures = await asyncio.to_thread(draft_charts, draft)
    charts = [
        DraftFile(f"{stem}-{name}.png", _MEDIA_TYPES["png"], png) for name, png in pictures.items()
    ]
    files: list[DraftFile] = []
    for fmt in formats:
        if fmt == "docx":
            data = await asyncio.to_thread(render_docx, draft, template, pictures)
        else:
            links = {name: f"{stem}-{name}.png" for name in pictures}
            markdown = await asyncio.to_thread(render_markdown, draft, pack.draft_template, links)
            data = markdown.encode("utf-8")
        files.append(DraftFile(f"{stem}.{fmt}", _MEDIA_TYPES[fmt], data))
    if book is not None:
        files.append(await asyncio.to_thread(book.file))
    stored = await services.drafts.save_drafts(
        campaign.id, files, now
    )  # any replica can hand them out
    # The version remembers its Word file (by hash and stored id), for approval.
    docx_hash, docx_id = _word(files, stored)
    await services.drafts.new_draft_version(campaign.id, now, snapshot(draft), docx_hash, docx_id)
    kept = files + (charts if "md" in formats else [])  # the Markdown's pictures beside it
    locations = await services.sink.save(campaign.id, kept)  # the folder: an export
    return CompiledDraft(draft, tuple(files), locations, respondents, stored, tuple(charts))


def draft_stem(prefix: str, version: int, language: str, at: datetime) -> str:
    """The draft files' common name: `imvo-beleid-v3-nl-20261208-091500` (`.docx`, `.md`, …).

    `prefix` is the draft's own word for it (`labels.file_name` in `content/<lang>/draft.toml`),
    so a Dutch lead gets `imvo-beleid-…` and an English one `imvo-policy-…`; the version, not
    the campaign (that is the folder, `campaign-<id>/`), tells the files apart.
    """
    return f"{prefix}-v{version}-{language}-{at:%Y%m%d-%H%M%S}"


def _word(files: Sequence[DraftFile], stored: Sequence[int]) -> tuple[str, int | None]:
    """The Word file's SHA-256 and its id in the store ("", None when none was made)."""
    for index, file in enumerate(files):
        if file.name.endswith(".docx"):
            found = stored[index] if index < len(stored) else None
            return hashlib.sha256(file.data).hexdigest(), found
    return "", None
