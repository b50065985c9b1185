"""Grouping respondents by discipline without making anyone recognisable.

A discipline with fewer than `minimum` respondents is never shown on its own: all such small
disciplines are merged into one group, and if that merged group is still too small, its people
only count in the overall total, under no label at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.content.draft_texts import DraftTexts
from bot.core.domain import Question
from bot.core.tallies import DISCIPLINE_QUESTION, UNKNOWN_DISCIPLINE, Collected

MERGED = "_merged"


@dataclass(frozen=True)
class Group:
    """A set of respondents the draft may show on its own: one discipline or the merged rest."""

    key: str  # a discipline key, or MERGED
    label: str
    size: int


@dataclass(frozen=True)
class Grouping:
    """Which disciplines are shown as which group; disciplines not in `group_of` are hidden."""

    groups: tuple[Group, ...]
    group_of: Mapping[str, str]  # discipline key -> group key
    hidden: int  # respondents who only count in the total

    def group_for(self, discipline: str) -> str | None:
        """The group a respondent of `discipline` is shown in, or None (total only)."""
        return self.group_of.get(discipline)

    def breakdown(self) -> tuple[Group, ...]:
        """The groups whose answers may be shown next to the overall total.

        The overall total minus the groups shown must not single out the hidden respondents:
        if there are any, the smallest group is left out of the breakdown too, so that what
        can be worked out by subtraction always covers at least `minimum` people. A breakdown
        into a single group would only repeat the total, so it is empty then.
        """
        shown = list(self.groups)
        if self.hidden and shown:
            shown.remove(min(reversed(shown), key=lambda g: g.size))
        return tuple(shown) if len(shown) > 1 or (shown and self.hidden) else ()


def group_disciplines(
    sizes: Mapping[str, int],
    labels: Mapping[str, str],
    order: Sequence[str],
    minimum: int,
    merged_label: str,
) -> Grouping:
    """Groups respondents per discipline so that every shown group has at least `minimum` people.

    `sizes` counts respondents per discipline key, `labels` names each key and `order` is the
    order of the poll's options (used to break ties). Larger groups come first; the merged
    group, if it is large enough to show, comes last.
    """
    rank = {key: index for index, key in enumerate(order)}
    present = [key for key, size in sizes.items() if size > 0]
    present.sort(key=lambda k: (-sizes[k], rank.get(k, len(rank)), k))
    groups: list[Group] = []
    group_of: dict[str, str] = {}
    small: list[str] = []
    for key in present:
        if sizes[key] >= minimum:
            groups.append(Group(key=key, label=labels.get(key, key), size=sizes[key]))
            group_of[key] = key
        else:
            small.append(key)
    merged = sum(sizes[k] for k in small)
    hidden = 0
    if small and merged >= minimum:
        groups.append(Group(key=MERGED, label=merged_label, size=merged))
        group_of.update({k: MERGED for k in small})
    else:
        hidden = merged
    return Grouping(groups=tuple(groups), group_of=group_of, hidden=hidden)


@dataclass(frozen=True)
class Disclosure:
    """What a report may show of a campaign's answers: the one anonymity rule, used by the
    draft, its charts, the answers spreadsheet and the digest (README, "Anonymity").

    - Nothing aggregated and no quote while the campaign has fewer than `minimum` respondents
      (`withheld`): `collected` then holds the participation figures but no answers.
    - Once it has, counts over the whole campaign are shown as they are.
    - A breakdown by discipline shows only `groups`: each of at least `minimum` people, merged
      so that no hidden group can be worked out by subtraction (`Grouping.breakdown`).
    - A quote never names a group.
    """

    collected: Collected
    grouping: Grouping
    minimum: int
    withheld: bool

    @property
    def groups(self) -> tuple[Group, ...]:
        return () if self.withheld else self.grouping.breakdown()


def disclose(
    collected: Collected,
    labels: Mapping[str, str],
    order: Sequence[str],
    minimum: int,
    merged_label: str,
) -> Disclosure:
    """Applies the anonymity rule to a campaign's answers (see `Disclosure`)."""
    grouping = group_disciplines(collected.disciplines, labels, order, minimum, merged_label)
    withheld = collected.respondents < minimum
    shown = replace(collected, by_question={}) if withheld else collected
    return Disclosure(shown, grouping, minimum, withheld)


def discipline_labels(texts: DraftTexts, questions: Sequence[Question]) -> dict[str, str]:
    """The draft's name of every discipline key, "discipline not given" included."""
    labels = {UNKNOWN_DISCIPLINE: texts.label("unknown_discipline")}
    for question in questions:
        if question.id == DISCIPLINE_QUESTION:
            labels.update({o.key: o.label for o in question.options})
    return labels


def disclose_draft(
    collected: Collected, texts: DraftTexts, questions: Sequence[Question], minimum: int
) -> Disclosure:
    """The rule as the draft and the answers spreadsheet apply it, with the draft's names for
    the disciplines and the merged group, in the poll's order of the disciplines."""
    order = [o.key for q in questions if q.id == DISCIPLINE_QUESTION for o in q.options]
    labels = discipline_labels(texts, questions)
    return disclose(collected, labels, order, minimum, texts.label("merged_group"))
