"""What the company decided on its policy: a theme's commitments (chosen by its owner,
confirmed by the CSR lead) and the policy-wide subjects the lead decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.domain import PersonKey
from bot.core.validation import MAX_ANSWER_CHARS

POLICY_SUBJECTS: tuple[str, ...] = (
    "mission",
    "vision",
    "goals",
    "purchasing",
    "grievance",
    "remediation",
    "stakeholders",
    "reporting",
    "policy_owner",
    "review",
)
"""The policy-wide subjects the CSR lead decides; a theme's commitments are `theme:<key>`."""

THEME_SUBJECT = "theme:"


def theme_subject(theme: str) -> str:
    """The subject of a theme's commitments (`theme:living-wage`)."""
    return f"{THEME_SUBJECT}{theme}"


class DecisionState(StrEnum):
    PROPOSED = "proposed"  # a theme owner's choice, awaiting the CSR lead
    CONFIRMED = "confirmed"  # decided by the CSR lead


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What the company decided on one subject of its policy: a theme's commitments, or a
    policy-wide subject (`POLICY_SUBJECTS`). One per campaign and subject: a new decision on the
    same subject replaces the one before.

    `choices` are keys of the content's menu chosen; `own` are commitments in the decider's own
    words; `text` is free text (the mission, say). `decided_by_name` is the decider's display
    name at the time (it stays readable when they leave the workspace). `first_version` is the
    draft version the decision first appears in, recorded by the compile; a change of what was
    decided (choices, own words or text) clears it, so the next compile records its own.
    """

    campaign_id: int
    subject: str
    state: DecisionState
    decided_by: PersonKey
    decided_at: datetime
    choices: tuple[str, ...] = ()
    own: tuple[str, ...] = ()
    text: str = ""
    decided_by_name: str = ""
    first_version: int | None = None

    def __post_init__(self) -> None:
        theme = self.theme
        if self.subject not in POLICY_SUBJECTS and not theme:
            raise ValueError(f"not a subject of the policy: {self.subject!r}")
        if any(not key for key in self.choices):
            raise ValueError("a chosen key is empty")
        if any(not words.strip() for words in self.own):
            raise ValueError("a commitment of one's own is empty")
        longest = max((len(t) for t in (self.text, *self.own)), default=0)
        if longest > MAX_ANSWER_CHARS:
            raise ValueError(f"a decision's text is longer than {MAX_ANSWER_CHARS} characters")

    @property
    def theme(self) -> str | None:
        """The theme whose commitments this decides, or None for a policy-wide subject."""
        theme = self.subject.removeprefix(THEME_SUBJECT)
        return theme if theme != self.subject and theme else None

    def same_content(self, other: Decision) -> bool:
        """Whether `other` decides the same (choices, own words, text), whoever decided it."""
        return (self.choices, self.own, self.text) == (other.choices, other.own, other.text)
