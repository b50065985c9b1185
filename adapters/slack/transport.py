"""Sends neutral messages into Slack direct messages, and files and pictures with files v2."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import picture_uploads, render
from bot.core.domain import Delivery, PersonKey
from bot.core.messages import FileShare, Message


def make_client(token: str, base_url: str, wait_on_429: bool = True) -> AsyncWebClient:
    """A Web API client. With `wait_on_429` it waits out HTTP 429 as `Retry-After` asks; the
    outbox's client does not, so that it can slow its own pace instead."""
    # One shared HTTP session: without it slack_sdk opens a new connection for every call.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = AsyncWebClient(token=token, base_url=base_url, session=session)
    if wait_on_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


# Message metadata that marks a poll invitation, so a replica taking over an interrupted send
# can see whether it arrived (conversations.history with include_all_metadata).
METADATA_TYPE = "imvo_invitation"
MAX_BLOCK_ID = 255  # Slack's limit on a block_id
CONFIRM_WINDOW = 20  # the DM's latest messages to search; an invitation is among the first

log = logging.getLogger("imvo.slack")


class SlackTransport:
    """Delivers to a person's DM: conversations.open once per person, then chat.postMessage."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dm: dict[str, str] = {}

    async def dm_channel(self, user_id: str) -> str:
        channel = self._dm.get(user_id)
        if channel is None:
            response = await self.client.conversations_open(users=user_id)
            channel = str(response["channel"]["id"])
            self._dm[user_id] = channel
        return channel

    async def send(self, to: PersonKey, message: Message, ref: str = "") -> Delivery:
        try:
            await self.post(await self.dm_channel(to.user_id), message, ref)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "slack_error"))
            retry_after = None
            if exc.response.status_code == 429:
                error = "ratelimited"
                retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
            return Delivery(ok=False, error=error, retry_after=retry_after)
        return Delivery(ok=True)

    async def confirm(self, to: PersonKey, ref: str) -> bool | None:
        """Looks for a message carrying `ref` in its metadata among the DM's latest messages;
        None when Slack does not answer (the caller then leaves the message unsent)."""
        try:
            channel = await self.dm_channel(to.user_id)
            response = await self.client.conversations_history(
                channel=channel, limit=CONFIRM_WINDOW, include_all_metadata=True
            )
        except SlackApiError:
            return None
        for item in response.get("messages") or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_TYPE and payload.get("ref") == ref:
                return True
            # The first block's id carries the reference too: history always returns blocks,
            # even where a workspace leaves metadata out.
            if any(block.get("block_id") == ref for block in item.get("blocks") or []):
                return True
        return False

    async def post(self, channel: str, message: Message, ref: str = "") -> None:
        """Posts a message (as several when Slack's limits require) and uploads shared files,
        then a card's pictures. A `ref` goes into the first part's metadata, where `confirm` can
        find it."""
        for n, part in enumerate(render(message)):
            metadata = None
            if ref and n == 0:
                metadata = {"event_type": METADATA_TYPE, "event_payload": {"ref": ref}}
                if part.blocks and "block_id" not in part.blocks[0]:
                    part.blocks[0] = {**part.blocks[0], "block_id": ref[:MAX_BLOCK_ID]}
            await self.client.chat_postMessage(
                channel=channel, text=part.text, blocks=part.blocks, metadata=metadata
            )
        if isinstance(message, FileShare) and message.files:
            await self.client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": f.data, "filename": f.name, "title": f.name} for f in message.files
                ],
            )
        await self._upload_pictures(channel, message)

    async def _upload_pictures(self, channel: str, message: Message) -> None:
        """A card's pictures, all in one upload after the card. This never raises: the card has
        arrived, and a failure here would have the caller (the outbox, a job) send it again. Nor
        does it try again (beyond the client's waiting out a 429): an upload that failed late may
        still have shared the files, and the card says in words what the charts show."""
        uploads = picture_uploads(message)
        if not uploads:
            return
        try:
            await self.client.files_upload_v2(channel=channel, file_uploads=uploads)
        except Exception as exc:  # whatever it was: see above
            reason = type(exc).__name__
            if isinstance(exc, SlackApiError):
                reason = str(exc.response.get("error", reason))
            log.warning(
                "the %d picture(s) of a card were not uploaded to %s: %s",
                len(uploads),
                channel,
                reason,
            )


async def close_client(client: AsyncWebClient) -> None:
    if client.session is not None and not client.session.closed:
        await client.session.close()
