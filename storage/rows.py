"""Row conversions and shared statements of both stores: they keep the same value
representation (ISO text for datetimes, 0/1 for booleans, JSON text for choices), and asyncpg
Records index and unpack by position like sqlite3 rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from bot.core.decisions import Decision, DecisionState
from bot.core.domain import (
    Answer,
    Campaign,
    CampaignState,
    ConversationState,
    DigestSnapshot,
    Job,
    OwnerAnswer,
    OwnerState,
    Participation,
    Person,
    PersonKey,
    Phase,
    ThemeOwner,
)

UPSERT_PERSON = """
INSERT INTO persons
    (platform, tenant, user_id, display_name, language, time_zone, discipline, is_bot)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, tenant, user_id) DO UPDATE SET
    display_name = COALESCE(NULLIF(excluded.display_name, ''), persons.display_name),
    language = COALESCE(NULLIF(excluded.language, ''), persons.language),
    time_zone = COALESCE(NULLIF(excluded.time_zone, ''), persons.time_zone),
    discipline = COALESCE(NULLIF(excluded.discipline, ''), persons.discipline),
    is_bot = CASE WHEN excluded.is_bot = 1 THEN 1 ELSE persons.is_bot END
"""
PERSON_COLUMNS = "platform, tenant, user_id, display_name, language, time_zone, discipline, is_bot"

UPSERT_STATE = """
INSERT INTO conversation_state
    (platform, tenant, user_id, campaign_id, step, phase, updated_at, offered, forget_asked, offer)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, tenant, user_id) DO UPDATE SET
    campaign_id = excluded.campaign_id,
    step = excluded.step,
    phase = excluded.phase,
    updated_at = excluded.updated_at,
    offered = excluded.offered,
    forget_asked = excluded.forget_asked,
    offer = excluded.offer
"""
STATE_COLUMNS = "campaign_id, step, phase, updated_at, offered, forget_asked, offer"

UPSERT_ANSWER = """
INSERT INTO answers
    (campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, answered_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (campaign_id, platform, tenant, user_id, question_id) DO UPDATE SET
    choices = excluded.choices,
    text = excluded.text,
    skipped = excluded.skipped,
    answered_at = excluded.answered_at
"""
ANSWER_COLUMNS = (
    "campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, answered_at"
)

CAMPAIGN_COLUMNS = (
    "id, platform, tenant, started_by_platform, started_by_tenant, started_by_user_id,"
    " started_at, language, deadline, state, closed_at"
)

PARTICIPANT_COLUMNS = (
    "campaign_id, platform, tenant, user_id, invited_at, delivered, delivery_error, finished_at"
)


def iso(value: datetime) -> str:
    """A datetime as ISO text in UTC; fixed width, so text order is time order."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the store keeps timezone-aware datetimes only, got naive {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def iso_opt(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def dt_opt(text: str | None) -> datetime | None:
    return None if text is None else dt(text)


def person_params(person: Person) -> tuple[Any, ...]:
    key = person.key
    return (
        key.platform,
        key.tenant,
        key.user_id,
        person.display_name or "",
        person.language or None,
        person.time_zone or None,
        person.discipline or None,
        int(person.is_bot),
    )


def person_from(row: Sequence[Any]) -> Person:
    return Person(
        key=PersonKey(row[0], row[1], row[2]),
        display_name=row[3],
        language=row[4],
        time_zone=row[5],
        discipline=row[6],
        is_bot=bool(row[7]),
    )


def campaign_from(row: Sequence[Any]) -> Campaign:
    return Campaign(
        id=row[0],
        platform=row[1],
        tenant=row[2],
        started_by=PersonKey(row[3], row[4], row[5]),
        started_at=dt(row[6]),
        language=row[7],
        deadline=None if row[8] is None else date.fromisoformat(row[8]),
        state=CampaignState(row[9]),
        closed_at=dt_opt(row[10]),
    )


def participation_from(row: Sequence[Any]) -> Participation:
    return Participation(
        campaign_id=row[0],
        person=PersonKey(row[1], row[2], row[3]),
        invited_at=dt(row[4]),
        delivered=bool(row[5]),
        delivery_error=row[6],
        finished_at=dt_opt(row[7]),
    )


def answer_params(answer: Answer) -> tuple[Any, ...]:
    key = answer.person
    return (
        answer.campaign_id,
        key.platform,
        key.tenant,
        key.user_id,
        answer.question_id,
        json.dumps(list(answer.choices), ensure_ascii=False, separators=(",", ":")),
        answer.text,
        int(answer.skipped),
        iso_opt(answer.answered_at),
    )


def answers_from(rows: Iterable[Sequence[Any]]) -> list[Answer]:
    # Called on 100k+ rows at compile time: share PersonKeys and parsed choice lists (a
    # campaign has few of each) and skip per-row helper calls. Stored times always carry
    # their UTC offset, so fromisoformat gives aware datetimes.
    keys: dict[tuple[str, str, str], PersonKey] = {}
    choice_lists: dict[str, tuple[str, ...]] = {}
    from_iso = datetime.fromisoformat
    result: list[Answer] = []
    append = result.append
    for campaign_id, platform, tenant, user_id, question_id, choices, text, skipped, at in rows:
        key = keys.get((platform, tenant, user_id))
        if key is None:
            key = keys[(platform, tenant, user_id)] = PersonKey(platform, tenant, user_id)
        parsed = choice_lists.get(choices)
        if parsed is None:
            parsed = choice_lists[choices] = tuple(json.loads(choices))
        answered_at = None if at is None else from_iso(at)
        append(Answer(campaign_id, key, question_id, parsed, text, bool(skipped), answered_at))
    return result


THEME_OWNER_COLUMNS = (
    "theme, platform, tenant, user_id, state, since, display_name,"
    " invited_by_platform, invited_by_tenant, invited_by_user_id"
)


def theme_owner_from(r: Sequence[Any]) -> ThemeOwner:
    return ThemeOwner(
        theme=r[0],
        person=PersonKey(r[1], r[2], r[3]),
        state=OwnerState(r[4]),
        since=dt(r[5]),
        display_name=r[6],
        invited_by=PersonKey(r[7], r[8], r[9]) if r[7] is not None else None,
    )


def state_from(key: PersonKey, row: Sequence[Any]) -> ConversationState:
    campaign_id, step, phase, updated_at, offered, forget_asked, offer = row
    return ConversationState(
        person=key,
        campaign_id=None if campaign_id is None else int(campaign_id),
        step=int(step),
        phase=Phase(phase),
        updated_at=dt_opt(updated_at),
        offered=frozenset(json.loads(offered)),
        forget_asked=dt_opt(forget_asked),
        offer=offer,
    )


def state_params(state: ConversationState) -> tuple[Any, ...]:
    key = state.person
    return (
        key.platform,
        key.tenant,
        key.user_id,
        state.campaign_id,
        state.step,
        state.phase.value,
        iso_opt(state.updated_at),
        json.dumps(sorted(state.offered)),
        iso_opt(state.forget_asked),
        state.offer,
    )


def owner_answer_params(answer: OwnerAnswer) -> tuple[Any, ...]:
    key = answer.person
    return (
        answer.theme,
        answer.question_id,
        key.platform,
        key.tenant,
        key.user_id,
        answer.text,
        int(answer.skipped),
        iso_opt(answer.answered_at),
    )


def job_params(job: Job) -> tuple[Any, ...]:
    key = job.person
    return (
        job.key,
        job.kind.value,
        iso(job.run_at),
        key.platform,
        key.tenant,
        key.user_id,
        job.campaign_id,
        job.theme,
    )


def digest_json(snapshot: DigestSnapshot) -> str:
    """A digest's figures as the JSON the `digests` table keeps."""
    return json.dumps({**asdict(snapshot), "at": snapshot.at.isoformat()}, sort_keys=True)


def digest_snapshot(text: str) -> DigestSnapshot:
    """Reads `digest_json`'s output; raises ValueError (JSON errors included) on anything else."""
    raw: Any = json.loads(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("at"), str):
        raise ValueError("digest snapshot: must be an object with a text `at`")
    counts: dict[str, int] = {}
    for name in ("invited", "responded", "finished", "owners_accepted"):
        value = raw.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"digest snapshot: `{name}` must be a whole number >= 0")
        counts[name] = value
    return DigestSnapshot(at=datetime.fromisoformat(raw["at"]), **counts)


# A decision replaces the one before on its subject; the draft version it first appeared in is
# kept only while what was decided (choices, own words, text) stays the same.
UPSERT_DECISION = """
INSERT INTO decisions
    (campaign_id, subject, choices, own, text, state, decided_by_platform, decided_by_tenant,
     decided_by_user_id, decided_by_name, decided_at, first_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (campaign_id, subject) DO UPDATE SET
    choices = excluded.choices,
    own = excluded.own,
    text = excluded.text,
    state = excluded.state,
    decided_by_platform = excluded.decided_by_platform,
    decided_by_tenant = excluded.decided_by_tenant,
    decided_by_user_id = excluded.decided_by_user_id,
    decided_by_name = excluded.decided_by_name,
    decided_at = excluded.decided_at,
    first_version = CASE
        WHEN decisions.choices = excluded.choices AND decisions.own = excluded.own
            AND decisions.text = excluded.text
        THEN decisions.first_version
    END
"""
DECISION_COLUMNS = (
    "campaign_id, subject, choices, own, text, state, decided_by_platform, decided_by_tenant,"
    " decided_by_user_id, decided_by_name, decided_at, first_version"
)


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def decision_params(decision: Decision) -> tuple[Any, ...]:
    d, key = decision, decision.decided_by
    return (
        d.campaign_id, d.subject, _json_list(d.choices), _json_list(d.own), d.text,
        d.state.value, key.platform, key.tenant, key.user_id, d.decided_by_name,
        iso(d.decided_at), d.first_version,
    )  # fmt: skip


def decision_from(r: Sequence[Any]) -> Decision:
    return Decision(
        campaign_id=int(r[0]),
        subject=r[1],
        choices=tuple(json.loads(r[2])),
        own=tuple(json.loads(r[3])),
        text=r[4],
        state=DecisionState(r[5]),
        decided_by=PersonKey(r[6], r[7], r[8]),
        decided_by_name=r[9],
        decided_at=dt(r[10]),
        first_version=None if r[11] is None else int(r[11]),
    )
