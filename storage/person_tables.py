"""Every table that holds a person's key or id, in one list: erasure deletes (or blanks) the
person's rows in each, and an export reads each. `tests/test_erasure.py` fails when a table is
added to the schema without being named here or in `NOT_PERSONAL`, so a new kind of personal
data cannot slip past `forget-me`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from bot.core.domain import PersonKey

KEY = ("platform", "tenant", "user_id")


@dataclass(frozen=True)
class PersonTable:
    """Where a table names a person, and what erasure does with the row.

    `columns` are the (platform, tenant, user id) columns naming the person, or one text column
    holding the person as `platform:user_id` (how a digest names its recipient). `erase`:
    "delete" removes the row; "blank" keeps the row (it belongs to someone else too, such as a
    campaign the person started) and empties the person's columns. `counted` is the `Erasure`
    field its deleted rows add to (else `records`); `exported` the columns an export shows
    for tables that `PersonData` has no field of its own for.
    """

    table: str
    columns: tuple[str, ...] = KEY
    erase: Literal["delete", "blank"] = "delete"
    counted: str = "records"
    exported: tuple[str, ...] = ()
    blank: str = ""  # for "blank": the SET clause that forgets the person in a row that stays

    def where(self, key: PersonKey) -> tuple[str, tuple[str, ...]]:
        """The SQL condition picking the person's rows, with its parameters."""
        if len(self.columns) == 1:
            return f"{self.columns[0]} = ?", (str(key),)
        return (
            " AND ".join(f"{column} = ?" for column in self.columns),
            (key.platform, key.tenant, key.user_id),
        )


PERSON_TABLES: tuple[PersonTable, ...] = (
    PersonTable("owner_answers", counted="answers"),
    PersonTable("answers", counted="answers"),
    PersonTable("roles", counted="roles"),
    PersonTable("theme_owners", counted="ownerships"),
    PersonTable("participants", counted="participations"),
    PersonTable("conversation_state", counted="state"),
    PersonTable("persons", counted="profile"),
    # Approvals the person was asked for (the decision is theirs).
    PersonTable("approvals", exported=("campaign_id", "version", "decision", "comment")),
    # Approvals the person asked others for: the request stays, who asked is forgotten.
    PersonTable(
        "approvals",
        ("requested_by_platform", "requested_by_tenant", "requested_by_user_id"),
        erase="blank",
        exported=("campaign_id", "version", "requested_at"),
        blank="requested_by_user_id = ''",
    ),
    # Planned reminders, nudges, claims and digests for the person.
    PersonTable("jobs", exported=("key", "kind", "run_at", "state", "campaign_id", "theme")),
    # Invitations queued or sent to the person (the key names them too).
    PersonTable("outbox", exported=("key", "campaign_id", "state", "attempts", "last_error")),
    # Where Teams reaches the person (a conversation reference).
    PersonTable("addresses", exported=("address",)),
    # The last digest each manager got, to say what changed since.
    PersonTable("digests", ("recipient",), exported=("campaign_id", "at")),
    # A campaign the person started stays (it is everyone's); who started it is forgotten.
    PersonTable(
        "campaigns",
        ("started_by_platform", "started_by_tenant", "started_by_user_id"),
        erase="blank",
        exported=("id", "started_at", "state"),
        # NOT NULL columns: the platform and tenant stay (they are the campaign's own)
        blank="started_by_user_id = ''",
    ),
    # A theme owner the person invited stays an owner; who invited them is forgotten.
    PersonTable(
        "theme_owners",
        ("invited_by_platform", "invited_by_tenant", "invited_by_user_id"),
        erase="blank",
        exported=("theme", "state", "since"),
        blank="invited_by_platform = NULL, invited_by_tenant = NULL, invited_by_user_id = NULL",
    ),
    # A decision on the policy stays (it is the company's, and the draft quotes it); who
    # decided it is forgotten, their name at the time too, as for a campaign they started.
    PersonTable(
        "decisions",
        ("decided_by_platform", "decided_by_tenant", "decided_by_user_id"),
        erase="blank",
        exported=("campaign_id", "subject", "state", "choices", "own", "text", "decided_at"),
        blank="decided_by_user_id = '', decided_by_name = ''",
    ),
)

NOT_PERSONAL: Mapping[str, str] = MappingProxyType(
    {
        "schema_version": "the schema's version",
        "cache_version": "a counter that moves when roles, owners or campaigns change",
        "events_seen": "platform event ids, kept a few days against redelivery; no person",
        "send_budgets": "a platform's sending pace",
        "draft_versions": "each compile's figures: counts, no person",
        "draft_files": "compiled drafts and spreadsheets: answers without names or ids (theme "
        "owners are named); pruned after IMVO_RETENTION_DAYS",
        "workspaces": "the name of a Slack workspace",
        "sqlite_sequence": "SQLite's own counters",
    }
)
