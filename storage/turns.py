"""A turn committed: the event id, then each kind of effect by its own writer (storage.sql plans,
written once for both stores).

`apply_turn` commits everything one event changes, in one transaction: the event id (or the end
of a scheduled job), then every field of its `Effects` that changes something, in the order of
the fields, each through its writer in `WRITERS`. A new kind of change is a field of `Effects`
and its writer here; the writers run the same plans as the stores' single-purpose write methods
(storage.writes), so a statement exists once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from bot.core.decisions import Decision
from bot.core.domain import (
    Answer,
    Approval,
    ConversationState,
    Job,
    OwnerAnswer,
    Person,
    PersonKey,
    ThemeOwner,
)
from bot.core.turns import Applied, Effects, JobDone, NewCampaign, Turn
from storage import writes
from storage.rows import (
    UPSERT_ANSWER,
    UPSERT_PERSON,
    UPSERT_STATE,
    answer_params,
    iso,
    owner_answer_params,
    person_params,
    state_params,
)
from storage.sql import Abort, Count, Many, Plan

UPSERT_OWNER_ANSWER = """
INSERT INTO owner_answers
    (theme, question_id, platform, tenant, user_id, text, skipped, answered_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (theme, question_id, platform, tenant, user_id) DO UPDATE SET
    text = excluded.text,
    skipped = excluded.skipped,
    answered_at = excluded.answered_at
"""


def apply_turn(turn: Turn) -> Plan[Applied | None]:
    """Applies a turn; None, having changed nothing, if its event was seen before or its job's
    claim was lost. Each kind of effect has its writer (`WRITERS`), run in the order of
    `Effects`' fields."""
    at = iso(turn.at if turn.at is not None else datetime.now(UTC))
    if not (yield from _first(turn, at)):
        raise Abort(None)
    applied = Applied()
    for kind, value in _changes(turn.effects):
        produced = yield from WRITERS[kind](value, at)
        if produced is not None:
            applied = _joined(applied, produced)
    return applied


def _first(turn: Turn, at: str) -> Plan[bool]:
    """Records the turn's event as seen and ends its job; False if the event was seen before or
    the job's claim was lost."""
    if turn.event is not None:
        inserted = yield Count(
            "INSERT INTO events_seen (platform, event_id, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (turn.event.platform, turn.event.event_id, at),
        )
        if not inserted:
            return False
    if turn.job_done is not None:
        return (yield from _job_done(turn.job_done, at))
    return True


def _changes(effects: Effects) -> list[tuple[str, Any]]:
    """Each kind of change the effects make, with its value, in the order of the fields."""
    if effects.erase is not None:  # nothing else is stored about a person erased
        effects = Effects(erase=effects.erase)
    values = ((f.name, getattr(effects, f.name)) for f in fields(Effects))
    return [(kind, value) for kind, value in values if value is not None and value != ()]


def _job_done(done: JobDone, at: str) -> Plan[bool]:
    """Ends the turn's job: done, or sending its messages under a lease; False if its claim
    was lost."""
    if done.sending_until is not None:
        return (
            yield from writes.start_sending_job(
                done.key, done.outcome, iso(done.sending_until), done.owner
            )
        )
    return (yield from writes.finish_job(done.key, done.outcome, at, done.owner))


def _joined(applied: Applied, produced: Applied) -> Applied:
    """What the turn produced so far, with what one more writer produced."""
    return replace(
        applied,
        **{f.name: v for f in fields(Applied) if (v := getattr(produced, f.name)) != f.default},
    )


# One writer per kind of effect (a field of `Effects`), given its value and the turn's time;
# it returns what its write produced for the turn's replies and slow work, if anything.


def _erase(key: PersonKey, at: str) -> Plan[Applied]:
    return Applied(erasure=(yield from writes.erase_person(key)))


def _person(person: Person, at: str) -> Plan[None]:
    yield Count(UPSERT_PERSON, person_params(person))


def _state(state: ConversationState, at: str) -> Plan[None]:
    yield Count(UPSERT_STATE, state_params(state))


def _address(address: tuple[PersonKey, str], at: str) -> Plan[None]:
    yield from writes.save_address(*address)


def _answers(answers: tuple[Answer, ...], at: str) -> Plan[None]:
    yield Many(UPSERT_ANSWER, [answer_params(a) for a in answers])


def _owner_answers(answers: tuple[OwnerAnswer, ...], at: str) -> Plan[None]:
    yield Many(UPSERT_OWNER_ANSWER, [owner_answer_params(o) for o in answers])


def _finished(finished: tuple[int, PersonKey], at: str) -> Plan[None]:
    campaign_id, key = finished
    yield Count(
        "UPDATE participants SET finished_at = ?"
        " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?",
        (at, campaign_id, key.platform, key.tenant, key.user_id),
    )


def _owners(owners: tuple[ThemeOwner, ...], at: str) -> Plan[None]:
    for owner in owners:
        yield from writes.set_theme_owner(owner)


def _owners_removed(themes: tuple[str, ...], at: str) -> Plan[None]:
    for theme in themes:
        yield from writes.remove_theme_owner(theme)


def _closed(campaign_id: int, at: str) -> Plan[Applied]:
    return Applied(closed=(yield from writes.close_campaign(campaign_id, at)))


def _campaign(new: NewCampaign, at: str) -> Plan[Applied]:
    return Applied(campaign=(yield from writes.start_campaign(new)))


def _jobs(jobs: tuple[Job, ...], at: str) -> Plan[None]:
    yield from writes.schedule(jobs)


def _approvals(approvals: tuple[Approval, ...], at: str) -> Plan[None]:
    for approval in approvals:
        yield from writes.save_approval(approval)


def _decisions(decisions: tuple[Decision, ...], at: str) -> Plan[None]:
    yield from writes.save_decisions(decisions)


Writer = Callable[[Any, str], Plan[Applied | None]]

WRITERS: Mapping[str, Writer] = {
    "erase": _erase,
    "person": _person,
    "state": _state,
    "address": _address,
    "answers": _answers,
    "owner_answers": _owner_answers,
    "finished": _finished,
    "owners": _owners,
    "owners_removed": _owners_removed,
    "closed": _closed,
    "campaign": _campaign,
    "jobs": _jobs,
    "approvals": _approvals,
    "decisions": _decisions,
}
"""The writer of each kind of effect, by its field in `Effects` (a test checks there is one
for every field)."""
