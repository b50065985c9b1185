"""A local fake Bot Framework connector (the activities' `serviceUrl` points at it) that records
everything the bot sends: replies, proactive messages and updates."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeConnector:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (conversation, activity)
    updated: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # what the bot PUT to an uploadUrl
    team_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)  # conversations the bot opened
    # The identity provider's OpenID metadata (`/openid`); its key set (`/keys`) knows one key.
    identity: dict[str, Any] = field(default_factory=dict)
    # An HTTP status to refuse a posted activity with (None: take it); refused ones are kept apart.
    refusing: Callable[[dict[str, Any]], int | None] | None = None
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self.post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self.post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self.put)
        app.router.add_put("/upload/{name}", self.upload)
        app.router.add_get("/v3/conversations/{conversation}/members", self.members)
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_get("/openid", self.openid)
        app.router.add_get("/keys", self.keys)
        return app

    async def openid(self, request: web.Request) -> web.Response:
        return web.json_response(self.identity)

    async def keys(self, request: web.Request) -> web.Response:
        key = {"kid": "another-key", "kty": "RSA", "n": "sXch", "e": "AQAB", "endorsements": []}
        return web.json_response({"keys": [key]})

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self.refusing(body) if self.refusing is not None else None
        if status is not None:
            self.refused.append((status, body))
            error = {"error": {"code": "Refused", "message": f"refused with {status}"}}
            return web.json_response(error, status=status, headers={"Retry-After": "1"})
        self.sent.append((request.match_info["conversation"], body))
        return web.json_response({"id": f"act-{next(self._ids)}"})

    async def put(self, request: web.Request) -> web.Response:
        info = request.match_info
        self.updated.append((info["conversation"], info["activity"], await request.json()))
        return web.json_response({"id": info["activity"]})

    async def members(self, request: web.Request) -> web.Response:
        return web.json_response(self.team_members.get(request.match_info["conversation"], []))

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.created.append(body)
        member = (body.get("members") or [{}])[0].get("id", "x")
        return web.json_response({"id": f"conv-new-{member}"})

    async def upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["name"]] = await request.read()
        return web.Response(status=201)

    def to(self, conversation: str) -> list[dict[str, Any]]:
        return [a for c, a in self.sent if c == conversation]


def activity(
    kind: str,
    service_url: str,
    *,
    user: str = "aad-anna",
    name: str = "Anna",
    text: str | None = None,
    value: Any = None,
    activity_id: str | None = None,
    locale: str = "en-US",
    members_added: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Teams activity as Teams sends it to a bot in a personal chat."""
    body: dict[str, Any] = {
        "type": kind,
        "id": activity_id or f"{kind}-{time.monotonic_ns()}",
        "timestamp": "2026-11-25T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": name, "aadObjectId": user},
        "conversation": {
            "id": f"conv-{user}",
            "conversationType": "personal",
            "tenantId": "tenant-1",
        },
        "recipient": {"id": "28:imvo-bot", "name": "IMVO bot"},
        "locale": locale,
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    if members_added is not None:
        body["membersAdded"] = members_added
    return body
