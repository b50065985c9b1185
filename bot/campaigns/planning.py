"""What a campaign, an ownership or a claim plans for later, as pure values: the jobs go into
the same turn as the change that caused them (bot.core.turns), so neither exists without the
other."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Job, JobKind, Person, PersonKey, Role, ThemeOwner
from bot.core.turns import NewCampaign
from bot.core.worktime import next_monday_morning, next_working_moment, reminder_moments, zone
from bot.flows.owners import CLAIM_STANDS_AFTER

NUDGE_AFTER = timedelta(days=3)


def new_campaign(
    *,
    lead: Person,
    people: Sequence[Person],
    managers: Sequence[Person],
    started_at: datetime,
    language: str,
    deadline: date | None,
    default_zone: str,
) -> NewCampaign:
    """A campaign for `people`: everyone's reminders in their own working hours, and each
    manager's first weekly digest on the next Monday morning."""
    key = lead.key
    return NewCampaign(
        platform=key.platform,
        tenant=key.tenant,
        started_by=key,
        started_at=started_at,
        language=language,
        deadline=deadline,
        audience=tuple(people),
        reminders=tuple(
            (p.key, tuple(reminder_moments(started_at, deadline, zone(p.time_zone, default_zone))))
            for p in people
        ),
        digests=tuple(
            (m.key, next_monday_morning(started_at, zone(m.time_zone, default_zone)))
            for m in managers
        ),
    )


def owner_nudge(owner: ThemeOwner, tz: ZoneInfo) -> Job:
    """One nudge to a new owner whose questionnaire is still open after a few days."""
    moment = next_working_moment(owner.since + NUDGE_AFTER, tz)
    key = f"nudge:{owner.theme}:{owner.person}"
    return Job(key, JobKind.OWNER_NUDGE, moment, owner.person, theme=owner.theme)


def claim_stands(claim: ThemeOwner, tz: ZoneInfo) -> Job:
    """The moment an uncontested claim becomes an ownership."""
    moment = next_working_moment(claim.since + CLAIM_STANDS_AFTER, tz)
    key = f"claim:{claim.theme}:{claim.person}:{claim.since.isoformat()}"
    return Job(key, JobKind.CLAIM_STANDS, moment, claim.person, theme=claim.theme)


def managers_of(roles: Sequence[tuple[PersonKey, Role]], platform: str) -> list[PersonKey]:
    """The managers on one platform, in a stable order."""
    return sorted({k for k, role in roles if role is Role.MANAGER and k.platform == platform})
