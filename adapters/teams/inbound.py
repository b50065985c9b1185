"""Teams inbound as translation: an activity, as the edge decoded it (`adapters.teams.edge`),
becomes a neutral event for the engine or says plainly what else it asks for (welcome these
people, reach a team's members, an upload, an invoke to answer) or that there is nothing to do.

Pure: no network, no store, no botbuilder; every function here answers for any activity the edge
lets through and never raises. The conversation reference a reply or a stored address needs is
botbuilder's serialization (the transport reads it back with botbuilder), so the adapter makes
it and hands it in as `here`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.teams.edge import Account, Activity
from adapters.teams.render import parse_submit
from bot.core.domain import Person, PersonKey
from bot.core.messages import Clicked, Commanded, Said

PLATFORM = "teams"

_MENTION = re.compile(r"<at>.*?</at>", re.S)


@dataclass(frozen=True)
class Ignore:
    """Nothing to do: the activity is acknowledged and changes nothing. `why` is for logs."""

    why: str


@dataclass(frozen=True)
class Welcome:
    """Keep `address` (this personal chat) as where each of `people` can be reached, and welcome
    each one the bot could not reach before."""

    people: tuple[Person, ...]
    address: str


@dataclass(frozen=True)
class ReachTeam:
    """The bot joined a team: open a personal chat with each member it cannot reach yet."""

    tenant: str


@dataclass(frozen=True)
class Upload:
    """`fileConsent/invoke`: a person's answer (`value`, as sent) to a draft's consent card."""

    person: Person
    value: Any


@dataclass(frozen=True)
class Acknowledge:
    """An invoke this bot does not offer: answered 200, nothing done."""


@dataclass(frozen=True)
class NotAnAnswer:
    """An `adaptiveCard/action` that is not an answer of this bot's cards: answered 400."""


@dataclass(frozen=True)
class Handle:
    """A neutral event for the engine, and what goes with it on Teams."""

    event: Said | Clicked | Commanded
    reach_team: bool = False  # `start` in a team channel: reach the team's members first
    answered_card: str | None = None  # the card an `Action.Submit` click answered, to update
    universal: bool = False  # `Action.Execute`: the invoke response is the answered card


Inbound = Ignore | Welcome | ReachTeam | Upload | Acknowledge | NotAnAnswer | Handle


@dataclass(frozen=True)
class _Seen:
    """One activity with what every translation reads of it."""

    activity: Activity
    sender: Account
    tenant: str
    personal: bool
    here: str
    start_words: frozenset[str]

    def person(self, account: Account) -> Person:
        return person_of(account, self.tenant, self.activity.locale)


def translate(activity: Activity, here: str, start_words: frozenset[str] = frozenset()) -> Inbound:
    """What `activity` asks of the bot. `here` is its conversation reference (where replies go);
    `start_words` are the `start` command's words in every language (a channel message that
    starts a campaign reaches the team's members first)."""
    if activity.from_ is None or activity.conversation is None:
        return Ignore("no sender or conversation")
    by_type = _BY_TYPE.get(activity.type)
    if by_type is None:
        return Ignore(f"a {activity.type} activity")
    kind = activity.conversation.conversation_type
    seen = _Seen(
        activity, activity.from_, tenant_of(activity), kind in (None, "personal"), here, start_words
    )
    return by_type(seen)


def _conversation_update(seen: _Seen) -> Inbound:
    """Members added: in a personal chat the person is welcomed (Teams adds only the bot on a
    personal install, and the person is the sender); in a team, the bot's arrival reaches the
    team's members."""
    activity = seen.activity
    bot_id = activity.recipient.id if activity.recipient is not None else None
    added = activity.members_added or ()
    bot_added = any(m.id == bot_id for m in added)
    if not seen.personal:
        return ReachTeam(seen.tenant) if bot_added else Ignore("members of a team or group")
    people = [m for m in added if m.id != bot_id]
    if not people and bot_added:
        people = [seen.sender]
    return _welcome(seen, people)


def _installation_update(seen: _Seen) -> Inbound:
    if seen.activity.action not in ("add", "add-upgrade"):
        return Ignore(f"installation {seen.activity.action}")
    if not seen.personal:
        return Ignore("installed in a team or group: conversationUpdate reaches its members")
    return _welcome(seen, [seen.sender])


def _welcome(seen: _Seen, members: list[Account]) -> Inbound:
    people = tuple(seen.person(m) for m in members if (m.role or "") != "bot")
    return Welcome(people, seen.here) if people else Ignore("nobody to welcome")


def _invoke(seen: _Seen) -> Inbound:
    activity = seen.activity
    if activity.name == "fileConsent/invoke":
        return Upload(seen.person(seen.sender), activity.value)
    if activity.name != "adaptiveCard/action":
        return Acknowledge()
    value = activity.value
    action = value.get("action") if isinstance(value, dict) else None
    picked = parse_submit(action.get("data") if isinstance(action, dict) else None)
    if picked is None or not activity.id:
        return NotAnAnswer()
    address = seen.here if seen.personal else None
    event = Clicked(activity.id, seen.person(seen.sender), picked[0], picked[1], address)
    return Handle(event, universal=True)


def _message(seen: _Seen) -> Inbound:
    activity = seen.activity
    if (seen.sender.role or "") == "bot":
        return Ignore("a bot's message")
    reach_team = not seen.personal and _starts(activity.text, seen.start_words)
    if not activity.id:
        return ReachTeam(seen.tenant) if reach_team else Ignore("a message without an id")
    event = _said(seen, activity.id)
    answered = activity.reply_to_id if isinstance(event, Clicked) else None
    return Handle(event, reach_team, answered_card=answered)


def _said(seen: _Seen, event_id: str) -> Said | Clicked | Commanded:
    """A message as an event: an `Action.Submit` pick, a command (the bot @mentioned) or text."""
    activity = seen.activity
    # Only a personal chat is where the bot may write to this person later: a message in a
    # team channel must never redirect their poll, reminders or data into that channel.
    address = seen.here if seen.personal else None
    person = seen.person(seen.sender)
    if activity.value is not None:
        picked = parse_submit(activity.value)
        if picked is None:  # the clear "empty message" answer
            return Said(event_id, person, "", address)
        return Clicked(event_id, person, picked[0], picked[1], address)
    text = activity.text or ""
    explicit = bool(_MENTION.search(text))
    text = _MENTION.sub(" ", text).strip()
    if explicit:
        return Commanded(event_id, person, text or "help", address)
    return Said(event_id, person, text, address)


_BY_TYPE: dict[str, Callable[[_Seen], Inbound]] = {
    "conversationUpdate": _conversation_update,
    "installationUpdate": _installation_update,
    "invoke": _invoke,
    "message": _message,
}


def _starts(text: str | None, start_words: frozenset[str]) -> bool:
    words = _MENTION.sub(" ", text or "").split()
    return bool(words) and words[0].lower().lstrip("/") in start_words


def tenant_of(activity: Activity) -> str:
    """The tenant an activity comes from (the conversation's, else `channelData.tenant.id`)."""
    conversation = activity.conversation
    tenant = conversation.tenant_id if conversation is not None else None
    if not tenant and isinstance(activity.channel_data, dict):
        named = activity.channel_data.get("tenant")
        tenant = named.get("id") if isinstance(named, dict) else None
    return str(tenant or "teams")


def language_of(locale: str | None) -> str | None:
    """The bot's language for a Teams locale (`nl-NL` → nl; any other → en)."""
    if not locale:
        return None
    return "nl" if locale.lower().startswith("nl") else "en"


def person_of(account: Account, tenant: str, locale: str | None) -> Person:
    """The person behind an account: keyed by their Entra (AAD) object id where Teams gives it,
    which stays the same in every conversation, else by their Teams id."""
    return teams_person(account.aad_object_id or account.id, account.name, tenant, locale)


def teams_person(user_id: str, name: str | None, tenant: str, locale: str | None) -> Person:
    """A Teams person from what any of botbuilder's or the edge's accounts holds."""
    return Person(
        key=PersonKey(PLATFORM, tenant, str(user_id)),
        display_name=str(name or ""),
        language=language_of(locale),
    )
