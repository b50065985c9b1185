"""Builds the policy draft from a campaign's stored answers, its theme owners and `content/`.

`build_draft` is a pure function: it reads the draft's texts (cached) and nothing else, and
returns a `PolicyDraft` of neutral blocks that the Markdown and Word renderers turn into files.
Colleagues' answers are only ever quoted without names, and only per group of at least
`anonymity_min` respondents (see `anonymity.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.content.draft_texts import DraftTexts
from bot.content.library import Pack
from bot.content.themes import Instrument, ThemeText
from bot.core.domain import (
    Approval,
    Campaign,
    OwnerAnswer,
    OwnerState,
    PersonKey,
    Question,
    ThemeOwner,
)
from bot.flows.owners import owner_by_theme
from bot.reporting.approval_state import ApprovalState, approval_state, names
from bot.reporting.draft.annex import annex_blocks
from bot.reporting.draft.anonymity import disclose_draft
from bot.reporting.draft.collect import Collected
from bot.reporting.draft.legislation import legislation_blocks
from bot.reporting.draft.model import (
    Block,
    Bullets,
    Heading,
    Paragraph,
    PolicyDraft,
    Table,
    TitlePage,
)
from bot.reporting.draft.open_items import open_items_of
from bot.reporting.draft.parts import note, percent, quote_blocks, section_start, topic_blocks
from bot.reporting.draft.quotes import ThemeMatcher

MISSION_QUESTIONS = ("mission", "goals", "translation")
# Chapters whose policy text is followed by a bullet list (numbered for due diligence).
LISTED = ("principles", "frameworks", "scope", "subcontracting", "due_diligence", "purchasing")
SIGNOFF_ROWS = 3


def build_draft(
    *,
    campaign: Campaign,
    collected: Collected,
    owners: Sequence[ThemeOwner],
    pack: Pack,
    generated_at: datetime,
    anonymity_min: int = 5,
    max_quotes: int = 8,
    signed_off: bool = False,
    owner_answers: Sequence[OwnerAnswer] = (),
    company: str = "",
    version: int = 1,
    previous: Mapping[str, Any] | None = None,
    skipped: Mapping[str, int] | None = None,
    spreadsheet: str = "",
    approvals: Sequence[Approval] = (),
) -> PolicyDraft:
    """Compiles everything colleagues answered into a structured policy draft.

    The draft has a title page with response figures, the policy chapters (mission, principles,
    frameworks, scope, subcontracting, due diligence, purchasing practices, laws, the nine themes,
    grievances, governance), an annex on internal support and a chapter of open items, which
    `PolicyDraft.open_items` repeats as sentences. At most `max_quotes` answers are quoted per
    question or group, so the draft stays small whatever the number of respondents; answers to
    the free-text questions are grouped into topics (`topics.py`), and every answer is in the
    spreadsheet the draft names (`spreadsheet`, a file name, if one is made).
    `skipped` counts, per question, the colleagues who skipped it (`Store.figures`).
    `approvals` are the campaign's approvals by top management (`Store.approvals`): an approval
    of the previous version fills the sign-off table if nothing changed since.
    """
    texts, questions = pack.draft, pack.questions
    by_id = {q.id: q for q in questions}
    # The one anonymity rule: below k respondents the draft shows no answer, count or quote.
    disclosure = disclose_draft(collected, texts, questions, anonymity_min)
    collected = disclosure.collected
    owner_of = owner_by_theme(owners)
    mentions = _mentions(texts, by_id, collected)
    owners_answered = _accepted_answers(owner_of, owner_answers)
    owner_said = _owner_said(owners_answered, pack.owner_questions)
    # A theme is heard when a colleague mentioned it or its owner answered its questions.
    heard = {key for key, said in mentions.items() if said}
    heard |= {key for key, said in owner_said.items() if said}
    open_items = open_items_of(
        texts, questions, collected, owner_of, signed_off, heard, skipped or {}, disclosure
    )
    open_items, signers = _approval(texts, open_items, approval_state(approvals), version, previous)

    blocks: list[Block] = []
    blocks += _intro(texts, collected)
    if disclosure.withheld:
        withheld = texts.label("withheld", min=anonymity_min, count=collected.respondents)
        blocks.append(Paragraph(withheld))
    blocks += _mission(texts, by_id, collected, anonymity_min, spreadsheet, max_quotes)
    for key in LISTED:
        blocks += _listed(texts, key)
        if key == "frameworks":
            blocks += _ilo(texts)
    # After how we work (due diligence, purchasing), before the themes the laws bear on.
    blocks += legislation_blocks(texts, pack.briefings, by_id.get("legislation"), disclosure)
    blocks += _themes(texts, mentions, owner_of, owner_said, max_quotes)
    blocks += _listed(texts, "grievance")
    blocks += _governance(texts, signers)
    blocks += _action_plan(texts, owner_of, owners_answered)
    blocks += _references(texts)
    blocks += annex_blocks(texts, by_id, disclosure, max_quotes, spreadsheet)
    if spreadsheet:
        blocks.append(Paragraph(texts.label("annex_spreadsheet", file=spreadsheet)))
    section = texts.section("open_items")
    blocks += section_start(section)
    blocks.append(Bullets(open_items) if open_items else Paragraph(texts.label("open_none")))
    blocks.append(note(section))

    accepted = sum(1 for o in owner_of.values() if o.state is OwnerState.ACCEPTED)
    page = replace(
        _title_page(texts, campaign, collected, generated_at, company),
        version=texts.label("version", n=version),
        changes=_changes(texts, version, previous, collected.respondents, accepted, open_items),
    )
    return PolicyDraft(
        campaign_id=campaign.id,
        language=texts.language,
        generated_at=generated_at,
        title_page=page,
        blocks=tuple(blocks),
        open_items=open_items,
        figures=(("respondents", collected.respondents), ("owners", accepted)),
    )


def snapshot(draft: PolicyDraft) -> dict[str, Any]:
    """What the next version of the draft compares itself with."""
    return {**dict(draft.figures), "open": list(draft.open_items)}


def _changes(
    texts: DraftTexts,
    version: int,
    previous: Mapping[str, Any] | None,
    respondents: int,
    owners: int,
    open_items: Sequence[str],
) -> str:
    """What changed since the previous version: new respondents, owners, open items closed."""
    if previous is None or version <= 1:
        return texts.label("changes_first")
    before = set(previous.get("open") or ())
    return texts.label(
        "changes",
        previous=version - 1,
        respondents=max(0, respondents - int(previous.get("respondents") or 0)),
        owners=max(0, owners - int(previous.get("owners") or 0)),
        closed=len(before - set(open_items)),
        added=len(set(open_items) - before),
    )


PLAN_QUESTIONS = ("first_step", "information", "involve")  # owner questions the plan carries


def _action_plan(
    texts: DraftTexts,
    owner_of: Mapping[str, ThemeOwner],
    answered: Mapping[str, Mapping[str, str]],
) -> list[Block]:
    """Per theme: the owner, their first step, the information they need and who else to
    involve (from the owners' questionnaire), with an empty "by when" column; then a table of
    indicators and targets to fill in."""
    rows: list[tuple[str, ...]] = []
    for theme in texts.themes:
        said = answered.get(theme.key, {})
        steps = tuple(said.get(q, "") for q in PLAN_QUESTIONS)
        rows.append((theme.name, _owner_text(texts, owner_of.get(theme.key)), *steps, ""))
    header = tuple(
        texts.label(k)
        for k in ("plan_theme", "plan_owner", "plan_first_step", "plan_information",
                  "plan_involve", "plan_by_when")
    )  # fmt: skip
    targets = tuple(
        texts.label(k)
        for k in ("plan_theme", "plan_indicator", "plan_baseline", "plan_target", "plan_by_when")
    )
    return [
        Heading(texts.label("plan_title"), 1),
        Paragraph(texts.label("plan_intro")),
        Table(header, tuple(rows), wide=True),
        Paragraph(texts.label("plan_note"), style="note"),
        Heading(texts.label("plan_targets_title"), 2),
        Paragraph(texts.label("plan_targets_intro")),
        Table(targets, tuple((t.name, "", "", "", "") for t in texts.themes)),
        Paragraph(texts.label("plan_targets_note"), style="note"),
    ]


REFERENCE_GROUPS = ("frameworks", "ilo", "guidance", "codes", "laws")
_ILO_NUMBER = re.compile(r"^ilo-([cp])(\d+)$")


def reference_group(instrument: Instrument) -> str:
    """Which group of the References chapter an instrument belongs to."""
    if instrument.kind == "ilo":
        return "ilo" if _ILO_NUMBER.match(instrument.id) else "frameworks"
    if instrument.kind == "un" or instrument.id == "oecd-guidelines":
        return "frameworks"
    return {"code": "codes", "eu": "laws", "nl": "laws"}.get(instrument.kind, "guidance")


def _reference_order(instrument: Instrument) -> tuple[int, int, str]:
    number = _ILO_NUMBER.match(instrument.id)
    if number:  # conventions by number, each protocol after its convention
        return (int(number.group(2)), number.group(1) == "p", "")
    return (0, 0, instrument.name.casefold())


def _references(texts: DraftTexts) -> list[Block]:
    """Every instrument, guidance, code and law the draft cites (instruments.toml), each once,
    grouped (international frameworks, ILO conventions, guidance and sector initiatives, codes,
    laws) and sorted within each group."""
    by_id = {i.id: i for i in texts.instruments}
    blocks: list[Block] = [
        Heading(texts.label("references_title"), 1),
        Paragraph(texts.label("references_intro")),
    ]
    for group in REFERENCE_GROUPS:
        members = sorted(
            (i for i in by_id.values() if reference_group(i) == group), key=_reference_order
        )
        if members:
            blocks += [
                Heading(texts.label(f"references_{group}"), 2),
                Bullets(tuple(i.name for i in members)),
            ]
    return blocks


def _date(texts: DraftTexts, moment: datetime) -> str:
    return texts.format_date(moment.day, moment.month, moment.year)


LAYOUT_WORDS = ("header", "footer", "contents", "contents_hint", "note_author", "note_label")


def _title_page(
    texts: DraftTexts,
    campaign: Campaign,
    collected: Collected,
    generated_at: datetime,
    company: str,
) -> TitlePage:
    figures = (
        (texts.title("invited"), str(collected.invited)),
        (texts.title("responded"), str(collected.respondents)),
        (texts.title("completed"), str(collected.completed)),
        (texts.title("response_rate"), percent(texts, collected.respondents, collected.invited)),
    )
    return TitlePage(
        title=texts.title("title"),
        subtitle=texts.title("subtitle"),
        campaign=texts.title("campaign", id=campaign.id, date=_date(texts, campaign.started_at)),
        date=texts.title("date", date=_date(texts, generated_at)),
        figures=figures,
        company=company,
        layout=tuple((key, texts.title(key)) for key in LAYOUT_WORDS),
    )


def _accepted_answers(
    owner_of: Mapping[str, ThemeOwner], answers: Sequence[OwnerAnswer]
) -> dict[str, dict[str, str]]:
    """Per theme, what its accepted owner answered in the owners' questionnaire, by question."""
    by_owner: dict[tuple[str, PersonKey], dict[str, str]] = {}
    for a in answers:
        if a.text and not a.skipped:
            by_owner.setdefault((a.theme, a.person), {})[a.question_id] = a.text
    return {
        theme: by_owner.get((theme, owner.person), {})
        for theme, owner in owner_of.items()
        if owner.state is OwnerState.ACCEPTED
    }


def _owner_said(
    answered: Mapping[str, Mapping[str, str]], questions: Sequence[Question]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per theme, the accepted owner's questionnaire answers as (question title, answer) rows."""
    said: dict[str, tuple[tuple[str, str], ...]] = {}
    for theme, by_question in answered.items():
        rows = tuple((q.title, by_question[q.id]) for q in questions if q.id in by_question)
        if rows:
            said[theme] = rows
    return said


def _intro(texts: DraftTexts, collected: Collected) -> list[Block]:
    section = texts.section("intro")
    figures = texts.label(
        "intro_figures",
        responded=collected.respondents,
        invited=collected.invited,
        completed=collected.completed,
    )
    return [*section_start(section), Paragraph(figures), note(section)]


def _mission(
    texts: DraftTexts,
    questions: Mapping[str, Question],
    collected: Collected,
    minimum: int,
    spreadsheet: str,
    max_quotes: int,
) -> list[Block]:
    """The mission chapter; colleagues' answers to the mission questions grouped into topics
    (none below `minimum` answers), pointing to the spreadsheet that holds them all."""
    section = texts.section("mission")
    blocks: list[Block] = [*section_start(section), note(section)]
    blocks.append(Heading(texts.label("colleagues_said"), 2))
    for qid in MISSION_QUESTIONS:
        question = questions.get(qid)
        if question is None:
            continue
        blocks.append(Heading(question.title, 3))
        answers = [text for text, _ in collected.question(qid).texts]
        blocks += topic_blocks(texts, answers, minimum, spreadsheet, max_quotes, question.title)
    return blocks


def _listed(texts: DraftTexts, key: str) -> list[Block]:
    section = texts.section(key)
    return [
        *section_start(section),
        Bullets(section.items, numbered=key == "due_diligence"),
        note(section),
    ]


def _ilo(texts: DraftTexts) -> list[Block]:
    section = texts.section("ilo")
    rows: list[tuple[str, str, str, str]] = []
    previous = ""
    for conv in texts.ilo_conventions:
        category = texts.ilo_categories[conv.category]
        rows.append((category if category != previous else "", conv.code, conv.name, conv.year))
        previous = category
    header = tuple(texts.label(k) for k in ("ilo_category", "ilo_code", "ilo_name", "ilo_year"))
    return [
        *section_start(section, level=2),
        Table(header=header, rows=tuple(rows)),
        Paragraph(section.extra["protocol"]),
        note(section),
    ]


def _owner_text(texts: DraftTexts, owner: ThemeOwner | None) -> str:
    if owner is None:
        return texts.label("no_owner")
    name = owner.display_name.strip() or texts.label("owner_unnamed")
    if owner.state is OwnerState.ACCEPTED:
        return name
    return texts.label("proposed_owner", name=name)


def _mentions(
    texts: DraftTexts, questions: Mapping[str, Question], collected: Collected
) -> dict[str, list[tuple[str, str]]]:
    """Per theme, the answers that mention it, as (text, question title)."""
    matcher = ThemeMatcher({t.key: t.keywords for t in texts.themes})
    titles = {qid: q.title for qid, q in questions.items()}
    items = [
        (text, titles.get(qid, ""))
        for qid, qa in collected.by_question.items()
        for text, _ in qa.texts
    ]
    return matcher.mentions(items)


def _themes(
    texts: DraftTexts,
    mentions: Mapping[str, list[tuple[str, str]]],
    owner_of: Mapping[str, ThemeOwner],
    owner_said: Mapping[str, tuple[tuple[str, str], ...]],
    max_quotes: int,
) -> list[Block]:
    section = texts.section("themes")
    blocks: list[Block] = [*section_start(section), note(section)]
    for theme in texts.themes:
        blocks += _theme(
            texts,
            theme,
            owner_of.get(theme.key),
            mentions.get(theme.key, []),
            owner_said.get(theme.key, ()),
            max_quotes,
        )
    return blocks


def _theme(
    texts: DraftTexts,
    theme: ThemeText,
    owner: ThemeOwner | None,
    said: Sequence[tuple[str, str]],
    owner_rows: Sequence[tuple[str, str]],
    max_quotes: int,
) -> list[Block]:
    """A theme: the principle, what it means for us (the commitments), the typical risk in our
    chain, the owner, the references in a few lines, then what colleagues said and what its
    owner answered. A note for the lead says what is missing: nobody spoke about the theme yet,
    or only its owner did."""
    blocks: list[Block] = [
        Heading(theme.name, 2),
        Paragraph(theme.principle),
        Heading(texts.label("theme_meaning"), 3),
        Bullets(theme.examples),
        Heading(texts.label("theme_risk"), 3),
        Paragraph(theme.risk),
        Paragraph(texts.label("theme_owner", owner=_owner_text(texts, owner))),
        Heading(texts.label("theme_references"), 3),
        Bullets(theme.references.compact(texts.label("theme_instruments"))),
    ]
    if said:
        blocks += [Heading(texts.label("colleagues_said"), 3)]
        blocks += quote_blocks(texts, said, max_quotes)
    if owner_rows:
        header = (texts.label("owner_question"), texts.label("owner_answer"))
        blocks.append(Heading(texts.label("owner_says"), 3))
        if len(owner_rows) == 1:  # a table of one row is a sentence
            question, answer = owner_rows[0]
            blocks.append(
                Paragraph(texts.label("owner_says_one", question=question, answer=answer))
            )
        else:
            blocks.append(Table(header, tuple(owner_rows)))
    if not said:
        missing = "theme_owner_only" if owner_rows else "theme_not_mentioned"
        blocks.append(Paragraph(texts.label(missing), style="note"))
    return blocks


def _governance(texts: DraftTexts, signers: Sequence[tuple[str, str, str, str]]) -> list[Block]:
    signoff = texts.section("signoff")
    header = tuple(
        texts.label(k)
        for k in ("signoff_name", "signoff_role", "signoff_date", "signoff_signature")
    )
    empty = max(SIGNOFF_ROWS - len(signers), 0)
    return [
        *_listed(texts, "governance"),
        *section_start(signoff, level=2),
        Table(header=header, rows=(*signers, *(("", "", "", "") for _ in range(empty)))),
        note(signoff),
    ]


def _approval(
    texts: DraftTexts,
    open_items: tuple[str, ...],
    state: ApprovalState,
    version: int,
    previous: Mapping[str, Any] | None,
) -> tuple[tuple[str, ...], list[tuple[str, str, str, str]]]:
    """The open items with the approval's own, and the sign-off rows it fills.

    An approval holds for this version when it was given to the version just before and nothing
    changed since: the same figures and the same open items (but the approval's own)."""
    signoff = texts.label("open_signoff")
    rest = tuple(item for item in open_items if item != signoff)
    if state.version is None:
        return open_items, []
    asked = names([*state.approved, *state.pending, *state.changes])
    if state.changes:
        said = "; ".join(
            texts.label("open_changes_one", name=names([a]), comment=a.comment or "…")
            for a in state.changes
        )
        return (*rest, texts.label("open_changes", version=state.version, said=said)), []
    if state.pending:
        pending = texts.label("open_pending", version=state.version, names=names(state.pending))
        return (*rest, pending), []
    before = set((previous or {}).get("open") or ()) - {signoff}
    unchanged = previous is not None and state.version == version - 1 and before == set(rest)
    if not unchanged:
        again = texts.label("open_reapprove", version=state.version, names=asked)
        return (*rest, again), []
    rows = [
        (
            a.approver_name or a.approver.user_id,
            texts.label("signoff_in_chat", version=state.version),
            _date(texts, a.decided_at or a.requested_at),
            "",
        )
        for a in state.approved
    ]
    return rest, rows
