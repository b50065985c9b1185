"""The Slack inbound side on slack-bolt: events, button clicks and `/imvo`, as neutral events.

The edge (`adapters.slack.edge`) checks each body and decodes it once into typed structs; that
value reaches the listeners through Bolt's context (`PAYLOAD`), and `adapters.slack.inbound`
translates it. Each listener then commits the event through `Bot.receive` (so an answer is
stored before Slack hears back), acknowledges, and delivers replies and slow work in the
background. A redelivered event carries the same `event_id` and has no effect a second time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters import failures
from adapters.background import Background
from adapters.slack import edge, inbound
from adapters.slack.edge import START_VIEW
from adapters.slack.inbound import FormAsked, HomeOpened, Inbound, Shown
from adapters.slack.people import SlackPeople
from adapters.slack.render import escape, render
from adapters.slack.transport import SlackTransport
from bot.content.loader import Messages
from bot.conversation.engine import Bot
from bot.conversation.home import home_card
from bot.core.domain import Person
from bot.core.messages import FileShare, Message
from bot.flows.outcome import Receipt

log = logging.getLogger("imvo.slack")

PAYLOAD = "imvo_payload"  # the key of the edge's decoded payload in Bolt's context
HOME_BLOCKS = 100  # Slack's limit for a Home tab view
KEPT_BLOCKS = frozenset({"section", "header", "context", "divider"})
Ack = Callable[[], Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]


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
        self.start_words = frozenset(
            w for m in bot.services.content.messages.values() for w in m.words("commands.start")
        )
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
        self.app.use(self.checked)
        self.app.event("message")(self.on_message)
        self.app.command("/imvo")(self.on_command)
        self.app.action(re.compile(r".+"))(self.on_action)
        self.app.event("app_home_opened")(self.on_home)
        self.app.view(START_VIEW)(self.on_start_form)
        self.app.error(self.on_error)

    # ------------------------------------------------------------------ feeding Bolt

    async def dispatch(
        self, verdict: edge.Verdict, query: str, headers: Mapping[str, str]
    ) -> BoltResponse:
        """A body that passed the edge, into Bolt with its decoded payload."""
        request = AsyncBoltRequest(
            body=verdict.text,
            query=query,
            headers=dict(headers),
            context={PAYLOAD: verdict.payload},
        )
        return await self.app.async_dispatch(request)

    async def checked(
        self, request: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Socket Mode brings bodies that never passed the edge: they are checked and decoded
        here (an HTTP body already was, in `dispatch`). What does not fit is acknowledged with
        nothing done, as Slack would otherwise deliver it again."""
        if PAYLOAD not in request.context:
            verdict = edge.inspect_parsed(request.body)
            if not verdict.passes:
                if not verdict.quiet:
                    log.warning("Slack payload not handled: %s", verdict.reason)
                return BoltResponse(status=200, body="")
            request.context[PAYLOAD] = verdict.payload
        return await next()

    def _step(self, context: AsyncBoltContext) -> inbound.Step:
        return inbound.translate(context.get(PAYLOAD), self.start_words)

    async def _profile(self, person: Person) -> Person:
        """The person's profile: cached, else stored, else from `users.info`."""
        return await self.people.person(person.key.tenant, person.key.user_id)

    async def _receive(self, step: Inbound) -> tuple[Person, Receipt]:
        person = await self._profile(step.event.person)
        receipt = await self.bot.receive(dataclasses.replace(step.event, person=person))
        return person, receipt

    # ------------------------------------------------------------------ background work

    def _deliver(self, receipt: Receipt, channel: str) -> None:
        async def reply(message: Message) -> None:
            await self.transport.post(channel, message)

        self._later_replies(receipt, reply, f"replying in {channel} failed")

    def _later_replies(
        self, receipt: Receipt, reply: Callable[[Message], Awaitable[None]], failure: str
    ) -> None:
        async def work() -> None:
            try:
                await receipt.deliver(reply)
            except Exception:
                log.exception(failure)

        self.later(work())

    # ------------------------------------------------------------------ listeners

    async def on_message(self, context: AsyncBoltContext) -> None:
        """A person's own direct message (a thread reply included): answered in that DM."""
        step = self._step(context)
        if not isinstance(step, Inbound):
            return
        person, receipt = await self._receive(step)
        self._deliver(receipt, step.channel or await self.transport.dm_channel(person.key.user_id))

    async def on_command(self, ack: Ack, context: AsyncBoltContext, respond: Respond) -> None:
        """`/imvo …`: answered privately through the command's response URL."""
        step = self._step(context)
        if isinstance(step, FormAsked):
            msgs = self.bot.sessions.pack(await self._profile(step.person)).messages
            await ack()
            await self._open_start_form(step.trigger_id, msgs)
            return
        if not isinstance(step, Inbound):
            await ack()
            return
        person, receipt = await self._receive(step)
        await ack()
        self._later_replies(receipt, self._responder(person, respond), "replying to /imvo failed")

    def _responder(self, person: Person, respond: Respond) -> Callable[[Message], Awaitable[None]]:
        async def reply(message: Message) -> None:
            if isinstance(message, FileShare):
                # Files (the policy draft) go into the person's DM; a slash reply cannot hold them.
                channel = await self.transport.dm_channel(person.key.user_id)
                await self.transport.post(channel, message)
                return
            for part in render(message):
                await respond(text=part.text, blocks=part.blocks, response_type="ephemeral")

        return reply

    async def on_action(self, ack: Ack, context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """A click on a button or select the bot made."""
        step = self._step(context)
        if not isinstance(step, Inbound):
            await ack()
            return  # e.g. an action id this bot never made: nothing to do
        # A click in the App Home has no channel: the answer goes to the person's DM.
        user = step.event.person.key.user_id
        channel = step.channel or await self.transport.dm_channel(user)
        _, receipt = await self._receive(step)
        await ack()
        if step.shown is not None:
            self.later(self._show_choice(client, channel, step.shown))
        self._deliver(receipt, channel)

    async def _show_choice(self, client: AsyncWebClient, channel: str, shown: Shown) -> None:
        """Replaces the clicked message's buttons by the choice, so it cannot be clicked again."""
        try:
            await client.chat_update(
                channel=channel, ts=shown.ts, text=shown.text, blocks=choice_shown(shown)
            )
        except Exception:
            log.warning("could not update the clicked message in %s", channel)

    async def on_home(self, context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """App Home: the person's progress and themes; for leads and managers, their actions."""
        step = self._step(context)
        if not isinstance(step, HomeOpened):
            return
        card = await home_card(self.bot.sessions, await self._profile(step.person))
        blocks = [block for part in render(card) for block in part.blocks][:HOME_BLOCKS]
        user = step.person.key.user_id

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

    async def on_start_form(self, ack: Ack, context: AsyncBoltContext) -> None:
        """The submitted start form: a neutral "start requested" event, answered in the DM."""
        step = self._step(context)
        if not isinstance(step, Inbound):
            await ack()
            return
        person, receipt = await self._receive(step)
        await ack()
        self._deliver(receipt, await self.transport.dm_channel(person.key.user_id))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> BoltResponse:
        """A listener that raised: 503 when the database is away (Slack delivers the event
        again), else 400; either way an error id in the log, never Bolt's bare 500."""
        status, answer, headers = failures.answer(error, "a Slack listener")
        return BoltResponse(status=status, body=json.dumps(answer), headers=headers)


def choice_shown(shown: Shown) -> Sequence[dict[str, Any]]:
    """The clicked message without its controls, the choice made in their place. Only the
    block kinds the renderer makes are kept of Slack's copy of the bot's own message."""
    blocks = [block for block in shown.blocks if block.get("type") in KEPT_BLOCKS]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ {shown.label}"}]})
    return blocks


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
