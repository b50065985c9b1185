"""The Slack inbound side on slack-bolt: events, button clicks and `/imvo`, as neutral events.

Bolt checks the request signature (401 for a bad or stale one) and answers `url_verification`.
Each listener first commits the event through `Bot.receive` (so an answer is stored before
Slack hears back), then acknowledges, then delivers replies and slow work in the background.
A redelivered event carries the same `event_id` and has no effect a second time.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters import failures
from adapters.background import Background
from adapters.slack.edge import START_VIEW
from adapters.slack.people import SlackPeople
from adapters.slack.render import escape, parse_action_id, render
from adapters.slack.transport import SlackTransport
from bot.content.loader import Messages
from bot.conversation.engine import Bot
from bot.conversation.home import home_card
from bot.core.messages import Clicked, Commanded, FileShare, Message, Said, StartRequested
from bot.flows.outcome import Receipt

log = logging.getLogger("imvo.slack")

HOME_BLOCKS = 100  # Slack's limit for a Home tab view
KEPT_BLOCKS = frozenset({"section", "header", "context", "divider"})
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def unescape(text: str) -> str:
    """Slack escapes `&`, `<`, `>` in message text; the bot stores what the person typed."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


class SlackAdapter(Background):
    """Wires a Bolt AsyncApp to the bot."""

    def __init__(
        self,
        bot: Bot,
        client: AsyncWebClient,
        signing_secret: str | None,
        people: SlackPeople,
        transport: SlackTransport,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.start_words = {
            w for m in bot.services.content.messages.values() for w in m.words("commands.start")
        }
        self.people = people
        self.transport = transport
        # The signature is checked at the edge (`adapters.server`, `adapters.slack.edge`),
        # before the body is parsed; Bolt gets only what passed.
        self.signing_secret = signing_secret
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            request_verification_enabled=False,
            process_before_response=True,
        )
        self.app.event("message")(self.on_message)
        self.app.command("/imvo")(self.on_command)
        self.app.action(re.compile(r".+"))(self.on_action)
        self.app.event("app_home_opened")(self.on_home)
        self.app.view(START_VIEW)(self.on_start_form)
        self.app.error(self.on_error)

    # ------------------------------------------------------------------ background work

    def _deliver(self, receipt: Receipt, channel: str) -> None:
        async def reply(message: Message) -> None:
            await self.transport.post(channel, message)

        async def work() -> None:
            try:
                await receipt.deliver(reply)
            except Exception:
                log.exception("replying in %s failed", channel)

        self.later(work())

    # ------------------------------------------------------------------ listeners

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # only people's own direct messages; never the bot's own or edits
        user, team = event.get("user"), body.get("team_id") or event.get("team")
        if not user or not team:
            return
        person = await self.people.person(team, user)
        said = Said(
            str(body.get("event_id") or event.get("client_msg_id") or event.get("ts")),
            person,
            unescape(str(event.get("text") or "")),
        )
        receipt = await self.bot.receive(said)
        self._deliver(receipt, str(event["channel"]))

    async def on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        person = await self.people.person(
            str(body.get("team_id", "")), str(body.get("user_id", ""))
        )
        text = unescape(str(body.get("text") or ""))
        if text.strip().lower() in self.start_words and body.get("trigger_id"):
            # `start` alone: a form asks for the audience and the deadline.
            await ack()
            msgs = self.bot.sessions.pack(person).messages
            await self._open_start_form(str(body["trigger_id"]), msgs)
            return
        event_id = f"command:{body.get('trigger_id') or body.get('command_ts', '')}"
        receipt = await self.bot.receive(Commanded(event_id, person, text or "help"))
        await ack()

        async def reply(message: Message) -> None:
            if isinstance(message, FileShare):
                # Files (the policy draft) go into the person's DM; a slash reply cannot hold them.
                channel = await self.transport.dm_channel(person.key.user_id)
                await self.transport.post(channel, message)
                return
            for part in render(message):
                await respond(text=part.text, blocks=part.blocks, response_type="ephemeral")

        async def work() -> None:
            try:
                await receipt.deliver(reply)
            except Exception:
                log.exception("replying to /imvo failed")

        self.later(work())

    async def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        try:
            context, _ = parse_action_id(str(action.get("action_id", "")))
        except ValueError:
            await ack()
            return  # an action id this bot never made: nothing to do
        value = action.get("value") or (action.get("selected_option") or {}).get("value")
        user = (body.get("user") or {}).get("id")
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if not isinstance(value, str) or not user or not team:
            await ack()
            return
        if not channel:  # a click in the App Home: answer in the person's DM
            channel = await self.transport.dm_channel(user)
        person = await self.people.person(team, user)
        event_id = f"action:{action.get('action_ts')}:{user}:{action.get('action_id')}"
        receipt = await self.bot.receive(Clicked(event_id, person, context, value))
        await ack()
        message = body.get("message") or {}
        if message.get("ts"):
            self.later(self._show_choice(client, channel, message, action))
        self._deliver(receipt, channel)

    async def _show_choice(
        self, client: AsyncWebClient, channel: str, message: dict[str, Any], action: dict[str, Any]
    ) -> None:
        """Replaces the clicked message's buttons by the choice, so it cannot be clicked again."""
        label = (action.get("text") or {}).get("text") or (action.get("selected_option") or {}).get(
            "text", {}
        ).get("text", "")
        # Slack's copy of the bot's own message, put back without its buttons: only the block
        # kinds the renderer makes are kept.
        blocks = [b for b in message.get("blocks") or [] if b.get("type") in KEPT_BLOCKS]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ {label}"}]})
        try:
            await client.chat_update(
                channel=channel, ts=message["ts"], text=message.get("text", ""), blocks=blocks
            )
        except Exception:
            log.warning("could not update the clicked message in %s", channel)

    async def on_home(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """App Home: the person's progress and themes; for leads and managers, their actions."""
        if event.get("tab") not in (None, "home"):
            return
        user, team = event.get("user"), body.get("team_id")
        if not user or not team:
            return
        card = await home_card(self.bot.sessions, await self.people.person(team, user))
        blocks = [block for part in render(card) for block in part.blocks][:HOME_BLOCKS]

        async def publish() -> None:
            try:
                await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
            except Exception:
                log.warning("could not publish the App Home of %s", user)

        self.later(publish())

    async def _open_start_form(self, trigger_id: str, msgs: Messages) -> None:
        try:
            await self.app.client.views_open(trigger_id=trigger_id, view=start_form(msgs))
        except Exception:
            log.warning("could not open the start form")

    async def on_start_form(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The submitted start form becomes a neutral "start requested" event: the picks stay
        data (people, channels, everyone, a date), never text for the core to parse again."""
        values = (view.get("state") or {}).get("values") or {}

        def picked(block: str, key: str) -> Any:
            return ((values.get(block) or {}).get(block) or {}).get(key)

        audience = [f"<@{u}>" for u in picked("people", "selected_users") or []]
        audience += [f"<#{c}>" for c in picked("channels", "selected_conversations") or []]
        try:
            deadline = date.fromisoformat(str(picked("deadline", "selected_date") or ""))
        except ValueError:
            deadline = None
        user = (body.get("user") or {}).get("id")
        team = (body.get("user") or {}).get("team_id") or (body.get("team") or {}).get("id")
        if not user or not team:
            await ack()
            return
        person = await self.people.person(str(team), str(user))
        event = StartRequested(
            f"view:{view.get('id')}:{view.get('hash')}",
            person,
            tuple(str(a) for a in audience),
            everyone=bool(picked("everyone", "selected_options")),
            deadline=deadline,
        )
        receipt = await self.bot.receive(event)
        await ack()
        self._deliver(receipt, await self.transport.dm_channel(str(user)))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> BoltResponse:
        """A listener that raised: 503 when the database is away (Slack delivers the event
        again), else 400; either way an error id in the log, never Bolt's bare 500."""
        status, answer, headers = failures.answer(error, "a Slack listener")
        return BoltResponse(status=status, body=json.dumps(answer), headers=headers)


def start_form(msgs: Messages) -> dict[str, Any]:
    """The modal behind `/imvo start`: people, channels or everyone, and a deadline."""

    def plain(text: str, limit: int = 150) -> dict[str, str]:
        return {"type": "plain_text", "text": text[:limit]}

    def field(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": plain(label),
            "element": {"action_id": block_id, **element},
        }

    everyone = {"text": plain(msgs("form.everyone_option")), "value": "all"}
    return {
        "type": "modal",
        "callback_id": START_VIEW,
        "title": plain(msgs("form.title"), 24),
        "submit": plain(msgs("form.submit"), 24),
        "close": plain(msgs("form.cancel"), 24),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(msgs("form.intro"))}},
            field("people", msgs("form.people"), {"type": "multi_users_select"}),
            field(
                "channels",
                msgs("form.channels"),
                {
                    "type": "multi_conversations_select",
                    "filter": {"include": ["public", "private"]},
                },
            ),
            field("everyone", msgs("form.everyone"), {"type": "checkboxes", "options": [everyone]}),
            field("deadline", msgs("form.deadline"), {"type": "datepicker"}),
        ],
    }
