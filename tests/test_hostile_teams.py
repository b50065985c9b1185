"""The Teams endpoint under hostile input: activities of every wrong shape get a clear 4xx,
never a 5xx, and change nothing; with credentials, every malformed or forged bearer token gets
401, and an identity provider that does not answer gives 503, never a 500."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

from tests.fake_teams import activity
from tests.stores import sqlite_rows
from tests.test_teams import Teams, close, make, teams  # noqa: F401 - the fixture


def snapshot(t: Teams) -> dict[str, list[str]]:
    return sqlite_rows(t.server.app.services.settings.database_url)


def shaped(url: str, **changes: Any) -> str:
    body = activity("message", url, text="hello") | changes
    return json.dumps({k: v for k, v in body.items() if v is not ...})


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def bodies(url: str) -> list[str]:
    return [
        "[]",
        "null",
        "true",
        '"x"',
        "{}",
        deep(1000),
        '{"type": "message", "value": ' + deep(1000) + "}",
        '{"type": "message", "value": ' + "[" * 100_000,
        shaped(url, value={"a": [[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]}),
        shaped(url, **{"from": "not an account"}),
        shaped(url, **{"from": {"id": ["29:x"]}}),
        shaped(url, **{"from": {"id": "29:a\x00b", "name": "Anna"}}),
        shaped(url, **{"from": {"id": "29:anna", "name": "An\x00na"}}),
        shaped(url, **{"from": ...}),
        shaped(url, conversation=...),
        shaped(url, conversation={"id": 7}),
        shaped(url, serviceUrl=...),
        shaped(url, serviceUrl="javascript:alert(1)"),
        shaped(url, text=["hello"]),
        shaped(url, type=["message"]),
        shaped(url, channelData={"tenant": "tenant-1"}),
        shaped(url, channelData={"tenant": {"id": ["t"]}}),
        shaped(url, membersAdded="x"),
        shaped(url, locale={"x": 1}),
        shaped(url, type="invoke", name="fileConsent/invoke", **{"from": ...}),
    ]


async def test_activities_of_the_wrong_shape_get_400_and_change_nothing(
    teams: Teams,  # noqa: F811
) -> None:
    for body in bodies(teams.fake_url):
        before = snapshot(teams)
        response = await teams.post(body)
        assert response.status == 400, (body[:120], response.status, await response.text())
        assert "Traceback" not in await response.text()
        assert snapshot(teams) == before, body[:120]
    assert teams.fake.sent == []
    hello = activity("message", teams.fake_url, text="help")
    assert (await teams.post(hello)).status in (200, 201)  # still up and answering
    assert teams.fake.sent


async def test_unknown_activity_types_and_invokes_get_2xx_and_do_nothing(
    teams: Teams,  # noqa: F811
) -> None:
    before = snapshot(teams)
    for kind in ("typing", "messageReaction", "event", "endOfConversation"):
        assert (await teams.post(activity(kind, teams.fake_url))).status in (200, 201)
    odd = activity("invoke", teams.fake_url) | {"name": "composeExtension/query", "value": {}}
    response = await teams.post(odd)
    assert response.status == 200
    assert snapshot(teams) == before
    assert teams.fake.sent == []


def token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"Bearer {part(header)}.{part(claims)}.c2lnbmF0dXJl"


ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER


def identity_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """botbuilder fetches its signing keys from Microsoft's OpenID metadata: here from `url`
    (the tests never reach Microsoft)."""
    cache = {
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: _OpenIdMetadata(url),
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: _OpenIdMetadata(url),
    }
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", cache)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer abc",
        "Basic dXNlcjpwYXNz",
        "Bearer a.b.c",
        "Bearer " + "A" * 5000 + ".b.c",
        "Bearer \u00e9.b.c",
        token({"alg": "none"}, {"iss": "x"}),
        token({"alg": "HS256", "kid": "k"}, {"iss": ISSUER}),
    ],
)
async def test_with_credentials_every_malformed_or_forged_token_gets_401(
    tmp_path: Path, authorization: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The signing keys come from a fake identity provider that knows no key "k".
    world, cleanup = await make(tmp_path, app_id="00000000-0000-0000-0000-000000000001")
    world.fake.identity = {"jwks_uri": world.fake_url + "/keys"}
    identity_at(monkeypatch, world.fake_url + "/openid")
    try:
        before = snapshot(world)
        body = activity("message", "https://smba.trafficmanager.net/emea/", text="start all")
        headers = {} if authorization is None else {"Authorization": authorization}
        response = await world.post(body, headers)
        assert response.status == 401, await response.text()
        assert snapshot(world) == before
        assert world.fake.sent == []
    finally:
        await close(world, cleanup)


async def test_an_identity_provider_that_does_not_answer_gives_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, cleanup = await make(tmp_path, app_id="00000000-0000-0000-0000-000000000001")
    identity_at(monkeypatch, "http://127.0.0.1:9/openid")  # nothing listens there
    try:
        body = activity("message", "https://smba.trafficmanager.net/emea/", text="start all")
        forged = token({"alg": "RS256", "kid": "k"}, {"iss": ISSUER})
        response = await world.post(body, {"Authorization": forged})
        assert response.status == 503, await response.text()
        assert response.headers["Retry-After"]
        assert world.fake.sent == []
        assert await world.server.app.store.latest_campaign() is None
    finally:
        await close(world, cleanup)
