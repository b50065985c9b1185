"""The store's plain reads, by concern, as plans (storage.sql) written once for both stores.

Orders on a nullable column say NULLS FIRST (SQLite's default, not PostgreSQL's), and text
columns are byte-ordered in both (COLLATE "C" in PostgreSQL), so both stores return the same
rows in the same order.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.decisions import Decision
from bot.core.domain import (
    Answer,
    Approval,
    Campaign,
    CampaignState,
    ConversationState,
    DigestSnapshot,
    DraftFile,
    DraftVersion,
    OwnerAnswer,
    Participation,
    Person,
    PersonKey,
    Role,
    ThemeOwner,
    Verdict,
)
from storage.person_tables import KEY, PERSON_TABLES
from storage.rows import (
    ANSWER_COLUMNS,
    CAMPAIGN_COLUMNS,
    DECISION_COLUMNS,
    PARTICIPANT_COLUMNS,
    PERSON_COLUMNS,
    STATE_COLUMNS,
    THEME_OWNER_COLUMNS,
    answers_from,
    campaign_from,
    decision_from,
    digest_snapshot,
    dt,
    dt_opt,
    participation_from,
    person_from,
    state_from,
    theme_owner_from,
)
from storage.sql import Plan, Rows

WHO = " WHERE platform = ? AND tenant = ? AND user_id = ?"


def _who(key: PersonKey) -> tuple[str, str, str]:
    return (key.platform, key.tenant, key.user_id)


# ---------------------------------------------------------------------- people and roles


def person(key: PersonKey) -> Plan[Person | None]:
    rows = yield Rows(f"SELECT {PERSON_COLUMNS} FROM persons{WHO}", _who(key))
    return person_from(rows[0]) if rows else None


def people(platform: str, tenant: str) -> Plan[list[Person]]:
    rows = yield Rows(
        f"SELECT {PERSON_COLUMNS} FROM persons WHERE platform = ? AND tenant = ?"
        " ORDER BY lower(display_name), display_name, user_id",
        (platform, tenant),
    )
    return [person_from(row) for row in rows]


def roles() -> Plan[list[tuple[PersonKey, Role]]]:
    rows = yield Rows(
        "SELECT platform, tenant, user_id, role FROM roles ORDER BY platform, tenant, user_id, role"
    )
    return [(PersonKey(r[0], r[1], r[2]), Role(r[3])) for r in rows]


# ------------------------------------------------------------------------------ campaigns


def campaign(campaign_id: int) -> Plan[Campaign | None]:
    rows = yield Rows(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,))
    return campaign_from(rows[0]) if rows else None


def running_campaign(platform: str, tenant: str) -> Plan[Campaign | None]:
    rows = yield Rows(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns"
        " WHERE platform = ? AND tenant = ? AND state = ? ORDER BY id DESC LIMIT 1",
        (platform, tenant, CampaignState.RUNNING.value),
    )
    return campaign_from(rows[0]) if rows else None


def latest_campaign() -> Plan[Campaign | None]:
    rows = yield Rows(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT 1")
    return campaign_from(rows[0]) if rows else None


def participants(campaign_id: int) -> Plan[list[Participation]]:
    rows = yield Rows(
        f"SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE campaign_id = ?"
        " ORDER BY platform, tenant, user_id",
        (campaign_id,),
    )
    return [participation_from(r) for r in rows]


def participation(campaign_id: int, key: PersonKey) -> Plan[Participation | None]:
    rows = yield Rows(
        f"SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE campaign_id = ? AND"
        f"{WHO.removeprefix(' WHERE')}",
        (campaign_id, *_who(key)),
    )
    return participation_from(rows[0]) if rows else None


# --------------------------------------------------------------------------- conversation


def state(key: PersonKey) -> Plan[ConversationState | None]:
    rows = yield Rows(
        f"SELECT {STATE_COLUMNS} FROM conversation_state{WHO}",
        _who(key),
    )
    return state_from(key, rows[0]) if rows else None


def seen(platform: str, event_id: str) -> Plan[bool]:
    rows = yield Rows(
        "SELECT 1 FROM events_seen WHERE platform = ? AND event_id = ?", (platform, event_id)
    )
    return bool(rows)


def answers(campaign_id: int) -> Plan[list[Answer]]:
    rows = yield Rows(
        f"SELECT {ANSWER_COLUMNS} FROM answers WHERE campaign_id = ?"
        " ORDER BY answered_at NULLS FIRST, platform, tenant, user_id, question_id",
        (campaign_id,),
    )
    return answers_from(rows)


def answers_of(campaign_id: int, key: PersonKey) -> Plan[list[Answer]]:
    rows = yield Rows(
        f"SELECT {ANSWER_COLUMNS} FROM answers WHERE campaign_id = ? AND"
        f"{WHO.removeprefix(' WHERE')} ORDER BY answered_at NULLS FIRST, question_id",
        (campaign_id, *_who(key)),
    )
    return answers_from(rows)


# --------------------------------------------------------------------------- theme owners


def theme_owners() -> Plan[list[ThemeOwner]]:
    rows = yield Rows(f"SELECT {THEME_OWNER_COLUMNS} FROM theme_owners ORDER BY theme")
    return [theme_owner_from(r) for r in rows]


def owner_answers(key: PersonKey | None) -> Plan[list[OwnerAnswer]]:
    sql = (
        "SELECT theme, platform, tenant, user_id, question_id, text, skipped, answered_at"
        " FROM owner_answers"
    )
    params: tuple[str, ...] = ()
    if key is not None:
        sql += WHO
        params = _who(key)
    rows = yield Rows(
        sql + " ORDER BY theme, answered_at NULLS FIRST, question_id, platform, tenant, user_id",
        params,
    )
    return [
        OwnerAnswer(r[0], PersonKey(r[1], r[2], r[3]), r[4], r[5], bool(r[6]), dt_opt(r[7]))
        for r in rows
    ]


# ---------------------------------------------------------------- a person's own data


def participations_of(key: PersonKey) -> Plan[list[Participation]]:
    rows = yield Rows(
        f"SELECT {PARTICIPANT_COLUMNS} FROM participants{WHO} ORDER BY campaign_id", _who(key)
    )
    return [participation_from(r) for r in rows]


def all_answers_of(key: PersonKey) -> Plan[list[Answer]]:
    rows = yield Rows(
        f"SELECT {ANSWER_COLUMNS} FROM answers{WHO}"
        " ORDER BY campaign_id, answered_at NULLS FIRST, question_id",
        _who(key),
    )
    return answers_from(rows)


def keys_of(platform: str, user_id: str) -> Plan[list[PersonKey]]:
    """Every stored key of a user id on a platform, whatever the tenant."""
    tables = dict.fromkeys(e.table for e in PERSON_TABLES if e.columns == KEY)
    union = " UNION ".join(
        f"SELECT tenant FROM {t} WHERE platform = ? AND user_id = ?" for t in tables
    )
    rows = yield Rows(f"{union} ORDER BY 1", (platform, user_id) * len(tables))
    return [PersonKey(platform, tenant, user_id) for (tenant,) in rows]


# ------------------------------------------------------------------ digests and addresses


def last_digest(campaign_id: int, recipient: str) -> Plan[DigestSnapshot | None]:
    rows = yield Rows(
        "SELECT snapshot FROM digests WHERE campaign_id = ? AND recipient = ?",
        (campaign_id, recipient),
    )
    if not rows:
        return None
    try:
        return digest_snapshot(str(rows[0][0]))
    except ValueError:
        return None  # an unreadable old snapshot only costs the digest's "what changed" line


def draft_file(draft_id: int) -> Plan[DraftFile | None]:
    rows = yield Rows(
        "SELECT name, media_type, data FROM draft_files WHERE id = ?", (int(draft_id),)
    )
    return DraftFile(str(rows[0][0]), str(rows[0][1]), bytes(rows[0][2])) if rows else None


def last_draft_version(campaign_id: int) -> Plan[DraftVersion | None]:
    rows = yield Rows(
        "SELECT version, snapshot FROM draft_versions WHERE campaign_id = ?"
        " ORDER BY version DESC LIMIT 1",
        (campaign_id,),
    )
    return draft_version(int(rows[0][0]), str(rows[0][1])) if rows else None


def draft_version(number: int, snapshot: str) -> DraftVersion:
    """A stored version: its snapshot is JSON of the figures with the Word file's hash and id
    beside them (an unreadable snapshot reads as no figures, so it costs only "what changed")."""
    try:
        raw = json.loads(snapshot)
    except ValueError:
        raw = None
    figures = dict(raw) if isinstance(raw, dict) else {}
    docx_hash, docx_id = figures.pop("docx_hash", None), figures.pop("docx_id", None)
    return DraftVersion(
        number,
        figures,
        docx_hash if isinstance(docx_hash, str) else "",
        docx_id if type(docx_id) is int else None,
    )


def workspace_name(platform: str, tenant: str) -> Plan[str]:
    rows = yield Rows(
        "SELECT name FROM workspaces WHERE platform = ? AND tenant = ?", (platform, tenant)
    )
    return str(rows[0][0]) if rows else ""


def address(key: PersonKey) -> Plan[str | None]:
    rows = yield Rows(f"SELECT address FROM addresses{WHO}", _who(key))
    return str(rows[0][0]) if rows else None


def person_records(key: PersonKey) -> Plan[tuple[tuple[str, tuple[Any, ...]], ...]]:
    """The rows naming the person in the tables `PersonData` has no field of its own for."""
    found = []
    for entry in PERSON_TABLES:
        if not entry.exported:
            continue
        where, params = entry.where(key)
        columns = ", ".join(entry.exported)
        rows = yield Rows(f"SELECT {columns} FROM {entry.table} WHERE {where}", params)
        if rows:
            named = tuple(
                tuple(zip(entry.exported, (_plain(v) for v in row), strict=True)) for row in rows
            )
            found.append((entry.table, named))
    return tuple(found)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it (PostgreSQL hands back datetimes and such)."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def approvals(campaign_id: int) -> Plan[list[Approval]]:
    """Every approval asked for a campaign's drafts, oldest version first, with the approver's
    name as stored."""
    rows = yield Rows(
        "SELECT a.campaign_id, a.version, a.platform, a.tenant, a.user_id, a.draft_hash,"
        " a.requested_by_platform, a.requested_by_tenant, a.requested_by_user_id,"
        " a.requested_at, a.decision, a.comment, a.decided_at, COALESCE(p.display_name, '')"
        " FROM approvals a LEFT JOIN persons p ON p.platform = a.platform"
        " AND p.tenant = a.tenant AND p.user_id = a.user_id"
        " WHERE a.campaign_id = ? ORDER BY a.version, a.requested_at, a.user_id",
        (campaign_id,),
    )
    return [
        Approval(
            campaign_id=int(r[0]),
            version=int(r[1]),
            approver=PersonKey(r[2], r[3], r[4]),
            draft_hash=r[5],
            requested_by=PersonKey(r[6], r[7], r[8]),
            requested_at=dt(r[9]),
            decision=Verdict(r[10]),
            comment=r[11],
            decided_at=dt_opt(r[12]),
            approver_name=r[13],
        )
        for r in rows
    ]


def decisions(campaign_id: int) -> Plan[list[Decision]]:
    """The campaign's decisions on its policy, ordered by subject."""
    rows = yield Rows(
        f"SELECT {DECISION_COLUMNS} FROM decisions WHERE campaign_id = ? ORDER BY subject",
        (campaign_id,),
    )
    return [decision_from(r) for r in rows]
