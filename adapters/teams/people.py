"""Teams audiences: people who installed the app (the bot can reach them), by name or all."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import AudienceResolution, Person
from bot.core.ports import Store


class TeamsPeople:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def resolve_audience(
        self, platform: str, tenant: str, words: Sequence[str], everyone: bool
    ) -> AudienceResolution:
        known = [p for p in await self.store.people(platform, tenant) if not p.is_bot]
        reachable = [p for p in known if await self.store.address(p.key) is not None]
        people: list[Person] = list(reachable) if everyone else []
        unknown: list[str] = []
        by_name: dict[str, list[Person]] = {}
        for person in reachable:
            for name in {person.display_name.lower(), person.display_name.split(" ")[0].lower()}:
                by_name.setdefault(name, []).append(person)
        for word in words:
            matches = by_name.get(word.strip().lstrip("@").lower(), [])
            if len(matches) == 1:
                people.append(matches[0])
            else:
                unknown.append(word)
        return AudienceResolution(tuple(people), tuple(unknown))
