"""The anchors `bench/slack_ack.py` measures `imvo-bot serve` against, each run as a process of
its own on 127.0.0.1 (as the bot is):

- `bare`: aiohttp that reads the body and answers 200: what HTTP alone costs, no work at all;
- `bolt`: slack-bolt that checks the signature and runs an event listener that does nothing,
  mounted in aiohttp as `imvo-bot serve` mounts it: what Bolt costs;
- `default`: the simplest bot that answers, as issue 19 defines it: slack-bolt with its default
  settings (so `process_before_response` is False: it acknowledges, then runs the listener)
  whose message listener posts one `chat.postMessage` to the same fake Web API the bot posts to.
  With default settings slack_sdk opens an HTTP session (and a connection) for every call;
- `answering`: the same, but its Web API client shares one HTTP session, as the bot's does: a
  stricter anchor than the issue's, since the connection per call is a cost the bot does not pay.

    python bench/slack_anchors.py default PORT SECRET API_URL
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
from aiohttp import web


def bare(port: int) -> None:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", ok)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def bolt(port: int, secret: str, api: str, answering: bool, shared: bool) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-bench", base_url=api)
    if answering:
        slack = AsyncApp(client=client, signing_secret=secret)

        @slack.event("message")
        async def answer(event: dict[str, Any], client: AsyncWebClient) -> None:
            await client.chat_postMessage(channel=event["channel"], text="Thanks, noted.")

    else:
        slack = AsyncApp(client=client, signing_secret=secret, process_before_response=True)

        @slack.event("message")
        async def nothing(event: dict[str, Any]) -> None:
            return None

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await slack.async_dispatch(await to_bolt_request(request)))

    async def session(app: web.Application) -> Any:
        # Bolt builds each request's client on the app client's session (read per request).
        client.session = aiohttp.ClientSession()
        yield
        await client.session.close()

    app = web.Application()
    if shared:
        app.cleanup_ctx.append(session)
    app.router.add_post("/slack/events", events)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def main(argv: list[str]) -> None:
    kind, port = argv[0], int(argv[1])
    if kind == "bare":
        bare(port)
    else:
        answering = kind in ("answering", "default")
        bolt(port, argv[2], argv[3], answering=answering, shared=kind != "default")


if __name__ == "__main__":
    main(sys.argv[1:])
