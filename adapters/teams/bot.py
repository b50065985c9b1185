"""Teams inbound: the edge checks each request's form and decodes its activity once
(`adapters.teams.edge`); botbuilder's CloudAdapter validates the token (401 without one or with a
forged one) and runs the turn; the decoded activity is translated (`adapters.teams.inbound`) and
given its effect through the engine, every write in one of its turns. Sending is
`adapters.teams.transport`, file uploads `adapters.teams.uploader`, and the connection they
share `adapters.teams.connection`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
from adapters.teams.connection import TeamsConnection, reference_of
from adapters.teams.inbound import (
    Acknowledge,
    Handle,
    NotAnAnswer,
    ReachTeam,
    Upload,
    Welcome,
    teams_person,
    translate,
)
from adapters.teams.render import escape_markdown
from adapters.teams.transport import TeamsTransport
from adapters.teams.uploader import DraftUploader
from bot.conversation.engine import Bot
from bot.core.domain import Person, PersonKey
from bot.core.messages import Clicked, Message
from bot.flows.outcome import Receipt

log = logging.getLogger("imvo.teams")

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


@dataclass(frozen=True)
class _Decoded:
    """What botbuilder runs for one request: the adapter's turn, with the activity as the edge
    decoded it (botbuilder parses the body again for itself; our code reads this one)."""

    adapter: TeamsAdapter
    activity: edge.Activity

    async def on_turn(self, turn: TurnContext) -> None:
        await self.adapter.on_turn(turn, self.activity)


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
        # The `start` command's words in every language: a channel message that starts a
        # campaign reaches the team's members first.
        self._start_words = frozenset(
            w for m in bot.services.content.messages.values() for w in m.words("commands.start")
        )

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
        activity = verdict.activity
        if activity is None:
            log.warning("Teams request not handled (%s): %s", verdict.status, verdict.reason)
            return web.Response(status=verdict.status or 400, text=verdict.reason)
        if not self.connection.may_reach(activity.service_url):
            return web.Response(
                status=403, text="unauthenticated mode accepts only loopback serviceUrls"
            )
        try:
            response = await self.connection.adapter.process(request, _Decoded(self, activity))
        except web.HTTPException as exc:
            return web.Response(status=exc.status, text=exc.reason)
        except DeserializationError as exc:  # a field botbuilder types strictly (a timestamp…)
            log.warning("Teams request not handled (400): %s", str(exc)[:200])
            return web.Response(status=400, text="not an activity: a field of the wrong form")
        return response or web.Response(status=200)

    async def on_turn(self, turn: TurnContext, activity: edge.Activity) -> None:
        """One activity: translated (`adapters.teams.inbound`), then given its effect."""
        here = reference_of(turn.activity)
        inbound = translate(activity, here, self._start_words)
        match inbound:
            case Handle():
                await self._handle(turn, activity, inbound, here)
            case Welcome():
                await self._welcome(turn, inbound)
            case ReachTeam(tenant):
                await self._reach_team(turn, activity, tenant)
            case Upload(person, value):
                msgs = self.bot.sessions.pack(person).messages
                await self.uploader.invoke(turn, value, msgs)
            case Acknowledge():  # an invoke this bot does not offer: acknowledged, nothing done
                await _invoke_response(turn, 200)
            case NotAnAnswer():
                error = {"message": "not an answer of this bot"}
                await _invoke_response(turn, 400, AdaptiveCardInvokeResponse(
                    status_code=400, type=ERROR_TYPE, value=error))  # fmt: skip

    async def _handle(
        self, turn: TurnContext, activity: edge.Activity, inbound: Handle, here: str
    ) -> None:
        """The event through the engine, the answered card marked, replies after."""
        event = inbound.event
        if inbound.reach_team:  # so that `start all` includes the team
            await self._reach_team(turn, activity, event.person.key.tenant)
        receipt = await self.bot.receive(event)
        if inbound.universal and isinstance(event, Clicked):
            # `Action.Execute`: the invoke response is the card refreshed to show the choice,
            # so it cannot be clicked again.
            card = AdaptiveCardInvokeResponse(
                status_code=200, type=CARD_TYPE, value=answered_card(event.value)
            )
            await _invoke_response(turn, 200, card)
        elif inbound.answered_card and isinstance(event, Clicked):
            await self._mark_answered(turn, inbound.answered_card, event.value)
        # Replies go out after Teams has its answer: the connector's round trips must not
        # hold up the acknowledgement (Teams re-delivers after 15 s).
        self.later(self._reply(receipt, event.person.key, here))

    async def _welcome(self, turn: TurnContext, welcome: Welcome) -> None:
        """Keeps where each person can be reached, through the engine (one turn under their
        lock), and welcomes them once: Teams sends both a `conversationUpdate` and an
        `installationUpdate` for one personal install, and may deliver either again."""
        for person in welcome.people:
            if await self.bot.remember(person, welcome.address):
                msgs = self.bot.sessions.pack(person).messages
                await turn.send_activity(msgs("teams.welcome", name=person.display_name or ""))

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

    async def _reach_team(self, turn: TurnContext, activity: edge.Activity, tenant: str) -> None:
        """Opens a personal chat with every member of the team who has none with the bot yet;
        who they are and the chat's address are kept through the engine (`Bot.remember`)."""
        try:
            members = await TeamsInfo.get_team_members(turn)
        except Exception:
            log.warning("could not list the team's members", exc_info=True)
            return
        recipient = activity.recipient
        bot = ChannelAccount(id=recipient.id, name=recipient.name) if recipient else None
        for member in members:
            person = teams_person(
                member.aad_object_id or member.id, member.name, tenant, activity.locale
            )
            if await self.bot.services.privacy.address(person.key) is not None:
                continue
            params = ConversationParameters(
                is_group=False,
                bot=bot,
                members=[ChannelAccount(id=member.id, name=member.name)],
                tenant_id=tenant,
                channel_data={"tenant": {"id": tenant}},
            )
            await self._open_chat(person, params, activity.service_url)

    async def _open_chat(
        self, person: Person, params: ConversationParameters, service_url: str | None
    ) -> None:
        opened: list[str] = []

        async def keep(created: TurnContext) -> None:
            opened.append(reference_of(created.activity))

        try:
            await self.connection.adapter.create_conversation(
                self.connection.app_id, keep, params, "msteams", service_url
            )
        except Exception:
            log.warning("could not open a personal chat with %s", person.key, exc_info=True)
        # Known even when the chat could not be opened: `start all` then reports them unreached.
        await self.bot.remember(person, opened[0] if opened else None)
