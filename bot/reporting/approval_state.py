"""Where a campaign's draft stands with top management, from its stored approvals: the latest
version asked about, who approved it, who has not answered, who asked for changes. The draft,
`status` and the digest all say it from this one reading."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.domain import Approval, Verdict

# The value of the button after `draft` that asks top management to approve the version just
# made (its id: bot.core.clicks.ApprovalRequestClick).
REQUEST_VALUE = "request"


@dataclass(frozen=True)
class ApprovalState:
    version: int | None  # the latest version sent for approval; None: never asked
    approved: tuple[Approval, ...] = ()
    pending: tuple[Approval, ...] = ()
    changes: tuple[Approval, ...] = ()

    @property
    def fully_approved(self) -> bool:
        """Everyone asked about the latest version approved it."""
        return bool(self.approved) and not self.pending and not self.changes


def approval_state(approvals: Sequence[Approval]) -> ApprovalState:
    if not approvals:
        return ApprovalState(None)
    version = max(a.version for a in approvals)
    latest = [a for a in approvals if a.version == version]

    def of(decision: Verdict) -> tuple[Approval, ...]:
        return tuple(a for a in latest if a.decision is decision)

    return ApprovalState(version, of(Verdict.APPROVED), of(Verdict.PENDING), of(Verdict.CHANGES))


def names(approvals: Sequence[Approval]) -> str:
    return ", ".join(a.approver_name or a.approver.user_id or "?" for a in approvals)


def sentence(state: ApprovalState, say: Callable[..., str]) -> str:
    """Where the draft stands, said by `say(key, **values)` with the key "none", "changes",
    "pending" or "done" (`status` and the digest each have their own words)."""
    if state.version is None:
        return say("none")
    if state.changes:
        return say("changes", version=state.version, names=names(state.changes))
    if state.pending:
        return say("pending", version=state.version, names=names(state.pending))
    return say("done", version=state.version, names=names(state.approved))
