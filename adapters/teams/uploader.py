"""Teams file consent: when a person accepts the draft's consent card, the file goes to the
upload address Teams gave, and a file card shows it. The file comes from the store by the id on
the card, so the accept may land on any replica; only drafts this bot compiled, and only to the
address Teams gave (loopback only when unauthenticated)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, InvokeResponse

from adapters.teams.connection import TeamsConnection
from bot.content.loader import Messages
from bot.core.ports import DraftStore

log = logging.getLogger("imvo.teams")

FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


class DraftUploader:
    """Answers `fileConsent/invoke` activities."""

    def __init__(self, connection: TeamsConnection, drafts: DraftStore) -> None:
        self.connection = connection
        self.drafts = drafts

    async def invoke(self, turn: TurnContext, answer: Any, msgs: Messages) -> None:
        """fileConsent/invoke: on accept, upload the file to Teams' uploadUrl and show it;
        `answer` is the activity's value as sent; `msgs` speaks the person's language when it
        cannot."""
        status = 200
        value = answer if isinstance(answer, dict) else None
        if value is None:
            status = 400
        elif value.get("action") == "accept":
            context, info = value.get("context"), value.get("uploadInfo")
            if isinstance(context, dict) and isinstance(info, dict):
                status = await self._upload(turn, context.get("draft"), info, msgs)
            else:
                status = 400
        await turn.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=status))
        )

    async def _upload(
        self, turn: TurnContext, draft_id: Any, info: dict[str, Any], msgs: Messages
    ) -> int:
        upload_url = str(info.get("uploadUrl") or "")
        if type(draft_id) is not int or not upload_url.startswith("http"):
            return 400  # only drafts this bot compiled, only to the address Teams gave
        if not self.connection.may_reach(upload_url):
            return 400
        file = await self.drafts.draft_file(draft_id)
        if file is None:
            await turn.send_activity(msgs("teams.draft_gone"))
            return 200  # answered: the person is told to compile the draft again
        headers = {"Content-Range": f"bytes 0-{len(file.data) - 1}/{len(file.data)}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as http,
                http.put(upload_url, data=file.data, headers=headers) as response,
            ):
                uploaded = response.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("uploading draft %s to Teams failed: %s", draft_id, exc)
            uploaded = False
        if not uploaded:
            # Teams' upload address refused it: the person hears so, and may accept again.
            await turn.send_activity(msgs("teams.upload_failed"))
            return 200
        card = Attachment(
            content_type=FILE_INFO,
            content_url=str(info.get("contentUrl") or ""),
            name=str(info.get("name") or file.name),
            content={"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")},
        )
        await turn.send_activity(Activity(type="message", attachments=[card]))
        return 200
