"""Slack people: profiles (name, time zone, language from locale) and `start` audiences."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.domain import AudienceResolution, Person, PersonKey
from bot.core.ports import Clock, PlatformRefused, Store

PLATFORM = "slack"
MAX_WORKSPACE_NAME = 120  # as IMVO_COMPANY_NAME
log = logging.getLogger("imvo.slack")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_USER = re.compile(r"^@?([UW][A-Z0-9]{6,})$")
# Errors that mean "this word names nothing the bot can use", not "the call failed".
_NOT_FOUND = frozenset({"channel_not_found", "user_not_found", "not_in_channel", "users_not_found"})


def refused(action: str, exc: Exception) -> PlatformRefused:
    """A failed Web API call as the core's PlatformRefused: the error code and, for a missing
    permission, the scope Slack says is needed."""
    if isinstance(exc, SlackApiError):
        answer = exc.response
        error = str(answer.get("error") or "error") if answer is not None else "error"
        needed = str(answer.get("needed") or "") if answer is not None else ""
        return PlatformRefused(PLATFORM, action, error, needed)
    return PlatformRefused(PLATFORM, action, f"unreachable: {type(exc).__name__}")


def language_of(locale: str | None) -> str | None:
    """nl-NL → nl; any other known locale → en; unknown → None (the default applies)."""
    if not locale:
        return None
    return "nl" if locale.lower().startswith("nl") else "en"


def person_from(user: dict[str, Any], team: str) -> Person:
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or ""
    return Person(
        key=PersonKey(PLATFORM, user.get("team_id") or team, user["id"]),
        display_name=str(name),
        language=language_of(user.get("locale")),
        time_zone=user.get("tz"),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
    )


class SlackPeople:
    """Looks people up through the Web API, with a small cache of profiles.

    `known` reads a stored profile: a person the bot has met before (also before a restart) is
    taken from it, so their answer costs no `users.info` call before the acknowledgement."""

    def __init__(
        self,
        client: AsyncWebClient,
        include_guests: bool = False,
        known: Callable[[PersonKey], Awaitable[Person | None]] | None = None,
    ) -> None:
        self.client = client
        self.include_guests = include_guests
        self.known = known
        self._cache: dict[tuple[str, str], Person] = {}

    async def person(self, team: str, user_id: str) -> Person:
        """The profile of a user; a bare Person when Slack cannot say more."""
        cached = self._cache.get((team, user_id))
        if cached is not None:
            return cached
        stored = await self.known(PersonKey(PLATFORM, team, user_id)) if self.known else None
        if stored is not None and stored.display_name:
            self._cache[(team, user_id)] = stored
            return stored
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
            person = person_from(response["user"], team)
        except (SlackApiError, KeyError, TypeError):
            return Person(PersonKey(PLATFORM, team, user_id))
        self._cache[(team, user_id)] = person
        return person

    async def _everyone(self, team: str) -> AsyncIterator[Person]:
        cursor = None
        while True:
            try:
                response = await self.client.users_list(
                    limit=200, cursor=cursor, include_locale=True
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                raise refused("list_people", exc) from exc
            for user in response.get("members") or []:
                if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                    continue
                guest = user.get("is_restricted") or user.get("is_ultra_restricted")
                if guest and not self.include_guests:
                    continue
                yield person_from(user, team)
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def _members(self, channel: str) -> list[str]:
        members: list[str] = []
        cursor = None
        while True:
            response = await self.client.conversations_members(
                channel=channel, limit=200, cursor=cursor
            )
            members += response.get("members") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    async def resolve_audience(
        self, platform: str, tenant: str, words: Sequence[str], everyone: bool
    ) -> AudienceResolution:
        """`<@U…>` mentions, `<#C…>` channels (their human members), or everyone active."""
        people: list[Person] = []
        unknown: list[str] = []
        if everyone:
            people += [p async for p in self._everyone(tenant)]
        for word in words:
            user = _USER.match(word) or _BARE_USER.match(word)
            channel = _CHANNEL.match(word)
            try:
                if user:
                    people.append(await self.person(tenant, user.group(1)))
                elif channel:
                    for member in await self._members(channel.group(1)):
                        people.append(await self.person(tenant, member))
                else:
                    unknown.append(word)
            except SlackApiError as exc:
                if exc.response is None or exc.response.get("error") not in _NOT_FOUND:
                    raise refused("list_members", exc) from exc
                unknown.append(word)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise refused("list_members", exc) from exc
        return AudienceResolution(tuple(p for p in people if not p.is_bot), tuple(unknown))


async def remember_workspace(client: AsyncWebClient, store: Store, clock: Clock) -> None:
    """Keeps the workspace's name, which the draft's cover shows when `IMVO_COMPANY_NAME` is not
    set. `auth.test` tells it and needs no scope; if Slack does not answer, the draft simply
    names no company, so a failure is only logged."""
    try:
        response = await client.auth_test()
        team, name = str(response["team_id"]), " ".join(str(response.get("team", "")).split())
    except Exception as exc:  # a name for a cover page must never stop the bot
        log.warning("Slack did not tell the workspace's name (%s)", type(exc).__name__)
        return
    if team and name:
        await store.save_workspace(PLATFORM, team, name[:MAX_WORKSPACE_NAME], clock.now())
