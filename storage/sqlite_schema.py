"""The versioned schema of the SQLite store.

`MIGRATIONS[n]` upgrades a database from version `n` to `n + 1`; a step is a list of SQL
statements applied in one transaction together with its row in `schema_version`. Steps are
append-only: never edit a released step, add a new one.

Datetimes are ISO-8601 text in UTC with microseconds (`2024-05-01T09:30:00.000000+00:00`), so
text order is time order; dates are ISO text; booleans are 0/1; option choices are a JSON array.
"""

from __future__ import annotations

from collections.abc import Sequence


class SchemaVersionError(RuntimeError):
    """The database was written by a newer version of the bot than this one."""


SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""

_V1: tuple[str, ...] = (
    """
    CREATE TABLE persons (
        platform     TEXT NOT NULL,
        tenant       TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        language     TEXT,
        time_zone    TEXT,
        discipline   TEXT,
        is_bot       INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
        PRIMARY KEY (platform, tenant, user_id)
    )
    """,
    # A role may be granted before the person was ever seen (`imvo-bot roles grant`), so
    # roles do not reference persons.
    """
    CREATE TABLE roles (
        platform TEXT NOT NULL,
        tenant   TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        role     TEXT NOT NULL CHECK (role IN ('csr_lead', 'manager')),
        PRIMARY KEY (platform, tenant, user_id, role)
    )
    """,
    """
    CREATE TABLE campaigns (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        platform            TEXT NOT NULL,
        tenant              TEXT NOT NULL,
        started_by_platform TEXT NOT NULL,
        started_by_tenant   TEXT NOT NULL,
        started_by_user_id  TEXT NOT NULL,
        started_at          TEXT NOT NULL,
        language            TEXT NOT NULL,
        deadline            TEXT,
        state               TEXT NOT NULL DEFAULT 'running'
                            CHECK (state IN ('running', 'closed')),
        closed_at           TEXT
    )
    """,
    "CREATE INDEX campaigns_by_place ON campaigns (platform, tenant, state, id)",
    """
    CREATE TABLE participants (
        campaign_id    INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        platform       TEXT NOT NULL,
        tenant         TEXT NOT NULL,
        user_id        TEXT NOT NULL,
        invited_at     TEXT NOT NULL,
        delivered      INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
        delivery_error TEXT,
        finished_at    TEXT,
        PRIMARY KEY (campaign_id, platform, tenant, user_id)
    )
    """,
    """
    CREATE TABLE conversation_state (
        platform    TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
        step        INTEGER NOT NULL DEFAULT 0,
        phase       TEXT NOT NULL CHECK (phase IN ('idle', 'asking', 'why', 'done')),
        updated_at  TEXT,
        PRIMARY KEY (platform, tenant, user_id)
    )
    """,
    """
    CREATE TABLE answers (
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        platform    TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        question_id TEXT NOT NULL,
        choices     TEXT NOT NULL DEFAULT '[]',
        text        TEXT,
        skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
        answered_at TEXT,
        PRIMARY KEY (campaign_id, platform, tenant, user_id, question_id)
    )
    """,
    """
    CREATE TABLE events_seen (
        platform TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seen_at  TEXT NOT NULL,
        PRIMARY KEY (platform, event_id)
    )
    """,
    """
    CREATE TABLE theme_owners (
        theme        TEXT PRIMARY KEY,
        platform     TEXT NOT NULL,
        tenant       TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('proposed', 'accepted')),
        since        TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT ''
    )
    """,
)

# Version 2: which one-time follow-ups (counter-arguments, the legislation overview) a person has
# been shown, as a JSON array of keys.
_V2: Sequence[str] = (
    "ALTER TABLE conversation_state ADD COLUMN offered TEXT NOT NULL DEFAULT '[]'",
)

# Version 3: who invited a theme owner, and the owners' questionnaire answers.
_V3: Sequence[str] = (
    "ALTER TABLE theme_owners ADD COLUMN invited_by_platform TEXT",
    "ALTER TABLE theme_owners ADD COLUMN invited_by_tenant TEXT",
    "ALTER TABLE theme_owners ADD COLUMN invited_by_user_id TEXT",
    """
    CREATE TABLE owner_answers (
        theme       TEXT NOT NULL,
        question_id TEXT NOT NULL,
        platform    TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        text        TEXT,
        skipped     INTEGER NOT NULL DEFAULT 0,
        answered_at TEXT,
        PRIMARY KEY (theme, question_id, platform, tenant, user_id)
    )
    """,
)

# Version 4: the scheduler's jobs (reminders, nudges, claims that stand, weekly digests).
_V4: Sequence[str] = (
    """
    CREATE TABLE jobs (
        key         TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        run_at      TEXT NOT NULL,
        platform    TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        campaign_id INTEGER,
        theme       TEXT,
        state       TEXT NOT NULL DEFAULT 'pending',
        outcome     TEXT,
        finished_at TEXT
    )
    """,
    "CREATE INDEX jobs_due ON jobs (state, run_at)",
)

# Version 5: the figures of the last digest per campaign and recipient ("what changed since").
_V5: Sequence[str] = (
    """
    CREATE TABLE digests (
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        recipient   TEXT NOT NULL,
        at          TEXT NOT NULL,
        snapshot    TEXT NOT NULL,
        PRIMARY KEY (campaign_id, recipient)
    )
    """,
)

# Version 6: the durable outbox of poll invitations.
_V6: Sequence[str] = (
    """
    CREATE TABLE outbox (
        key         TEXT PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        platform    TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     TEXT NOT NULL,
        last_error  TEXT,
        seq         INTEGER NOT NULL
    )
    """,
    "CREATE INDEX outbox_due ON outbox (state, next_at, seq)",
)

# Version 7: where a platform can reach a person proactively (e.g. a Teams conversation reference).
_V7: Sequence[str] = (
    """
    CREATE TABLE addresses (
        platform TEXT NOT NULL,
        tenant   TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        address  TEXT NOT NULL,
        PRIMARY KEY (platform, tenant, user_id)
    )
    """,
)

# Version 8: several replicas on one store. Outbox items and jobs are claimed under a lease
# (`owner`, `lease_until`), an invitation taken over from a replica that died while sending it is
# `in_doubt`, and send budgets are shared (`send_budgets`). An old `sending` row has no lease, so
# it counts as expired and is handled as in doubt rather than silently never sent.
_V8: Sequence[str] = (
    "ALTER TABLE outbox ADD COLUMN owner TEXT",
    "ALTER TABLE outbox ADD COLUMN lease_until TEXT",
    "ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX outbox_leases ON outbox (state, lease_until)",
    "ALTER TABLE jobs ADD COLUMN owner TEXT",
    "ALTER TABLE jobs ADD COLUMN lease_until TEXT",
    "CREATE INDEX jobs_leases ON jobs (state, lease_until)",
    """
    CREATE TABLE send_budgets (
        key     TEXT PRIMARY KEY,
        rate    REAL NOT NULL,
        ceiling REAL NOT NULL,
        next_at REAL NOT NULL
    )
    """,
)

# Version 9: the roster's version. Every process keeps roles, theme owners and running
# campaigns in memory and reads `cache_version.n` with each event (in the same query as the
# person's rows); these triggers bump it on any change to those tables, by any replica, tool
# or hand-written SQL, so no process serves a stale role.
_V9: Sequence[str] = (
    "CREATE TABLE cache_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
    "INSERT INTO cache_version (id, n) VALUES (1, 0)",
    "CREATE TRIGGER roles_insert_changes_roster AFTER INSERT ON roles"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER roles_update_changes_roster AFTER UPDATE ON roles"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER roles_delete_changes_roster AFTER DELETE ON roles"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER theme_owners_insert_changes_roster AFTER INSERT ON theme_owners"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER theme_owners_update_changes_roster AFTER UPDATE ON theme_owners"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER theme_owners_delete_changes_roster AFTER DELETE ON theme_owners"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER campaigns_insert_changes_roster AFTER INSERT ON campaigns"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER campaigns_update_changes_roster AFTER UPDATE ON campaigns"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
    "CREATE TRIGGER campaigns_delete_changes_roster AFTER DELETE ON campaigns"
    " BEGIN UPDATE cache_version SET n = n + 1; END",
)

# Version 10: compiled drafts kept in the database, so every replica can hand out any of them
# (a Teams file-consent accept may land on another replica than the one that compiled it).
_V10: Sequence[str] = (
    """
    CREATE TABLE draft_files (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        media_type  TEXT NOT NULL,
        data        BLOB NOT NULL,
        created_at  TEXT NOT NULL
    )
    """,
    "CREATE INDEX draft_files_created ON draft_files (created_at)",
)

# Version 11: a job whose messages were being sent when its replica died is `in_doubt`: the
# replica taking it over asks the platform whether they arrived before sending them again.
_V11: Sequence[str] = ("ALTER TABLE jobs ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0",)

# Version 12: each compile of a campaign's draft is a version; its figures are kept, so the next
# version can say what changed.
_V12: Sequence[str] = (
    """
    CREATE TABLE draft_versions (
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        version     INTEGER NOT NULL,
        at          TEXT NOT NULL,
        snapshot    TEXT NOT NULL,
        PRIMARY KEY (campaign_id, version)
    )
    """,
)

# Version 13: the name of each Slack workspace (or Teams organisation) the bot has met, for the
# draft's cover when IMVO_COMPANY_NAME is not set.
_V13: Sequence[str] = (
    """
    CREATE TABLE workspaces (
        platform TEXT NOT NULL,
        tenant   TEXT NOT NULL,
        name     TEXT NOT NULL,
        seen_at  TEXT NOT NULL,
        PRIMARY KEY (platform, tenant)
    )
    """,
)

# Version 14: approval of a draft version by top management: who was asked, by whom, for which
# file (its hash), and what they decided.
_V14: Sequence[str] = (
    """
    CREATE TABLE approvals (
        campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        version      INTEGER NOT NULL,
        platform     TEXT NOT NULL,
        tenant       TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        draft_hash   TEXT NOT NULL,
        requested_by_platform TEXT NOT NULL,
        requested_by_tenant   TEXT NOT NULL,
        requested_by_user_id  TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        decision     TEXT NOT NULL DEFAULT 'pending',
        comment      TEXT NOT NULL DEFAULT '',
        decided_at   TEXT,
        PRIMARY KEY (campaign_id, version, platform, tenant, user_id)
    )
    """,
)

# Version 15: what waits for a person's reply besides the poll question, in columns of its own:
# when forget-me asked its question (`forget_asked`), and the question an offer of more
# information followed (`offer`). Before, they rode in `offered` as `~forget:<when>` and
# `~offer:<question>`; they are carried over (a time SQLite cannot read is dropped: the question
# is then no longer waiting, as before) and taken out of `offered`.
_V15: Sequence[str] = (
    "ALTER TABLE conversation_state ADD COLUMN forget_asked TEXT",
    "ALTER TABLE conversation_state ADD COLUMN offer TEXT",
    """
    UPDATE conversation_state SET
        forget_asked = (
            SELECT substr(value, 9) FROM json_each(offered)
            WHERE value LIKE '~forget:%' AND julianday(substr(value, 9)) IS NOT NULL LIMIT 1
        ),
        offer = (
            SELECT substr(value, 8) FROM json_each(offered) WHERE value LIKE '~offer:%' LIMIT 1
        ),
        offered = (
            SELECT json_group_array(value) FROM (
                SELECT value FROM json_each(offered) WHERE value NOT LIKE '~%' ORDER BY value
            )
        )
    WHERE offered LIKE '%"~%'
    """,
)

# Version 16: what the company decided for its policy, one row per campaign and subject (a theme's
# commitments as `theme:<key>`, or a policy-wide subject such as the mission): the menu keys
# chosen and commitments in the decider's own words (JSON arrays), free text, whether the CSR
# lead confirmed it, who decided it and when, and the draft version it first appeared in.
_V16: Sequence[str] = (
    """
    CREATE TABLE decisions (
        campaign_id         INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        subject             TEXT NOT NULL,
        choices             TEXT NOT NULL DEFAULT '[]',
        own                 TEXT NOT NULL DEFAULT '[]',
        text                TEXT NOT NULL DEFAULT '',
        state               TEXT NOT NULL CHECK (state IN ('proposed', 'confirmed')),
        decided_by_platform TEXT NOT NULL,
        decided_by_tenant   TEXT NOT NULL,
        decided_by_user_id  TEXT NOT NULL,
        decided_by_name     TEXT NOT NULL DEFAULT '',
        decided_at          TEXT NOT NULL,
        first_version       INTEGER,
        PRIMARY KEY (campaign_id, subject)
    )
    """,
)

MIGRATIONS: Sequence[Sequence[str]] = (
    _V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12, _V13, _V14, _V15,
    _V16,
)  # fmt: skip
"""Ordered migration steps; the schema version is the number of steps applied."""

LATEST_VERSION = len(MIGRATIONS)
