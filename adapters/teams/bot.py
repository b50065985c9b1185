"""Teams on botbuilder: CloudAdapter with ConfigurationBotFrameworkAuthentication validates every
request's token (401 without one or with a forged one); activities become neutral events.

Without `MicrosoftAppId` the endpoint runs unauthenticated for local testing (as with the Bot
Framework Emulator) and then only talks to loopback `serviceUrl`s. With credentials the bot only
ever sends to the `serviceUrl` of a validated activity: it stores the conversation reference of
each validated activity and sends proactive messages to exactly that address.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    InvokeResponse,
)
from msrest.universal_http.requests import ClientRetryPolicy

from adapters.background import Background
from adapters.teams.render import parse_submit, render
from bot.conversation.engine import Bot
from bot.core.domain import Delivery, Person, PersonKey
from bot.core.messages import Clicked, Commanded, FileShare, InboundEvent, Message, Said
from bot.core.settings import Settings
from bot.flows.session import After, Receipt

log = logging.getLogger("imvo.teams")

# botbuilder makes two msrest clients per Teams turn, and each builds its retry list by testing
# 999 codes against a 500-item *list* (about 5 ms of CPU each time). The same codes in a frozenset
# give the same answer in a fraction of the time; nothing else reads this attribute.
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
PLATFORM = "teams"
_MENTION = re.compile(r"<at>.*?</at>", re.S)
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


@dataclass
class _Config:
    """botbuilder reads its settings from attributes with these names."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def is_loopback(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def language_of(locale: str | None) -> str | None:
    if not locale:
        return None
    return "nl" if locale.lower().startswith("nl") else "en"


class TeamsAdapter(Background):
    """Wires botbuilder's CloudAdapter to the bot, both ways."""

    def __init__(self, bot: Bot, settings: Settings) -> None:
        super().__init__()
        self.bot = bot
        self.app_id = settings.teams_app_id or None
        self.authenticated = bool(settings.teams_app_id)
        config = _Config(
            settings.teams_app_id,
            settings.teams_app_password,
            settings.teams_app_type,
            settings.teams_tenant_id,
        )
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    # ------------------------------------------------------------------ inbound

    async def process(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return web.Response(status=400, text="not an activity")
        if not self.authenticated and not is_loopback(body.get("serviceUrl")):
            return web.Response(
                status=403, text="unauthenticated mode accepts only loopback serviceUrls"
            )
        try:
            response = await self.adapter.process(request, self)
        except web.HTTPException as exc:
            return web.Response(status=exc.status, text=exc.reason)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("Teams activity of an unexpected shape", exc_info=True)
            return web.Response(status=400, text="malformed activity")
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
        if activity.type == "invoke":
            await self._invoke(turn)
            return
        if activity.type != "message" or (sender.role or "") == "bot":
            return
        person = self._person(sender, tenant, activity.locale)
        here = self._reference(activity)
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
        if not self._personal(activity):
            # A team install: reach its members through personal chats with each of them.
            if any(
                m.id == (activity.recipient.id if activity.recipient else None)
                for m in activity.members_added or []
            ):
                await self._reach_team(turn, tenant)
            return
        bot_id = activity.recipient.id if activity.recipient else None
        for member in activity.members_added or []:
            if member.id == bot_id:
                continue
            person = self._person(member, tenant, activity.locale)
            await self.bot.services.store.save_address(person.key, self._reference(activity))
            await self.bot.services.store.upsert_person(person)
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

    async def _label(self, key: PersonKey) -> str:
        return (await self.bot.sessions.messages_for(key))("teams.submit")

    async def _send_in_turn(self, turn: TurnContext, message: Message, key: PersonKey) -> None:
        label = await self._label(key)
        for payload in render(message, submit_label=label):
            await turn.send_activity(Activity().deserialize(payload))
        for consent in self._consents(message):
            await turn.send_activity(consent)

    def _consents(self, message: Message) -> list[Activity]:
        """Files (the policy draft) are offered with a file consent card each."""
        if not isinstance(message, FileShare):
            return []
        return [
            Activity(
                type="message",
                attachments=[
                    Attachment(
                        content_type=FILE_CONSENT,
                        name=file.name,
                        content={
                            "description": file.name,
                            "sizeInBytes": len(file.data),
                            "acceptContext": {"path": path},
                            "declineContext": {"path": path},
                        },
                    )
                ],
            )
            for file, path in zip(message.files, message.locations, strict=False)
        ]

    async def _invoke(self, turn: TurnContext) -> None:
        """fileConsent/invoke: on accept, upload the file to Teams' uploadUrl and show it."""
        activity = turn.activity
        status = 200
        if activity.name == "fileConsent/invoke" and isinstance(activity.value, dict):
            value = activity.value
            context = value.get("context") or {}
            info = value.get("uploadInfo") or {}
            if value.get("action") == "accept":
                status = await self._upload(turn, str(context.get("path", "")), info)
        else:
            status = 400
        await turn.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=status))
        )

    async def _upload(self, turn: TurnContext, path: str, info: dict[str, Any]) -> int:
        drafts = self.bot.services.settings.draft_dir.resolve()
        file = Path(path).resolve()
        upload_url = str(info.get("uploadUrl") or "")
        if not file.is_file() or drafts not in file.parents or not upload_url.startswith("http"):
            return 400  # only drafts this bot wrote, only to the address Teams gave
        if not self.authenticated and not is_loopback(upload_url):
            return 400
        data = file.read_bytes()
        headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
        async with (
            aiohttp.ClientSession() as http,
            http.put(upload_url, data=data, headers=headers) as response,
        ):
            if response.status >= 300:
                return 502
        card = Attachment(
            content_type=FILE_INFO,
            content_url=str(info.get("contentUrl") or ""),
            name=str(info.get("name") or file.name),
            content={"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")},
        )
        await turn.send_activity(Activity(type="message", attachments=[card]))
        return 200

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        return None  # a bot cannot read back a Teams chat's history

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        """A proactive message to the conversation stored for the person."""
        stored = await self.bot.services.store.address(to)
        if stored is None:
            return Delivery(ok=False, error="not_installed")
        return await self._send_to(stored, to, message)

    async def _send_to(self, address: str, to: PersonKey, message: Message) -> Delivery:
        """Sends into the conversation of a stored reference (JSON)."""
        reference = ConversationReference().deserialize(json.loads(address))
        if not self.authenticated and not is_loopback(reference.service_url):
            return Delivery(ok=False, error="non_loopback_service_url")

        label = await self._label(to)

        async def deliver(turn: TurnContext) -> None:
            for payload in render(message, submit_label=label):
                await turn.send_activity(Activity().deserialize(payload))
            for consent in self._consents(message):
                await turn.send_activity(consent)

        try:
            await self.adapter.continue_conversation(reference, deliver, bot_app_id=self.app_id)
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 429:
                return Delivery(ok=False, error="ratelimited", retry_after=1.0)
            return Delivery(ok=False, error=f"teams_error_{status or type(exc).__name__}")
        return Delivery(ok=True)

    # ------------------------------------------------------------------ helpers

    async def _reply(self, receipt: Receipt, key: PersonKey, here: str) -> None:
        """Replies go where the person wrote (a personal chat or a channel); slow work after."""

        async def reply(message: Message) -> None:
            delivery = await self._send_to(here, key, message)
            if not delivery.ok:
                log.warning("a reply to %s was not delivered: %s", key, delivery.error)

        try:
            await receipt.deliver(reply)
        except Exception:
            log.exception("replying to %s failed", key)

    async def _after(self, after: After, key: PersonKey) -> None:
        """Slow work (fan-out, compiling) after the turn, answering the person proactively."""

        async def reply(message: Message) -> None:
            await self.send(key, message)

        try:
            await after(reply)
        except Exception:
            log.exception("slow work for %s failed", key)

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
        store = self.bot.services.store
        try:
            members = await TeamsInfo.get_team_members(turn)
        except Exception:
            log.warning("could not list the team's members", exc_info=True)
            return
        service_url = turn.activity.service_url
        for member in members:
            person = self._person(member, tenant, turn.activity.locale)
            if await store.address(person.key) is not None:
                continue
            await store.upsert_person(person)
            params = ConversationParameters(
                is_group=False,
                bot=turn.activity.recipient,
                members=[ChannelAccount(id=member.id, name=member.name)],
                tenant_id=tenant,
                channel_data={"tenant": {"id": tenant}},
            )

            async def keep(created: TurnContext, key: PersonKey = person.key) -> None:
                await store.save_address(key, self._reference(created.activity))

            try:
                await self.adapter.create_conversation(
                    self.app_id, keep, params, "msteams", service_url
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

    @staticmethod
    def _reference(activity: Activity) -> str:
        reference = TurnContext.get_conversation_reference(activity)
        return json.dumps(reference.serialize())
