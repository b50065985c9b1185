"""SQL text and small helpers of the PostgreSQL store (kept apart to keep postgres.py short).

Row conversions are shared with the SQLite store (`storage.rows`): both stores keep the
same value representation, and asyncpg Records index and unpack by position like sqlite3 rows.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# One statement for a whole batch: its command status counts the rows inserted, which is what
# SQLite's `total_changes` difference gives there. A key repeated within the batch is ignored
# after its first row, as SQLite's executemany does.
INSERT_JOBS = """
INSERT INTO jobs (key, kind, run_at, platform, tenant, user_id, campaign_id, theme)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::bigint[], $8::text[])
ON CONFLICT (key) DO NOTHING
"""

INSERT_OUTBOX = """
INSERT INTO outbox (key, campaign_id, platform, tenant, user_id, state, attempts, next_at, seq)
SELECT k, c, p, t, u, 'pending', 0, n, s
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::bigint[]) AS batch (k, c, p, t, u, n, s)
ON CONFLICT (key) DO NOTHING
"""

# A claim picks its rows `FOR UPDATE SKIP LOCKED` (rows another replica is claiming right now
# are passed over, not waited for) and updates them in the same statement. MATERIALIZED keeps
# the pick from being folded into the UPDATE, where LIMIT could be re-evaluated. The claimable
# rows are those of the SQLite store: due and pending, or held under a lease that ran out (an
# old `sending` row from before leases has none and counts as run out).
CLAIM_JOBS = """
WITH picked AS MATERIALIZED (
    SELECT key AS chosen FROM jobs
    WHERE (state = 'pending' AND run_at <= $1)
       OR (state IN ('claimed', 'sending') AND (lease_until IS NULL OR lease_until <= $1))
    ORDER BY run_at, key
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE jobs SET state = 'claimed', owner = $3, lease_until = $4,
    in_doubt = CASE WHEN state = 'sending' THEN 1 ELSE in_doubt END
FROM picked WHERE key = chosen
RETURNING key, kind, run_at, platform, tenant, user_id, campaign_id, theme, in_doubt = 1
"""

# As in SQLite, taking over an item that was being sent marks it in doubt: SET reads the old
# `state`. RETURNING gives the new row (state 'claimed') with `seq` last, to sort by.
CLAIM_OUTBOX = """
WITH picked AS MATERIALIZED (
    SELECT key AS chosen FROM outbox
    WHERE (state = 'pending' AND next_at <= $1)
       OR (state IN ('claimed', 'sending') AND (lease_until IS NULL OR lease_until <= $1))
    ORDER BY next_at, seq
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox SET owner = $3, lease_until = $4,
    in_doubt = CASE WHEN state = 'sending' THEN 1 ELSE in_doubt END,
    state = 'claimed'
FROM picked WHERE key = chosen
RETURNING key, campaign_id, platform, tenant, user_id, attempts, next_at, state, last_error,
    in_doubt, seq
"""


def advisory_key(kind: str, *parts: str) -> int:
    """A signed 64-bit advisory lock key for one thing (a person, a budget), stable across
    processes and versions (Python's hash() is neither). `kind` keeps the kinds apart."""
    digest = hashlib.blake2b("\0".join((kind, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _passwords(url: str) -> list[str]:
    try:
        parts = urlsplit(url.strip())
        found = [parts.password or ""]
    except ValueError:
        found = [url.partition("://")[2].rpartition("@")[0].partition(":")[2]]
    found += [v for k, v in parse_qsl(url.partition("?")[2]) if k.lower() == "password"]
    return [p for p in found if p]


def scrubbed(text: str, url: str) -> str:
    """`text` with any password of `url` in it masked (a driver's message may quote the URL)."""
    for password in _passwords(url):
        for form in {password, unquote(password), quote(unquote(password), safe="")}:
            text = text.replace(form, "***")
    return text


def redacted(url: str) -> str:
    """A database URL fit for a message or a log: without its password (in either place)."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = f"{userinfo.split(':', 1)[0]}@{host}"
        query = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() != "password"
        ]
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
    except ValueError:
        return url.partition("://")[0] + "://…"
