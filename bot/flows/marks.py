"""Marks of what waits for a person's reply besides the poll question: forget-me's question
(and when it was asked), or an offer of more information made just before a question.

They ride on the persisted conversation state, among `ConversationState.offered` as
`~<name>:<value>`, so they survive a restart and need no table of their own; the follow-ups
shown (`offered` proper) are the entries without the `~`.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.domain import ConversationState

MARK = "~"


def followups(state: ConversationState) -> frozenset[str]:
    """The one-time follow-ups shown, without the marks."""
    return frozenset(o for o in state.offered if not o.startswith(MARK))


def read(state: ConversationState | None, name: str) -> str | None:
    """The value of mark `name`, or None when it is not set."""
    if state is None:
        return None
    prefix = f"{MARK}{name}:"
    return next((o[len(prefix) :] for o in state.offered if o.startswith(prefix)), None)


def drop(state: ConversationState, name: str) -> ConversationState:
    """`state` without mark `name` (the same state when it had none)."""
    prefix = f"{MARK}{name}:"
    if not any(o.startswith(prefix) for o in state.offered):
        return state
    return replace(state, offered=frozenset(o for o in state.offered if not o.startswith(prefix)))


def put(state: ConversationState, name: str, value: str) -> ConversationState:
    """`state` with mark `name` set to `value` (replacing an earlier one)."""
    kept = drop(state, name)
    return replace(kept, offered=kept.offered | {f"{MARK}{name}:{value}"})
