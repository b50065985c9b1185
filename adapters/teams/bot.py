"""Teams inbound: botbuilder's CloudAdapter validates every request's token (401 without one or
with a forged one); activities become neutral events for the engine. Sending is
`adapters.teams.transport`, file uploads `adapters.teams.uploader`, and the connection they
share `adapters.teams.connection`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from azure.core.exceptions import DeserializationError
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationParameters,
    InvokeResponse,
)

from adapters.background import Background
from adapters.teams import edge
from adapters.teams.connection import PLATFORM, TeamsConnection, reference_of
from adapters.teams.render import escape_markdown, parse_submit
from adapters.teams.transport import TeamsTransport
from adapters.teams.uploader import DraftUploader
from bot.conversation.engine import Bot
from bot.core.domain import Person, PersonKey
from bot.core.messages import Clicked, Commanded, InboundEvent, Message, Said
from bot.flows.outcome import Receipt

log = logging.getLogger("imvo.teams")

_MENTION = re.compile(r"<at>.*?</at>", re.S)
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
ERROR_TYPE = "application/vnd.microsoft.error"


async def _invoke_response(turn: TurnContext, status: int, body: Any = None) -> None:
    await turn.send_activity(
        Activity(type="invokeResponse", value=InvokeResponse(status=status, body=body))
    )


def answered_card(value: str) -> dict[str, Any]:
    """The card an answered Universal Action card becomes: the choice, nothing to click."""
    text = f"\u2713 {escape_markdown(value)}"
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }


def language_of(locale: str | None) -> str | None:
    if not locale:
        return None
    return "nl" if locale.lower().startswith("nl") else "en"


class TeamsAdapter(Background):
    """Turns Teams activities into neutral events for the bot, and replies where they came from."""

    def __init__(
        self,
        bot: Bot,
        connection: TeamsConnection,
        transport: TeamsTransport,
        uploader: DraftUploader,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.connection = connection
        self.transport = transport
        self.uploader = uploader

    @property
    def authenticated(self) -> bool:
        return self.connection.authenticated

    # ------------------------------------------------------------------ inbound

    async def process(self, request: web.Request) -> web.StreamResponse:
        """The token's form and the activity's shape are checked at the edge
        (`adapters.teams.edge`); botbuilder then checks the token and runs the turn."""
        if self.authenticated and not edge.bearer_ok(request.headers.get("Authorization")):
            return web.Response(status=401, text="a Bot Framework bearer token is required")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="an activity is sent as application/json")
        raw = await request.read()
        verdict = edge.inspect(raw)
        if not verdict.passes:
            log.warning("Teams request not handled (%s): %s", verdict.status, verdict.reason)
            return web.Response(status=verdict.status or 400, text=verdict.reason)
        if not self.connection.may_reach(verdict.service_url):
            return web.Response(
                status=403, text="unauthenticated mode accepts only loopback serviceUrls"
            )
        try:
            response = await self.connection.adapter.process(request, self)
        except web.HTTPException as exc:
            return web.Response(status=exc.status, text=exc.reason)
        except DeserializationError as exc:  # a field botbuilder types strictly (a timestamp…)
            log.warning("Teams request not handled (400): %s", str(exc)[:200])
            return web.Response(status=400, text="not an activity: a field of the wrong form")
        return response or web.Response(status=200)

    async def on_turn(self, turn: TurnContext) -> None:
        activity = turn.activity
        sender = activity.from_property
        if sender is None or activity.conversation is None:
            return
        tenant = self._tenant(activity)
        if activity.type == "conversationUpdate":
            await self._installed(turn, tenant)
            return
        if activity.type == "installationUpdate":
            if activity.action in ("add", "add-upgrade") and self._personal(activity):
                await self._welcome(turn, sender, tenant)
            return
        if activity.type == "invoke":
            if activity.name == "fileConsent/invoke":
                person = self._person(sender, tenant, activity.locale)
                await self.uploader.invoke(turn, self.bot.sessions.pack(person).messages)
            elif activity.name == "adaptiveCard/action":
                await self._universal_action(turn, tenant)
            else:  # an invoke this bot does not offer: acknowledged, nothing done
                await _invoke_response(turn, 200)
            return
        if activity.type != "message" or (sender.role or "") == "bot":
            return
        person = self._person(sender, tenant, activity.locale)
        here = reference_of(activity)
        if not self._personal(activity) and self._starts(activity):
            await self._reach_team(turn, tenant)  # so that `start all` includes the team
        # Only a personal chat is where the bot may write to this person later: a message in a
        # team channel must never redirect their poll, reminders or data into that channel. The
        # address is stored with the turn, and only when it changed.
        address = here if self._personal(activity) else None
        event = self._event(activity, person, address)
        if event is None:
            return
        receipt = await self.bot.receive(event)
        if isinstance(event, Clicked) and activity.reply_to_id:
            await self._mark_answered(turn, activity.reply_to_id, event.value)
        # Replies go out after Teams has its answer: the connector's round trips must not
        # hold up the acknowledgement (Teams re-delivers after 15 s).
        self.later(self._reply(receipt, person.key, here))

    def _event(
        self, activity: Activity, person: Person, address: str | None
    ) -> InboundEvent | None:
        event_id = str(activity.id or "")
        if not event_id:
            return None
        if activity.value is not None:
            picked = parse_submit(activity.value)
            if picked is None:
                return Said(event_id, person, "", address)  # the clear "empty message" answer
            return Clicked(event_id, person, picked[0], picked[1], address)
        text = str(activity.text or "")
        explicit = bool(_MENTION.search(text))
        text = _MENTION.sub(" ", text).strip()
        if explicit:
            return Commanded(event_id, person, text or "help", address)
        return Said(event_id, person, text, address)

    async def _installed(self, turn: TurnContext, tenant: str) -> None:
        """On install: keep where each new member can be reached, and welcome them."""
        activity = turn.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.members_added or []
        if not self._personal(activity):
            # A team install: reach its members through personal chats with each of them.
            if any(m.id == bot_id for m in added):
                await self._reach_team(turn, tenant)
            return
        people = [m for m in added if m.id != bot_id]
        if not people and any(m.id == bot_id for m in added):
            # A personal install: only the bot is added; the person is the sender.
            people = [activity.from_property]
        for member in people:
            await self._welcome(turn, member, tenant)

    async def _welcome(self, turn: TurnContext, member: Any, tenant: str) -> None:
        """Keeps where the person can be reached and welcomes them, once: Teams sends both a
        `conversationUpdate` and an `installationUpdate` for one personal install, and may
        deliver either again."""
        activity = turn.activity
        if member is None or (getattr(member, "role", None) or "") == "bot":
            return
        person = self._person(member, tenant, activity.locale)
        services = self.bot.services
        known = await services.privacy.address(person.key)
        await services.privacy.save_address(person.key, reference_of(activity))
        await services.people.upsert_person(person)
        if known is None:
            msgs = self.bot.sessions.pack(person).messages
            await turn.send_activity(msgs("teams.welcome", name=person.display_name or ""))

    async def _universal_action(self, turn: TurnContext, tenant: str) -> None:
        """`Action.Execute` (Universal Actions): the pick is answered like `Action.Submit`,
        and the invoke response is the card refreshed to show the choice, so it cannot be
        clicked again."""
        activity = turn.activity
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        picked = parse_submit(action.get("data") if isinstance(action, dict) else None)
        if picked is None or not activity.id:
            error = {"message": "not an answer of this bot"}
            await _invoke_response(turn, 400, AdaptiveCardInvokeResponse(
                status_code=400, type=ERROR_TYPE, value=error))  # fmt: skip
            return
        person = self._person(activity.from_property, tenant, activity.locale)
        here = reference_of(activity)
        address = here if self._personal(activity) else None
        event = Clicked(str(activity.id), person, picked[0], picked[1], address)
        receipt = await self.bot.receive(event)
        card = answered_card(picked[1])
        await _invoke_response(
            turn, 200, AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)
        )
        self.later(self._reply(receipt, person.key, here))

    async def _mark_answered(self, turn: TurnContext, card_id: str, value: str) -> None:
        """Replaces an answered card by the choice, so a second click cannot answer twice."""
        done = Activity(
            type="message",
            id=card_id,
            text=f"✓ {value}",
            conversation=turn.activity.conversation,
        )
        try:
            await turn.update_activity(done)
        except Exception:
            log.warning("could not update the answered card %s", card_id)

    # ------------------------------------------------------------------ outbound

    # ------------------------------------------------------------------ helpers

    async def _reply(self, receipt: Receipt, key: PersonKey, here: str) -> None:
        """Replies go where the person wrote (a personal chat or a channel); slow work after."""

        async def reply(message: Message) -> None:
            delivery = await self.transport.send_to(here, key, message)
            if not delivery.ok:
                log.warning("a reply to %s was not delivered: %s", key, delivery.error)

        try:
            await receipt.deliver(reply)
        except Exception:
            log.exception("replying to %s failed", key)

    def _starts(self, activity: Activity) -> bool:
        words = _MENTION.sub(" ", str(activity.text or "")).split()
        start = {
            w
            for m in self.bot.services.content.messages.values()
            for w in m.words("commands.start")
        }
        return bool(words) and words[0].lower().lstrip("/") in start

    async def _reach_team(self, turn: TurnContext, tenant: str) -> None:
        """Opens a personal chat with every member of the team who has none with the bot yet."""
        services = self.bot.services
        try:
            members = await TeamsInfo.get_team_members(turn)
        except Exception:
            log.warning("could not list the team's members", exc_info=True)
            return
        service_url = turn.activity.service_url
        for member in members:
            person = self._person(member, tenant, turn.activity.locale)
            if await services.privacy.address(person.key) is not None:
                continue
            await services.people.upsert_person(person)
            params = ConversationParameters(
                is_group=False,
                bot=turn.activity.recipient,
                members=[ChannelAccount(id=member.id, name=member.name)],
                tenant_id=tenant,
                channel_data={"tenant": {"id": tenant}},
            )

            async def keep(created: TurnContext, key: PersonKey = person.key) -> None:
                await services.privacy.save_address(key, reference_of(created.activity))

            try:
                await self.connection.adapter.create_conversation(
                    self.connection.app_id, keep, params, "msteams", service_url
                )
            except Exception:
                log.warning("could not open a personal chat with %s", person.key, exc_info=True)

    @staticmethod
    def _personal(activity: Activity) -> bool:
        kind = getattr(activity.conversation, "conversation_type", None)
        return kind in (None, "personal")

    @staticmethod
    def _tenant(activity: Activity) -> str:
        conversation = activity.conversation
        tenant = getattr(conversation, "tenant_id", None)
        if not tenant and isinstance(activity.channel_data, dict):
            tenant = (activity.channel_data.get("tenant") or {}).get("id")
        return str(tenant or "teams")

    @staticmethod
    def _person(account: Any, tenant: str, locale: str | None) -> Person:
        user_id = getattr(account, "aad_object_id", None) or account.id
        return Person(
            key=PersonKey(PLATFORM, tenant, str(user_id)),
            display_name=str(getattr(account, "name", "") or ""),
            language=language_of(locale),
        )
