"""The edge of the Slack endpoint: every request is checked here before Bolt sees it.

In order: the signature (401 for any header that is missing, malformed, stale or wrong), then
the body against the few shapes the listeners read (msgspec models: types, sizes, nesting).
What does not fit is answered here and changes nothing:

- an event callback Slack would retry gets 200 with nothing done (and one log line);
- an event, interaction or command the bot does not handle gets 200 and is ignored;
- any other body that does not fit gets 400 with the reason.

What passes is handed to Bolt with the same text, and with the typed value decoded here
(`Verdict.payload`): the listeners translate that value (`adapters.slack.inbound`) and never
read the body again. Socket Mode brings bodies Bolt has already parsed; `inspect_parsed` puts
them through the same checks.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

import msgspec

from adapters.nesting import depth

SIGNATURE_WINDOW = 5 * 60  # seconds; Slack's own rule for a stale request
MAX_FORM_FIELDS = 100
MAX_DEPTH = 20  # the deepest real Block Kit we read (rich text in a message) is about 8

# Slack's ids: users U…/W…, teams T…/E…, channels C…/D…/G…. Anything else is not from Slack
# and must never reach a mention, a channel parameter or the database.
Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,40}$")]
# Event ids, timestamps, trigger and view ids: letters, digits and a few separators.
Token = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:\-]{1,255}$")]
# Action ids and values the bot made itself: printable, bounded (Slack allows 255 and 2000).
ActionId = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f\x7f]{1,255}$")]
Value = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f\x7f]{0,2000}$")]

HANDLED_EVENTS = frozenset({"message", "app_home_opened"})
HANDLED_INTERACTIONS = frozenset({"block_actions", "view_submission"})
COMMAND = "/imvo"
START_VIEW = "imvo_start"  # the callback id of the start form
ENVELOPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})


class Envelope(msgspec.Struct):
    """An Events API body: a callback, a URL check, or a note from Slack."""

    type: str
    team_id: Id | None = None
    event_id: Token | None = None
    challenge: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    event: msgspec.Raw = msgspec.Raw(b"")  # read only for the events the bot handles


class EventKind(msgspec.Struct):
    type: str


class MessageEvent(msgspec.Struct):
    """What `on_message` reads of a direct message."""

    type: str
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    user: Id | None = None
    team: Id | None = None
    channel: Id | None = None
    text: str | None = None
    ts: Token | None = None
    client_msg_id: Token | None = None


class HomeEvent(msgspec.Struct):
    """What `on_home` reads when someone opens the App Home."""

    type: str
    user: Id
    tab: str | None = None


@dataclass(frozen=True)
class Callback:
    """An event callback: its envelope, and its event decoded into the shape the bot reads."""

    envelope: Envelope
    event: MessageEvent | HomeEvent


class Account(msgspec.Struct):
    id: Id | None = None
    team_id: Id | None = None


class Text(msgspec.Struct):
    text: Value = ""


class Option(msgspec.Struct):
    value: Value | None = None
    text: Text | None = None


class Action(msgspec.Struct):
    action_id: ActionId
    value: Value | None = None
    selected_option: Option | None = None
    action_ts: Token | None = None
    text: Text | None = None


class Container(msgspec.Struct):
    channel_id: Id | None = None


class ClickedMessage(msgspec.Struct):
    ts: Token | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = msgspec.field(default_factory=list)


class Picked(msgspec.Struct):
    """One input of the start form, as Slack reports its state."""

    selected_users: list[Id] | None = None
    selected_conversations: list[Id] | None = None
    selected_options: list[dict[str, Any]] | None = None
    selected_date: Annotated[str, msgspec.Meta(max_length=10)] | None = None


class ViewState(msgspec.Struct):
    values: dict[str, dict[str, Picked]] = msgspec.field(default_factory=dict)


class View(msgspec.Struct):
    callback_id: str = ""
    id: Token | None = None
    hash: Token | None = None
    state: ViewState | None = None


class Interaction(msgspec.Struct):
    """A button click or a submitted form (the form field `payload`)."""

    type: str
    user: Account
    team: Account | None = None
    channel: Account | None = None
    container: Container | None = None
    actions: list[Action] = msgspec.field(default_factory=list)
    message: ClickedMessage | None = None
    view: View | None = None
    trigger_id: Token | None = None


class Command(msgspec.Struct):
    """A slash command's form fields."""

    command: str
    user_id: Id
    team_id: Id
    text: str = ""
    trigger_id: Token | None = None
    command_ts: Token | None = None
    response_url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]{1,2000}$")] | None = None


Payload = Callback | Interaction | Command
"""A body the bot handles, as decoded at the edge."""


@dataclass(frozen=True)
class Verdict:
    """What the edge decided: hand the body on to Bolt (`status` None), or answer now."""

    status: int | None
    reason: str = ""
    text: str = ""  # the body as text, for Bolt
    quiet: bool = False  # something Slack may well send that the bot does not use: no log line
    # What passed, decoded: None for what Bolt answers itself (url_verification, ssl_check).
    payload: Payload | None = None

    @property
    def passes(self) -> bool:
        return self.status is None


_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def signed(secret: str, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 signature over the raw body, within five minutes. Any header of the wrong
    form is simply not signed: never an exception."""
    if not timestamp or not signature:
        return False
    if not _TIMESTAMP.match(timestamp) or not _SIGNATURE.match(signature):
        return False
    if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest("v0=" + mac.hexdigest(), signature)


def _problem(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200] or type(exc).__name__


def inspect(raw: bytes, content_type: str) -> Verdict:
    """Checks a signed body against the shapes the bot reads."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict(400, "the body is not UTF-8")
    if "json" in content_type or text.lstrip().startswith("{"):
        return _events(raw, text)
    return _form(text)


def inspect_parsed(body: Mapping[str, Any]) -> Verdict:
    """The same checks for a body Bolt has already parsed (Socket Mode): an Events API
    envelope, a slash command's fields, or an interaction."""
    kind = body.get("type")
    if kind is None and "command" in body:
        return _command(dict(body), "")
    if isinstance(kind, str) and kind in ENVELOPES:
        # Its event is checked as raw JSON (see `_events`): encoded once, as Bolt holds no text.
        return _events(msgspec.json.encode(body), "")
    try:
        interaction = msgspec.convert(body, type=Interaction)
    except (msgspec.ValidationError, RecursionError) as exc:
        return Verdict(400, f"not an interaction payload: {_problem(exc)}")
    return _interaction(interaction, "")


def _events(raw: bytes, text: str) -> Verdict:
    try:
        envelope = msgspec.json.decode(raw, type=Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        return Verdict(400, f"not an Events API body: {_problem(exc)}")
    if envelope.type == "url_verification":
        if envelope.challenge is None:
            return Verdict(400, "url_verification without a challenge")
        return Verdict(None, text=text)
    if envelope.type != "event_callback" or not envelope.event:
        return Verdict(200, f"ignored: {envelope.type[:40]}", quiet=True)
    try:
        kind = msgspec.json.decode(envelope.event, type=EventKind).type
        if kind not in HANDLED_EVENTS:
            return Verdict(200, f"ignored: event {kind[:40]}", quiet=True)
        event: MessageEvent | HomeEvent
        if kind == "message":
            event = msgspec.json.decode(envelope.event, type=MessageEvent)
        else:
            event = msgspec.json.decode(envelope.event, type=HomeEvent)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        # Slack retries anything but a 2xx: a body that can never be handled is acknowledged.
        return Verdict(200, f"ignored: an event of an unexpected shape: {_problem(exc)}")
    return Verdict(None, text=text, payload=Callback(envelope, event))


def _form(text: str) -> Verdict:
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        return Verdict(400, f"not a form: {_problem(exc)}")
    if any(len(values) != 1 for values in fields.values()):
        return Verdict(400, "a form field given more than once")
    form = {key: values[0] for key, values in fields.items()}
    if "ssl_check" in form and "payload" not in form:
        return Verdict(None, text=text)  # Slack's check of the certificate: Bolt answers it
    if "payload" not in form:
        return _command(form, text)
    try:
        interaction = msgspec.json.decode(form["payload"].encode(), type=Interaction)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        return Verdict(400, f"not an interaction payload: {_problem(exc)}")
    return _interaction(interaction, text)


def _command(form: dict[str, Any], text: str) -> Verdict:
    try:
        command = msgspec.convert(form, type=Command)
    except msgspec.ValidationError as exc:
        return Verdict(400, f"not a slash command: {_problem(exc)}")
    if command.command != COMMAND:
        return Verdict(200, f"ignored: command {command.command[:40]}", quiet=True)
    return Verdict(None, text=text, payload=command)


def _interaction(interaction: Interaction, text: str) -> Verdict:
    if interaction.type not in HANDLED_INTERACTIONS:
        return Verdict(200, f"ignored: interaction {interaction.type[:40]}", quiet=True)
    if interaction.user.id is None:
        return Verdict(400, "an interaction without its user")
    if interaction.type == "block_actions":
        problem = _click_problem(interaction)
    else:
        view = interaction.view
        if view is not None and view.state is not None and view.callback_id != START_VIEW:
            return Verdict(200, f"ignored: view {view.callback_id[:40]}", quiet=True)
        problem = _form_problem(view)
    if problem:
        return Verdict(400, problem)
    return Verdict(None, text=text, payload=interaction)


def _click_problem(interaction: Interaction) -> str:
    if not interaction.actions:
        return "block_actions without actions"
    message = interaction.message
    if message is not None and depth(message.blocks, MAX_DEPTH) > MAX_DEPTH:
        return "the clicked message's blocks are nested too deeply"
    return ""


def _form_problem(view: View | None) -> str:
    if view is None or view.state is None:
        return "view_submission without the view's state"
    for block in view.state.values.values():
        for picked in block.values():
            if picked.selected_options and depth(picked.selected_options, MAX_DEPTH) > MAX_DEPTH:
                return "the form's options are nested too deeply"
    return ""
