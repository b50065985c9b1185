"""Teams file consent: when a person accepts the draft's consent card, the file goes to the
upload address Teams gave, and a file card shows it. Only drafts this bot wrote, and only to
the address Teams gave (loopback only when unauthenticated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, InvokeResponse

from adapters.teams.connection import TeamsConnection

FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


class DraftUploader:
    """Answers `fileConsent/invoke` activities."""

    def __init__(self, connection: TeamsConnection, drafts: Path) -> None:
        self.connection = connection
        self.drafts = drafts

    async def invoke(self, turn: TurnContext) -> None:
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
        drafts = self.drafts.resolve()
        file = Path(path).resolve()
        upload_url = str(info.get("uploadUrl") or "")
        if not file.is_file() or drafts not in file.parents or not upload_url.startswith("http"):
            return 400  # only drafts this bot wrote, only to the address Teams gave
        if not self.connection.may_reach(upload_url):
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
