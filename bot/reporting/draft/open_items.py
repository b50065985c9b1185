"""The draft's open items: everything still to do before the policy can be adopted, each
saying what and where (a pure function of what `build_draft` already worked out)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from bot.content.draft_texts import DraftTexts
from bot.core.domain import OwnerState, Question, ThemeOwner
from bot.reporting.draft.anonymity import Disclosure, discipline_labels
from bot.reporting.draft.collect import DISCIPLINE_QUESTION, Collected

# The draft's own placeholders and facts to check: (chapter, open-item label) in reading order.
PLACEHOLDERS = (
    ("mission", "open_fill_mission"),
    ("purchasing", "open_check_purchasing"),
    ("grievance", "open_fill_grievance"),
    ("governance", "open_fill_governance"),
)


def open_items_of(
    texts: DraftTexts,
    questions: Sequence[Question],
    collected: Collected,
    owner_of: Mapping[str, ThemeOwner],
    signed_off: bool,
    heard: Collection[str],
    skipped: Mapping[str, int],
    disclosure: Disclosure,
) -> tuple[str, ...]:
    """Everything still to do before the draft can be adopted, each saying what and where:
    the draft's own placeholders and facts to check, colleagues who have not answered,
    unanswered and skipped questions, themes without an accepted owner, themes nobody spoke
    about (`heard`: the themes a colleague mentioned or whose owner answered), unheard
    disciplines, and the sign-off."""
    items = [texts.label(label, chapter=texts.section(key).heading) for key, label in PLACEHOLDERS]
    items += _answer_items(texts, questions, collected, skipped, disclosure)
    items += _owner_items(texts, questions, owner_of)
    items += _unmentioned_items(texts, heard)
    items += _unheard_items(texts, questions, collected)
    if not signed_off:
        items.append(texts.label("open_signoff"))
    return tuple(items)


def _answer_items(
    texts: DraftTexts,
    questions: Sequence[Question],
    collected: Collected,
    skipped: Mapping[str, int],
    disclosure: Disclosure,
) -> list[str]:
    """Colleagues who have not answered, questions nobody answered, and questions skipped."""
    items: list[str] = []
    silent = collected.invited - collected.respondents
    if silent > 0:
        items.append(texts.label("open_silent", count=silent, invited=collected.invited))
    for question in questions:
        if not collected.question(question.id).people:
            items.append(texts.label("open_unanswered", question=question.title))
    # Skips are counted over the whole campaign: aggregates, under the anonymity rule.
    skips = [(q.title, skipped.get(q.id, 0)) for q in questions if skipped.get(q.id, 0)]
    if skips and not disclosure.withheld:
        listed = ", ".join(texts.label("open_skipped_one", question=t, count=n) for t, n in skips)
        items.append(texts.label("open_skipped", questions=listed))
    return items


def _owner_items(
    texts: DraftTexts, questions: Sequence[Question], owner_of: Mapping[str, ThemeOwner]
) -> list[str]:
    """Themes without an owner (with the disciplines that could own them) or not yet accepted."""
    items: list[str] = []
    labels = discipline_labels(texts, questions)
    for theme in texts.themes:
        owner = owner_of.get(theme.key)
        if owner is None:
            candidates = ", ".join(labels[d] for d in theme.disciplines if d in labels)
            if candidates:
                items.append(
                    texts.label("open_unowned_candidates", theme=theme.name, disciplines=candidates)
                )
            else:
                items.append(texts.label("open_unowned", theme=theme.name))
        elif owner.state is not OwnerState.ACCEPTED:
            name = owner.display_name.strip() or texts.label("owner_unnamed")
            items.append(texts.label("open_proposed", theme=theme.name, name=name))
    return items


def _unmentioned_items(texts: DraftTexts, heard: Collection[str]) -> list[str]:
    """The themes nobody spoke about (no colleague mentioned it, its owner has not answered),
    in one item."""
    unmentioned = [t.name for t in texts.themes if t.key not in heard]
    if not unmentioned:
        return []
    return [
        texts.label(
            "open_unmentioned",
            themes=", ".join(unmentioned),
            chapter=texts.section("themes").heading,
        )
    ]


def _unheard_items(
    texts: DraftTexts, questions: Sequence[Question], collected: Collected
) -> list[str]:
    """The disciplines no respondent belongs to, in one item."""
    discipline = next((q for q in questions if q.id == DISCIPLINE_QUESTION), None)
    if discipline is None:
        return []
    # "Something else" is a catch-all, not a part of the company that should be heard from.
    unheard = [
        o.label
        for o in discipline.options
        if o.key != "other" and not collected.disciplines.get(o.key)
    ]
    return [texts.label("open_unheard", disciplines=", ".join(unheard))] if unheard else []
