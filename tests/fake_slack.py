"""A local fake of the Slack Web API (aiohttp, 127.0.0.1) that records every call, after the
pattern of bolt-python's mock web API server. Tests point SLACK_API_URL at it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    """Users, channels and everything the bot sent."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    announced: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> its name etc.
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    rate_limited: int = 0  # answer this many next calls with HTTP 429
    rate_limited_for: dict[str, int] = field(default_factory=dict)  # per method, the same
    refusing: dict[str, dict[str, Any]] = field(default_factory=dict)  # method -> error answer
    base: str = ""
    post_delay: float = 0.0  # seconds before chat.postMessage answers
    team_name: str = "Ateliers Fair & Co"  # the workspace's name (auth.test)
    # Socket Mode: envelopes to push to the bot, and what the bot sent back over the socket.
    to_socket: list[dict[str, Any]] = field(default_factory=list)
    from_socket: list[dict[str, Any]] = field(default_factory=list)
    # What each channel holds, oldest first (for conversations.history).
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add_user(self, user_id: str, name: str, team: str = "T1", **extra: Any) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team,
            "name": name.lower(),
            "real_name": name,
            "profile": {"display_name": name, "real_name": name},
            "tz": extra.pop("tz", "Europe/Amsterdam"),
            "locale": extra.pop("locale", "en-US"),
            **extra,
        }

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        return [p for p in self.called("chat.postMessage") if p.get("channel") == channel]

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_post("/upload/{file_id}", self.upload)
        app.router.add_post("/respond/{token}", self.respond)
        app.router.add_get("/ws", self.socket)
        return app

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """A minimal Socket Mode server: hello, then queued envelopes, collecting the acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})

        async def push() -> None:
            while not ws.closed:
                while self.to_socket:
                    await ws.send_json(self.to_socket.pop(0))
                await asyncio.sleep(0.02)

        pusher = asyncio.create_task(push())
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.from_socket.append(json.loads(message.data))
        pusher.cancel()
        return ws

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.content_type == "application/json":
            params.update(await request.json())
        elif request.method == "POST":
            params.update({k: v for k, v in (await request.post()).items()})
            for key in ("blocks", "files"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        if self.rate_limited_for.get(method, 0) > 0:
            self.rate_limited_for[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        self.calls.append(Call(method, params))
        if method in self.refusing:
            return web.json_response({"ok": False, **self.refusing[method]})
        answer = self.answer(method, params)
        if method == "chat.postMessage" and self.post_delay:
            # Slack has the message; its answer is still on the way (a real round trip).
            await asyncio.sleep(self.post_delay)
        return web.json_response(answer)

    def answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base.replace("http://", "ws://") + "ws"}
        if method == "auth.test":
            return {
                "ok": True, "user_id": "UBOT", "team_id": "T1", "team": self.team_name,
                "bot_id": "B1",
            }  # fmt: skip
        if method == "users.info":
            user = self.users.get(str(p.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.list":
            return {
                "ok": True,
                "members": list(self.users.values()),
                "response_metadata": {"next_cursor": ""},
            }
        if method == "conversations.members":
            members = self.channels.get(str(p.get("channel")))
            if members is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            user = self.users.get(str(p.get("users")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            if user.get("is_bot"):
                return {"ok": False, "error": "cannot_dm_bot"}
            return {"ok": True, "channel": {"id": "D" + user["id"]}}
        if method in ("views.publish", "views.open"):
            return {"ok": True, "view": {"id": "V1"}}
        if method in ("chat.postMessage", "chat.update"):
            ts = p.get("ts") or f"{next(self._ts)}.000"
            if method == "chat.postMessage":
                kept = {"ts": ts, "text": p.get("text", ""), "bot_id": "B1"}
                if isinstance(p.get("blocks"), list):
                    kept["blocks"] = p["blocks"]
                if isinstance(p.get("metadata"), dict):
                    kept["metadata"] = p["metadata"]
                self.history.setdefault(str(p.get("channel")), []).append(kept)
            return {"ok": True, "channel": p.get("channel"), "ts": ts}
        if method == "conversations.history":
            kept = self.history.get(str(p.get("channel")), [])
            limit = int(p.get("limit") or 100)
            with_metadata = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
            newest = [
                m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in reversed(kept[-limit:])
            ]
            return {"ok": True, "messages": newest, "has_more": len(kept) > limit}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            self.announced[file_id] = p
            return {"ok": True, "upload_url": f"{self.base}upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = p.get("files") or []
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title", "")} for f in files],
            }
        if method == "files.info":
            return {"ok": True, "file": {"id": p.get("file")}}
        return {"ok": False, "error": "unknown_method"}


def signed(
    body: str,
    secret: str,
    when: float | None = None,
    retry: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers of a request signed as Slack signs it."""
    stamp = str(int(when if when is not None else time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def dm_event(user: str, text: str, event_id: str) -> str:
    """The Events API body of `user` writing `text` in their direct message with the bot."""
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D" + user,
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }
    return json.dumps(
        {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": event}
    )


def form(payload: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)})


def parse_form(body: str) -> dict[str, Any]:
    return {k: v[0] for k, v in parse_qs(body).items()}
