"""The reads of the engine's hot path, as plans (storage.sql) written once for both stores.

`person_view` answers everything one event of one person needs in a single statement: a UNION
ALL of small indexed lookups, every value cast to text so both dialects accept the one column
list, tagged by kind. `roster` reads roles, theme owners and running campaigns; the engine keeps
it in memory until `cache_version` (bumped by triggers, see the schema's version 9) moves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.domain import (
    Answer,
    CampaignState,
    OwnerAnswer,
    Participation,
    Person,
    PersonKey,
    Role,
)
from bot.core.turns import EventKey
from bot.core.views import PersonView, Roster
from storage.rows import (
    CAMPAIGN_COLUMNS,
    STATE_COLUMNS,
    THEME_OWNER_COLUMNS,
    campaign_from,
    state_from,
    theme_owner_from,
)
from storage.sql import Plan, Rows

_WHO = "platform = ? AND tenant = ? AND user_id = ?"


def _text(*columns: str, width: int = 7) -> str:
    cast = [f"CAST({c} AS TEXT)" for c in columns]
    return ", ".join(cast + ["NULL"] * (width - len(cast)))


_VERSION = f"SELECT 'v', {_text('n')} FROM cache_version"
_SEEN = f"SELECT 'e', {_text('1')} FROM events_seen WHERE platform = ? AND event_id = ?"
_PERSON = (
    f"SELECT 'p', {_text('display_name', 'language', 'time_zone', 'discipline', 'is_bot')}"
    f" FROM persons WHERE {_WHO}"
)
_STATE = f"SELECT 's', {_text(*STATE_COLUMNS.split(', '))} FROM conversation_state WHERE {_WHO}"
_PLACE = (
    f"SELECT 'r', {_text('invited_at', 'delivered', 'delivery_error', 'finished_at')}"
    f" FROM participants WHERE campaign_id = ? AND {_WHO}"
)
_ANSWERS = (
    f"SELECT 'a', {_text('question_id', 'choices', 'text', 'skipped', 'answered_at')}"
    f" FROM answers WHERE campaign_id = ? AND {_WHO}"
)
_ADDRESS = f"SELECT 'd', {_text('address')} FROM addresses WHERE {_WHO}"
_OWNER_ANSWERS = (
    f"SELECT 'o', {_text('theme', 'question_id', 'text', 'skipped', 'answered_at')}"
    f" FROM owner_answers WHERE {_WHO}"
)


def person_view(
    key: PersonKey, campaign_id: int | None, event: EventKey | None, owner: bool
) -> Plan[PersonView]:
    """One person's rows in one statement: profile, poll state, address, their part in campaign
    `campaign_id` (if any), their owner answers (if `owner`), whether `event` was seen, and the
    roster version."""
    who = (key.platform, key.tenant, key.user_id)
    parts: list[str] = [_VERSION, _PERSON, _STATE, _ADDRESS]
    params: list[Any] = [*who, *who, *who]
    if event is not None:
        parts.append(_SEEN)
        params += [event.platform, event.event_id]
    if campaign_id is not None:
        parts += [_PLACE, _ANSWERS]
        params += [campaign_id, *who, campaign_id, *who]
    if owner:
        parts.append(_OWNER_ANSWERS)
        params += who
    rows = yield Rows(" UNION ALL ".join(parts), params)
    return _view(key, campaign_id, rows)


def _int(text: str | None) -> int:
    return int(text) if text is not None else 0


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _view(key: PersonKey, campaign_id: int | None, rows: Sequence[Sequence[Any]]) -> PersonView:
    version, seen, address = 0, False, None
    person = state = participation = None
    answers: list[Answer] = []
    owner_answers: list[OwnerAnswer] = []
    for kind, *values in rows:
        a, b, c, d, e = values[:5]
        if kind == "v":
            version = _int(a)
        elif kind == "e":
            seen = True
        elif kind == "p":
            person = Person(key, a, b, c, d, is_bot=bool(_int(e)))
        elif kind == "s":
            state = state_from(key, values)
        elif kind == "r":
            assert campaign_id is not None
            participation = Participation(
                campaign_id, key, _when(a) or datetime.min, bool(_int(b)), c, _when(d)
            )
        elif kind == "a":
            assert campaign_id is not None
            answers.append(
                Answer(campaign_id, key, a, tuple(json.loads(b)), c, bool(_int(d)), _when(e))
            )
        elif kind == "d":
            address = a
        elif kind == "o":
            owner_answers.append(OwnerAnswer(a, key, b, c, bool(_int(d)), _when(e)))
    answers.sort(
        key=lambda x: (x.answered_at is not None, x.answered_at or datetime.min, x.question_id)
    )
    return PersonView(
        version, seen, person, state, participation, tuple(answers), tuple(owner_answers), address
    )


def roster() -> Plan[Roster]:
    """Roles, theme owners and running campaigns, with the version they are as of."""
    version = yield Rows("SELECT n FROM cache_version")
    roles = yield Rows(
        "SELECT platform, tenant, user_id, role FROM roles ORDER BY platform, tenant, user_id, role"
    )
    owners = yield Rows(f"SELECT {THEME_OWNER_COLUMNS} FROM theme_owners ORDER BY theme")
    running = yield Rows(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE state = ? ORDER BY id DESC",
        (CampaignState.RUNNING.value,),
    )
    return Roster(
        version=int(version[0][0]) if version else 0,
        roles=tuple((PersonKey(r[0], r[1], r[2]), Role(r[3])) for r in roles),
        owners=tuple(theme_owner_from(r) for r in owners),
        running=tuple(campaign_from(r) for r in running),
    )
