"""Teams outbound: neutral messages to a person's stored conversation (proactive messages),
rendered as Adaptive Cards, with files offered through file consent cards and a card's pictures
as inline images after it.

With credentials the bot only ever sends to the `serviceUrl` of a validated activity: the
conversation reference stored from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, ConversationReference

from adapters.teams.connection import TeamsConnection
from adapters.teams.render import pictures, render
from bot.content.library import Content
from bot.core.domain import Delivery, PersonKey
from bot.core.messages import FileShare, Message
from bot.core.ports import Store

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
RETRY_AFTER = 1.0  # seconds after a 429: the outbox waits so long for a card, we for a picture

log = logging.getLogger("imvo.teams")


class TeamsTransport:
    """`bot.core.ports.Transport` for Teams: needs no bot, so the composition root wires it
    before the engine exists."""

    def __init__(
        self, connection: TeamsConnection, store: Store, content: Content, language: str
    ) -> None:
        self.connection = connection
        self.store = store
        self.content = content
        self.language = language  # the bot's default, for people who chose none

    async def _label(self, key: PersonKey) -> str:
        """The submit button's label, in the person's language."""
        person = await self.store.get_person(key)
        language = (person.language if person else None) or self.language
        return self.content.for_language(language).messages("teams.submit")

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        return None  # a bot cannot read back a Teams chat's history

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        """A proactive message to the conversation stored for the person."""
        stored = await self.store.address(to)
        if stored is None:
            return Delivery(ok=False, error="not_installed")
        return await self.send_to(stored, to, message)

    async def send_to(self, address: str, to: PersonKey, message: Message) -> Delivery:
        """Sends into the conversation of a stored reference (JSON)."""
        reference = ConversationReference().deserialize(json.loads(address))
        if not self.connection.may_reach(reference.service_url):
            return Delivery(ok=False, error="non_loopback_service_url")

        label = await self._label(to)

        async def deliver(turn: TurnContext) -> None:
            for payload in render(message, submit_label=label):
                await turn.send_activity(Activity().deserialize(payload))
            for consent in consents(message):
                await turn.send_activity(consent)
            await send_pictures(turn, message)

        try:
            await self.connection.adapter.continue_conversation(
                reference, deliver, bot_app_id=self.connection.app_id
            )
        except Exception as exc:
            status = _status(exc)
            if status == 429:
                return Delivery(ok=False, error="ratelimited", retry_after=RETRY_AFTER)
            return Delivery(ok=False, error=f"teams_error_{status or type(exc).__name__}")
        return Delivery(ok=True)


def _status(exc: Exception) -> int | None:
    """The HTTP status the connector answered with, when the failure was an answer."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


async def send_pictures(turn: TurnContext, message: Message) -> None:
    """A card's pictures, one activity each, after the card. This never raises: the card has
    arrived, and a failure here would fail the delivery and have the card sent again.

    A 429 means Teams did not take the activity, so it is tried once more after a pause; any
    other failure may have come after Teams took it (a send has no idempotency key), so it is
    not, and the next picture is tried. Still throttled, the rest are left as well.
    """
    activities = pictures(message)
    for n, payload in enumerate(activities, start=1):
        failure = await _try_send(turn, payload)
        if failure == 429:
            await asyncio.sleep(RETRY_AFTER)
            failure = await _try_send(turn, payload)
        if failure is None:
            continue
        log.warning("a card's picture (%d of %d) was not sent: %s", n, len(activities), failure)
        if failure == 429:
            return


async def _try_send(turn: TurnContext, payload: dict[str, Any]) -> int | str | None:
    """None when the activity was sent; else the connector's status, or the error's name."""
    try:
        await turn.send_activity(Activity().deserialize(payload))
    except Exception as exc:  # whatever it was: see send_pictures
        return _status(exc) or type(exc).__name__
    return None


def consents(message: Message) -> list[Activity]:
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
                        # The stored draft's id: any replica can fetch it when Teams asks.
                        "acceptContext": {"draft": draft_id},
                        "declineContext": {"draft": draft_id},
                    },
                )
            ],
        )
        for file, draft_id in zip(message.files, message.stored, strict=False)
    ]
