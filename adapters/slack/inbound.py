"""Slack payloads, as the edge decoded them, → what the bot is asked to do (pure functions).

The edge (`adapters.slack.edge`) has checked each body's shape and decoded it once into typed
structs; here those become the core's neutral events (`bot.core.messages`), with where the
answer goes, or an explicit `Ignored`. No network, no store, no Bolt: the person in an event is
bare (their key only); the adapter adds the profile it knows or looks up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from adapters.slack.edge import (
    Action,
    Callback,
    Command,
    HomeEvent,
    Interaction,
    MessageEvent,
    Payload,
    Picked,
    View,
)
from adapters.slack.render import parse_action_id
from bot.core.domain import Person, PersonKey
from bot.core.messages import Clicked, Commanded, InboundEvent, Said, StartRequested

PLATFORM = "slack"
HELP = "help"  # what a bare `/imvo` asks for
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def unescape(text: str) -> str:
    """Slack escapes `&`, `<`, `>` in message text; the bot stores what the person typed."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


@dataclass(frozen=True)
class Shown:
    """The message whose button or select was used: its choice is shown in place of its
    controls, so that it cannot be used again. `blocks` are Slack's copy of the bot's own."""

    ts: str
    text: str
    blocks: tuple[dict[str, Any], ...]
    label: str


@dataclass(frozen=True)
class Inbound:
    """An event for the engine, and where its replies go: `channel`, or the person's DM when
    it is None (a click in the App Home, a submitted form); a slash command's replies go back
    through its response URL (`ephemeral`)."""

    event: InboundEvent
    channel: str | None = None
    shown: Shown | None = None
    ephemeral: bool = False


@dataclass(frozen=True)
class HomeOpened:
    """The person opened the App Home tab: publish their view."""

    person: Person


@dataclass(frozen=True)
class FormAsked:
    """`/imvo start` alone: open the start form (audience and deadline) for the person."""

    person: Person
    trigger_id: str


@dataclass(frozen=True)
class Ignored:
    """Nothing to do; `reason` says why (for a test or a debug line)."""

    reason: str


Step = Inbound | HomeOpened | FormAsked | Ignored
"""What one Slack payload asks of the bot."""


def bare(team: str, user: str) -> Person:
    """A person known by their key only; the adapter adds the profile."""
    return Person(PersonKey(PLATFORM, team, user))


def translate(payload: Payload | None, start_words: frozenset[str] = frozenset()) -> Step:
    """Any payload the edge passed. `start_words` are the words that alone, after `/imvo`,
    ask for the start form (`start` and its translations)."""
    if isinstance(payload, Callback):
        return from_callback(payload)
    if isinstance(payload, Interaction):
        return from_interaction(payload)
    if isinstance(payload, Command):
        return from_command(payload, start_words)
    return Ignored("no payload the bot handles")


# ---------------------------------------------------------------- events


def from_callback(callback: Callback) -> Step:
    """A direct message, or the App Home opened."""
    if isinstance(callback.event, HomeEvent):
        return _home(callback, callback.event)
    return _message(callback, callback.event)


def _own_direct(event: MessageEvent) -> bool:
    """A person's own new direct message: no edit, deletion, file share, bot or channel."""
    return event.channel_type == "im" and not event.subtype and not event.bot_id


def _message(callback: Callback, event: MessageEvent) -> Step:
    if not _own_direct(event):
        return Ignored("not a person's own direct message")
    team = callback.envelope.team_id or event.team
    if not event.user or not team:
        return Ignored("a message without its user or team")
    event_id = callback.envelope.event_id or event.client_msg_id or event.ts
    if not event_id:
        return Ignored("a message without an id to recognise it by again")
    said = Said(event_id, bare(team, event.user), unescape(event.text or ""))
    return Inbound(said, event.channel)


def _home(callback: Callback, event: HomeEvent) -> Step:
    if event.tab not in (None, "home"):
        return Ignored("the App Home's messages tab")
    team = callback.envelope.team_id
    if not team:
        return Ignored("an App Home without its team")
    return HomeOpened(bare(team, event.user))


# ---------------------------------------------------------------- slash command


def from_command(command: Command, start_words: frozenset[str] = frozenset()) -> Step:
    """`/imvo …`: a command for the engine, or the start form for `start` alone."""
    person = bare(command.team_id, command.user_id)
    text = unescape(command.text)
    if text.strip().lower() in start_words and command.trigger_id:
        return FormAsked(person, command.trigger_id)
    event_id = f"command:{command.trigger_id or command.command_ts or ''}"
    return Inbound(Commanded(event_id, person, text or HELP), ephemeral=True)


# ---------------------------------------------------------------- interactions


def from_interaction(interaction: Interaction) -> Step:
    """A click on a button or select the bot made, or the submitted start form."""
    if interaction.type == "view_submission" and interaction.view is not None:
        return _start_form(interaction, interaction.view)
    if interaction.type == "block_actions" and interaction.actions:
        return _click(interaction, interaction.actions[0])
    return Ignored(f"an interaction the bot does not handle: {interaction.type[:40]}")


def _click(interaction: Interaction, action: Action) -> Step:
    try:
        context, _ = parse_action_id(action.action_id)
    except ValueError:
        return Ignored("an action id this bot never made")
    option = action.selected_option
    value = action.value or (option.value if option is not None else None)
    user = interaction.user.id
    team = (interaction.team.id if interaction.team else None) or interaction.user.team_id
    if value is None or not user or not team:
        return Ignored("a click without its value, user or team")
    event_id = f"action:{action.action_ts}:{user}:{action.action_id}"
    clicked = Clicked(event_id, bare(team, user), context, value)
    return Inbound(clicked, _click_channel(interaction), _shown(interaction, action))


def _click_channel(interaction: Interaction) -> str | None:
    """The conversation of the clicked message; None in the App Home (answered in the DM)."""
    if interaction.channel is not None and interaction.channel.id:
        return interaction.channel.id
    return interaction.container.channel_id if interaction.container is not None else None


def _shown(interaction: Interaction, action: Action) -> Shown | None:
    message = interaction.message
    if message is None or not message.ts:
        return None
    label = action.text.text if action.text is not None else ""
    option = action.selected_option
    if not label and option is not None and option.text is not None:
        label = option.text.text
    return Shown(message.ts, message.text, tuple(message.blocks), label)


def _start_form(interaction: Interaction, view: View) -> Step:
    """The picks stay data (people, channels, everyone, a date), never text to parse again."""
    values = view.state.values if view.state is not None else {}

    def picked(block: str) -> Picked:
        return values.get(block, {}).get(block) or Picked()

    audience = [f"<@{u}>" for u in picked("people").selected_users or []]
    audience += [f"<#{c}>" for c in picked("channels").selected_conversations or []]
    user = interaction.user.id
    team = interaction.user.team_id or (interaction.team.id if interaction.team else None)
    if not user or not team:
        return Ignored("a form without its user or team")
    event = StartRequested(
        f"view:{view.id}:{view.hash}",
        bare(team, user),
        tuple(audience),
        everyone=bool(picked("everyone").selected_options),
        deadline=_date(picked("deadline").selected_date),
    )
    return Inbound(event)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None
