"""Every write of the bot's conversation, written once for both stores as plans (storage.sql).

A turn's writers (storage.turns, one per kind of effect) and the stores' single-purpose write
methods (`create_campaign`, `set_theme_owner`, …, used by the CLI and the tests) run the same
plans, so a statement exists once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.core.decisions import Decision
from bot.core.domain import (
    Approval,
    Campaign,
    CampaignState,
    Delivery,
    DraftFile,
    Erasure,
    Job,
    OutboxItem,
    Person,
    PersonKey,
    Role,
    ThemeOwner,
    Verdict,
)
from bot.core.turns import NewCampaign
from storage.person_tables import PERSON_TABLES
from storage.rows import (
    CAMPAIGN_COLUMNS,
    PERSON_COLUMNS,
    UPSERT_DECISION,
    UPSERT_PERSON,
    campaign_from,
    decision_params,
    iso,
    job_params,
    person_from,
    person_params,
)
from storage.sql import Count, Lock, Many, Plan, Rows

OUTBOX_LOCK = 0x494D_564F_4F55_5458
"""The lock a plan holds while it numbers invitations after the highest `seq`, so two batches
enqueued at once never share sequence numbers ("IMVOOUTX")."""

WHO = " WHERE platform = ? AND tenant = ? AND user_id = ?"

UPSERT_THEME_OWNER = """
INSERT INTO theme_owners
    (theme, platform, tenant, user_id, state, since, display_name,
     invited_by_platform, invited_by_tenant, invited_by_user_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (theme) DO UPDATE SET
    platform = excluded.platform,
    tenant = excluded.tenant,
    user_id = excluded.user_id,
    state = excluded.state,
    since = excluded.since,
    display_name = excluded.display_name,
    invited_by_platform = excluded.invited_by_platform,
    invited_by_tenant = excluded.invited_by_tenant,
    invited_by_user_id = excluded.invited_by_user_id
"""

INSERT_JOB = (
    "INSERT INTO jobs (key, kind, run_at, platform, tenant, user_id, campaign_id, theme)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
)

# The tables erasure empties for a person, with the name each count is reported under (None:
# removed but not counted, as it holds nothing the person told the bot).


def _who(key: PersonKey) -> tuple[str, str, str]:
    return (key.platform, key.tenant, key.user_id)


# ------------------------------------------------------------------------------- campaigns


def create_campaign(
    platform: str,
    tenant: str,
    started_by: PersonKey,
    started_at: datetime,
    language: str,
    deadline: date | None,
    audience: Sequence[PersonKey],
) -> Plan[Campaign]:
    """A running campaign and its participants (nothing else: see `start_campaign`)."""
    started = iso(started_at)
    rows = yield Rows(
        "INSERT INTO campaigns (platform, tenant, started_by_platform, started_by_tenant,"
        " started_by_user_id, started_at, language, deadline, state)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CAMPAIGN_COLUMNS}",
        (
            platform,
            tenant,
            *_who(started_by),
            started,
            language,
            None if deadline is None else deadline.isoformat(),
            CampaignState.RUNNING.value,
        ),
    )
    campaign = campaign_from(rows[0])
    yield Many(
        "INSERT INTO participants (campaign_id, platform, tenant, user_id, invited_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(campaign.id, *_who(k), started) for k in audience],
    )
    return campaign


def start_campaign(new: NewCampaign) -> Plan[Campaign]:
    """A campaign with its audience's profiles, invitations queued and reminders planned."""
    yield Many(UPSERT_PERSON, [person_params(p) for p in new.audience])
    campaign = yield from create_campaign(
        new.platform,
        new.tenant,
        new.started_by,
        new.started_at,
        new.language,
        new.deadline,
        [p.key for p in new.audience],
    )
    yield from enqueue(new.invitations(campaign.id))
    yield from schedule(new.jobs(campaign.id))
    return campaign


def close_campaign(campaign_id: int, at: str) -> Plan[bool]:
    changed = yield Count(
        "UPDATE campaigns SET state = ?, closed_at = ? WHERE id = ? AND state = ?",
        (CampaignState.CLOSED.value, at, campaign_id, CampaignState.RUNNING.value),
    )
    return bool(changed)


# -------------------------------------------------------------------------- theme owners


def set_theme_owner(owner: ThemeOwner) -> Plan[None]:
    lead = owner.invited_by
    yield Count(
        UPSERT_THEME_OWNER,
        (
            owner.theme,
            *_who(owner.person),
            owner.state.value,
            iso(owner.since),
            owner.display_name,
            lead.platform if lead else None,
            lead.tenant if lead else None,
            lead.user_id if lead else None,
        ),
    )


def remove_theme_owner(theme: str) -> Plan[bool]:
    changed = yield Count("DELETE FROM theme_owners WHERE theme = ?", (theme,))
    return bool(changed)


# ------------------------------------------------------------------------ jobs and outbox


def schedule(jobs: Sequence[Job]) -> Plan[None]:
    """Adds jobs, ignoring keys planned before. (The stores' `schedule` methods, which count
    what was new, keep their own batch statements.)"""
    if jobs:
        yield Many(INSERT_JOB, [job_params(j) for j in jobs])


def finish_job(key: str, outcome: str, at: str, owner: str) -> Plan[bool]:
    """Marks a job that `owner` holds (claimed, or sending its messages) done; False if the
    claim was lost or it is done already."""
    changed = yield Count(
        "UPDATE jobs SET state = 'done', outcome = ?, finished_at = ?, lease_until = NULL"
        " WHERE key = ? AND state IN ('claimed', 'sending') AND owner = ?",
        (outcome, at, key, owner),
    )
    return bool(changed)


def start_sending_job(key: str, outcome: str, until: str, owner: str) -> Plan[bool]:
    """A job that `owner` holds now sends its messages, under a lease until `until`."""
    changed = yield Count(
        "UPDATE jobs SET state = 'sending', outcome = ?, lease_until = ?"
        " WHERE key = ? AND state = 'claimed' AND owner = ?",
        (outcome, until, key, owner),
    )
    return bool(changed)


def release_claims(owner: str) -> Plan[int]:
    """Hands back the jobs and invitations `owner` claimed and did not start."""
    jobs = yield Count(
        "UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL"
        " WHERE state = 'claimed' AND owner = ?",
        (owner,),
    )
    invitations = yield Count(
        "UPDATE outbox SET state = 'pending', owner = NULL, lease_until = NULL"
        " WHERE state = 'claimed' AND owner = ?",
        (owner,),
    )
    return int(jobs) + int(invitations)


def prune(before: str, batch: int) -> Plan[dict[str, int]]:
    """Forgets what is past the retention period, at most `batch` rows of each kind."""
    events = yield Count(
        "DELETE FROM events_seen WHERE (platform, event_id) IN"
        " (SELECT platform, event_id FROM events_seen WHERE seen_at < ? LIMIT ?)",
        (before, batch),
    )
    jobs = yield Count(
        "DELETE FROM jobs WHERE key IN"
        " (SELECT key FROM jobs WHERE state = 'done' AND finished_at < ? LIMIT ?)",
        (before, batch),
    )
    sends = yield Count(
        "DELETE FROM outbox WHERE key IN (SELECT key FROM outbox"
        " WHERE state IN ('sent', 'failed', 'uncertain') AND campaign_id IN"
        " (SELECT id FROM campaigns WHERE closed_at IS NOT NULL AND closed_at < ?) LIMIT ?)",
        (before, batch),
    )
    drafts = yield Count(
        "DELETE FROM draft_files WHERE id IN"
        " (SELECT id FROM draft_files WHERE created_at < ? LIMIT ?)",
        (before, batch),
    )
    return {"events": int(events), "jobs": int(jobs), "sends": int(sends), "drafts": int(drafts)}


def save_drafts(campaign_id: int, files: Sequence[DraftFile], at: str) -> Plan[tuple[int, ...]]:
    """Keeps a compiled draft's files; their ids in order."""
    ids: list[int] = []
    for file in files:
        rows = yield Rows(
            "INSERT INTO draft_files (campaign_id, name, media_type, data, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (campaign_id, file.name, file.media_type, file.data, at),
        )
        ids.append(int(rows[0][0]))
    return tuple(ids)


def new_draft_version(campaign_id: int, at: str, snapshot: str) -> Plan[int]:
    """The next version of a campaign's draft, with its figures."""
    rows = yield Rows(
        "INSERT INTO draft_versions (campaign_id, version, at, snapshot)"
        " SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ? FROM draft_versions WHERE campaign_id = ?"
        " RETURNING version",
        (campaign_id, at, snapshot, campaign_id),
    )
    return int(rows[0][0])


def save_approval(approval: Approval) -> Plan[None]:
    """Asks an approver (kept as it is if asked before), or records their decision."""
    a = approval
    if a.decision is Verdict.PENDING:
        yield Count(
            "INSERT INTO approvals (campaign_id, version, platform, tenant, user_id, draft_hash,"
            " requested_by_platform, requested_by_tenant, requested_by_user_id, requested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (a.campaign_id, a.version, *_who(a.approver), a.draft_hash,
             *_who(a.requested_by), iso(a.requested_at)),
        )  # fmt: skip
        return
    yield Count(
        "UPDATE approvals SET decision = ?, comment = ?, decided_at = ?"
        " WHERE campaign_id = ? AND version = ? AND platform = ? AND tenant = ? AND user_id = ?",
        (a.decision.value, a.comment, iso(a.decided_at or a.requested_at), a.campaign_id,
         a.version, *_who(a.approver)),
    )  # fmt: skip


def save_decisions(decisions: Sequence[Decision]) -> Plan[None]:
    """Records decisions, each replacing the campaign's decision on its subject (see
    `UPSERT_DECISION` for the version it first appeared in)."""
    if decisions:
        yield Many(UPSERT_DECISION, [decision_params(d) for d in decisions])


def mark_first_version(campaign_id: int, version: int) -> Plan[int]:
    """Records `version` as the draft version in which the campaign's decisions that have none
    yet first appear; returns how many were marked."""
    changed = yield Count(
        "UPDATE decisions SET first_version = ? WHERE campaign_id = ? AND first_version IS NULL",
        (version, campaign_id),
    )
    return int(changed)


def save_workspace(platform: str, tenant: str, name: str, at: str) -> Plan[None]:
    """Remembers a workspace's (or organisation's) name; a later name replaces it."""
    yield Count(
        "INSERT INTO workspaces (platform, tenant, name, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (platform, tenant) DO UPDATE SET name = excluded.name,"
        " seen_at = excluded.seen_at",
        (platform, tenant, name, at),
    )


def enqueue(items: Sequence[OutboxItem]) -> Plan[None]:
    """Queues invitations after the highest sequence number, ignoring keys queued before."""
    if not items:
        return
    yield Lock(OUTBOX_LOCK)
    rows = yield Rows("SELECT COALESCE(MAX(seq), 0) FROM outbox")
    start = int(rows[0][0])
    yield Many(
        "INSERT INTO outbox (key, campaign_id, platform, tenant, user_id, state, attempts,"
        " next_at, seq) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (key) DO NOTHING",
        [
            (i.key, i.campaign_id, *_who(i.person), iso(i.next_at) if i.next_at else "", start + n)
            for n, i in enumerate(items, start=1)
        ],
    )


# ------------------------------------------------------------------------------- privacy


def erase_person(key: PersonKey) -> Plan[Erasure]:
    """Deletes every row of one person and forgets them in rows that stay (every table of
    `PERSON_TABLES`); returns what was removed, counted per kind."""
    counts: dict[str, int] = {}
    for entry in PERSON_TABLES:
        where, params = entry.where(key)
        if entry.erase == "delete":
            changed = yield Count(f"DELETE FROM {entry.table} WHERE {where}", params)
        else:
            changed = yield Count(f"UPDATE {entry.table} SET {entry.blank} WHERE {where}", params)
        counts[entry.counted] = counts.get(entry.counted, 0) + changed
    return Erasure(**counts)


def save_address(key: PersonKey, address: str) -> Plan[None]:
    yield Count(
        "INSERT INTO addresses (platform, tenant, user_id, address) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (platform, tenant, user_id) DO UPDATE SET address = excluded.address",
        (*_who(key), address),
    )


# ------------------------------------------------------------------- people and deliveries


def upsert_person(person: Person) -> Plan[Person]:
    """Inserts or updates a person (an empty field keeps what was stored); returns the row."""
    yield Count(UPSERT_PERSON, person_params(person))
    rows = yield Rows(f"SELECT {PERSON_COLUMNS} FROM persons{WHO}", _who(person.key))
    return person_from(rows[0])


def set_role(key: PersonKey, role: Role, granted: bool) -> Plan[bool]:
    if granted:
        sql = (
            "INSERT INTO roles (platform, tenant, user_id, role) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
    else:
        sql = f"DELETE FROM roles{WHO} AND role = ?"
    changed = yield Count(sql, (*_who(key), role.value))
    return bool(changed)


def mark_delivery(campaign_id: int, key: PersonKey, delivery: Delivery) -> Plan[None]:
    yield Count(
        "UPDATE participants SET delivered = ?, delivery_error = ?"
        " WHERE campaign_id = ? AND platform = ? AND tenant = ? AND user_id = ?",
        (int(delivery.ok), None if delivery.ok else delivery.error, campaign_id, *_who(key)),
    )


def record_digest(campaign_id: int, recipient: str, at: str, snapshot: str) -> Plan[None]:
    yield Count(
        "INSERT INTO digests (campaign_id, recipient, at, snapshot) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (campaign_id, recipient) DO UPDATE SET at = excluded.at,"
        " snapshot = excluded.snapshot",
        (campaign_id, recipient, at, snapshot),
    )
