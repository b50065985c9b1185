"""What the storage tests set up in a store: the same people, the same start time, a campaign,
and a store left at an older schema version to test a migration step on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from bot.core.domain import Campaign, PersonKey
from bot.core.ports import Store
from storage import postgres_schema, sqlite_schema
from tests.stores import opened

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
LEAD = PersonKey("slack", "T1", "U0")
ANN = PersonKey("slack", "T1", "U1")
BOB = PersonKey("slack", "T1", "U2")


async def create_campaign(
    store: Store,
    audience: Sequence[PersonKey],
    *,
    platform: str = "slack",
    tenant: str = "T1",
    started_at: datetime = T0,
    deadline: date | None = None,
) -> Campaign:
    """A Dutch campaign that LEAD started for `audience`."""
    return await store.create_campaign(
        platform=platform,
        tenant=tenant,
        started_by=LEAD,
        started_at=started_at,
        language="nl",
        deadline=deadline,
        audience=list(audience),
    )


async def campaign_at_version(url: str, version: int, audience: Sequence[PersonKey]) -> Campaign:
    """Make the store at `url` with the first `version` migration steps only, as a bot of that
    version left it, holding one campaign for `audience`; the next `open_store` upgrades it."""
    schema = sqlite_schema if url.startswith("sqlite:") else postgres_schema
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:version])
        async with opened(url) as old:
            return await create_campaign(old, audience)
