"""The `status` card for leads and managers: where a campaign stands, without names of answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from bot.content.loader import Messages
from bot.content.themes import ThemeText
from bot.core.domain import Campaign, OwnerState, Question, ThemeOwner
from bot.core.messages import Card, CardSection
from bot.core.tallies import Figures
from bot.flows.owners import state_text
from bot.reporting.approval_state import ApprovalState, sentence

THEME_COUNT = 9


def status_card(
    *,
    campaign: Campaign,
    figures: Figures,
    owners: Sequence[ThemeOwner],
    questions: Sequence[Question],
    msgs: Messages,
    today: date,
    themes: Sequence[ThemeText] = (),
    suggestions: Mapping[str, Sequence[str]] | None = None,
    waiting: int = 0,
    approval: ApprovalState | None = None,
) -> Card:
    """Where a campaign stands: counts only, never who answered what."""
    owner_of = {o.theme: o for o in owners}
    sections = [
        _figures_section(campaign, figures, msgs, today, waiting),
        _per_question_section(figures, questions, msgs),
        _owners_section(owners, themes, suggestions or {}, msgs),
        CardSection(title=msgs("status.approval_title"), body=approval_line(approval, msgs)),
    ]
    if figures.failures:
        failures = "\n".join(f"- {f.person}: {f.error}" for f in figures.failures)
        sections.append(CardSection(title=msgs("status.failed_title"), body=failures))
    open_items = _open_items(figures, questions, themes, owner_of, msgs)
    if open_items:
        body = "\n".join(f"- {item}" for item in open_items)
        sections.append(CardSection(title=msgs("status.open_title"), body=body))
    state = msgs("status.running") if campaign.running else msgs("status.closed")
    title = msgs("status.title", id=campaign.id, state=state)
    fallback = "\n\n".join([title, *(s.plain() for s in sections)])
    return Card(title=title, sections=tuple(sections), fallback=fallback)


def _figures_section(
    campaign: Campaign, figures: Figures, msgs: Messages, today: date, waiting: int
) -> CardSection:
    """The campaign's counts and its deadline."""
    invited, responded = figures.invited, figures.responded
    rate = round(100 * responded / invited) if invited else 0
    return CardSection(
        title=msgs("status.figures"),
        fields=(
            (msgs("status.invited"), str(invited)),
            (msgs("status.delivered"), str(figures.delivered)),
            (msgs("status.undeliverable"), str(len(figures.failures))),
            (msgs("status.waiting"), str(waiting)),
            (msgs("status.responded"), f"{responded} ({rate}%)"),
            (msgs("status.finished"), str(figures.finished)),
            (msgs("status.deadline_label"), _deadline(campaign, msgs, today)),
        ),
    )


def _deadline(campaign: Campaign, msgs: Messages, today: date) -> str:
    if campaign.deadline is None:
        return msgs("status.no_deadline")
    days = (campaign.deadline - today).days
    return msgs("status.deadline", date=campaign.deadline.isoformat(), days=days)


def _per_question_section(
    figures: Figures, questions: Sequence[Question], msgs: Messages
) -> CardSection:
    """How often each question was answered and skipped."""
    answered = Counter(figures.answered)
    skipped = Counter(figures.skipped)
    return CardSection(
        title=msgs("status.per_question"),
        fields=tuple(
            (q.title, msgs("status.answered", answered=answered[q.id], skipped=skipped[q.id]))
            for q in questions
        ),
    )


def _owners_section(
    owners: Sequence[ThemeOwner],
    themes: Sequence[ThemeText],
    suggestions: Mapping[str, Sequence[str]],
    msgs: Messages,
) -> CardSection:
    """Each theme's owner (or the candidates for an unowned theme)."""
    accepted = sum(1 for o in owners if o.state is OwnerState.ACCEPTED)
    owner_of = {o.theme: o for o in owners}
    lines = [msgs("status.owners", owned=accepted, total=THEME_COUNT)]
    for theme in themes:
        line = f"- {theme.name}: {state_text(owner_of.get(theme.key), msgs)}"
        if theme.key not in owner_of and suggestions.get(theme.key):
            line += " · " + msgs("owners.candidates", names=", ".join(suggestions[theme.key]))
        lines.append(line)
    return CardSection(title=msgs("status.owners_title"), body="\n".join(lines))


def _open_items(
    figures: Figures,
    questions: Sequence[Question],
    themes: Sequence[ThemeText],
    owner_of: Mapping[str, ThemeOwner],
    msgs: Messages,
) -> list[str]:
    """What the campaign still lacks: unanswered questions, unowned themes, unheard disciplines."""
    answered = Counter(figures.answered)
    open_items = [
        msgs("status.open_question", title=q.title) for q in questions if answered[q.id] == 0
    ]
    unowned = [t.name for t in themes if owner_of.get(t.key) is None]
    if unowned:
        open_items.append(msgs("status.open_owners", themes=", ".join(unowned)))
    unheard = _unheard_disciplines(figures, questions)
    if unheard:
        open_items.append(msgs("status.open_disciplines", disciplines=", ".join(unheard)))
    return open_items


def _unheard_disciplines(figures: Figures, questions: Sequence[Question]) -> list[str]:
    """The disciplines (bar "other") no respondent named; none when no question asks for it."""
    disciplines = next((q for q in questions if q.id == "discipline"), None)
    if disciplines is None:
        return []
    heard = figures.disciplines_heard
    return [o.label for o in disciplines.options if o.key != "other" and o.key not in heard]


def approval_line(approval: ApprovalState | None, msgs: Messages) -> str:
    """Where the draft stands with top management, in a sentence."""
    return sentence(
        approval or ApprovalState(None),
        lambda key, **values: msgs(f"status.approval_{key}", **values),
    )
