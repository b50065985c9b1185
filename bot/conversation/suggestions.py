"""Who could own a theme nobody owns yet: shown to leads and managers in `owners` and `status`."""

from __future__ import annotations

from bot.conversation.commands import Deps
from bot.core.domain import Role
from bot.flows import owners as own
from bot.flows.outcome import Session


async def candidates_by_theme(ctx: Deps, s: Session) -> dict[str, list[str]]:
    """For leads and managers: colleagues whose discipline suits each open theme."""
    if not s.may(Role.CSR_LEAD, Role.MANAGER):
        return {}
    key = s.person.key
    people = await ctx.services.people.people(key.platform, key.tenant)
    return {
        theme.key: own.candidates(theme, people, s.owners)
        for theme in s.pack.themes
        if theme.key not in s.owners
    }
