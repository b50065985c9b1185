"""Sends neutral messages into Slack direct messages, and files with files v2."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import render
from bot.domain import Delivery, PersonKey
from bot.messages import FileShare, Message


def make_client(token: str, base_url: str, wait_on_429: bool = True) -> AsyncWebClient:
    """A Web API client. With `wait_on_429` it waits out HTTP 429 as `Retry-After` asks; the
    outbox's client does not, so that it can slow its own pace instead."""
    # One shared HTTP session: without it slack_sdk opens a new connection for every call.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = AsyncWebClient(token=token, base_url=base_url, session=session)
    if wait_on_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


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

    async def send(self, to: PersonKey, message: Message) -> Delivery:
        try:
            await self.post(await self.dm_channel(to.user_id), message)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "slack_error"))
            retry_after = None
            if exc.response.status_code == 429:
                error = "ratelimited"
                retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
            return Delivery(ok=False, error=error, retry_after=retry_after)
        return Delivery(ok=True)

    async def post(self, channel: str, message: Message) -> None:
        """Posts a message (as several when Slack's limits require) and uploads shared files."""
        for part in render(message):
            await self.client.chat_postMessage(channel=channel, text=part.text, blocks=part.blocks)
        if isinstance(message, FileShare) and message.files:
            await self.client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": f.data, "filename": f.name, "title": f.name} for f in message.files
                ],
            )


async def close_client(client: AsyncWebClient) -> None:
    if client.session is not None and not client.session.closed:
        await client.session.close()
