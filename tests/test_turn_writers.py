"""A turn's changes: one `Effects` value, one writer per kind of change (storage/turns.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from bot.core.domain import ConversationState, Job, JobKind, Person, PersonKey, Phase
from bot.core.turns import Effects
from storage.turns import WRITERS

ANN = PersonKey("slack", "T1", "U1")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def test_every_kind_of_change_has_its_writer_in_the_order_of_the_fields() -> None:
    assert list(WRITERS) == [f.name for f in fields(Effects)]


def test_adding_effects_keeps_both_collections_and_the_later_single_value() -> None:
    first_job = Job("j1", JobKind.REMINDER, T0, ANN, 1)
    second_job = Job("j2", JobKind.REMINDER, T0, ANN, 1)
    asked = ConversationState(ANN, 1, 0, Phase.ASKING, T0)
    moved = ConversationState(ANN, 1, 1, Phase.ASKING, T0)
    ann = Person(ANN, "Ann")

    both = Effects(state=asked, jobs=(first_job,), person=ann) + Effects(
        state=moved, jobs=(second_job,), closed=3
    )

    assert both == Effects(state=moved, jobs=(first_job, second_job), person=ann, closed=3)
    assert Effects() + Effects() == Effects()
