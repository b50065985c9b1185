"""The connection to the Bot Framework that inbound handling, sending and uploads share:
botbuilder's CloudAdapter, built once from the settings by the composition root.

Without `MicrosoftAppId` the endpoint runs unauthenticated for local testing (as with the Bot
Framework Emulator) and then only talks to loopback `serviceUrl`s.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import BotFrameworkAuthentication, ClaimsIdentity
from botframework.connector.auth.jwt_token_extractor import _OpenIdMetadata
from msrest.universal_http.requests import ClientRetryPolicy

from bot.core.settings import Settings

# botbuilder makes two msrest clients per Teams turn, and each builds its retry list by testing
# 999 codes against a 500-item *list* (about 5 ms of CPU each time). The same codes in a frozenset
# give the same answer in a fraction of the time; nothing else reads this attribute.
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]

IDENTITY_TIMEOUT = 10.0  # seconds for each fetch of the Bot Framework's signing keys

log = logging.getLogger("imvo.teams")


class IdentityProviderUnavailable(ConnectionError):
    """The Bot Framework's OpenID metadata or signing keys could not be fetched: no request
    can be authenticated until they can (the endpoint answers 503, Teams delivers again)."""


async def _refresh_off_the_loop(self: _OpenIdMetadata) -> None:
    """botbuilder fetches the signing keys with a blocking `requests.get` without a timeout, on
    the event loop: one slow identity provider would stall every conversation. The same fetch
    runs on a worker thread with a timeout, and a failure says what failed."""

    def fetch() -> list[dict[str, Any]]:
        metadata = requests.get(self.url, timeout=IDENTITY_TIMEOUT)
        metadata.raise_for_status()
        keys = requests.get(metadata.json()["jwks_uri"], timeout=IDENTITY_TIMEOUT)
        keys.raise_for_status()
        found = keys.json()["keys"]
        if not isinstance(found, list):
            raise ValueError("the key set is not a list")
        return found

    try:
        self.keys = await asyncio.to_thread(fetch)
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        log.error(
            "the Bot Framework's signing keys could not be fetched from %s: %s", self.url, exc
        )
        raise IdentityProviderUnavailable(f"signing keys unavailable: {exc}") from exc
    self.last_updated = datetime.now()


def _find_or_none(self: _OpenIdMetadata, key_id: str) -> Any:
    """botbuilder's lookup raises IndexError for a key id it does not know (a forged token)."""
    if not any(isinstance(k, dict) and k.get("kid") == key_id for k in self.keys or []):
        return None
    return _original_find(self, key_id)


_original_find = _OpenIdMetadata._find
_OpenIdMetadata._refresh = _refresh_off_the_loop
_OpenIdMetadata._find = _find_or_none


class _Checked(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, with every way a token can fail ending as 401
    (`PermissionError`, which the CloudAdapter answers with 401) and an unreachable identity
    provider as `IdentityProviderUnavailable` (503). botbuilder itself lets decoding errors,
    `Exception("Could not validate endorsement key")` and lookups of unknown keys escape."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self.inner = inner

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        try:
            return await self.inner.authenticate_request(activity, auth_header)
        except (PermissionError, IdentityProviderUnavailable):
            raise
        except Exception as exc:  # whatever a forged token makes botbuilder raise
            raise PermissionError(f"the token was refused: {type(exc).__name__}") from exc

    async def authenticate_streaming_request(self, auth_header: str, channel_id: str) -> Any:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> Any:
        return self.inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        return await self.inner.create_user_token_client(claims_identity)

    def create_bot_framework_client(self) -> Any:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


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


class TeamsConnection:
    """botbuilder's CloudAdapter and what decides where the bot may talk to."""

    def __init__(self, settings: Settings) -> None:
        self.app_id = settings.teams_app_id or None
        self.authenticated = bool(settings.teams_app_id)
        config = _Config(
            settings.teams_app_id,
            settings.teams_app_password,
            settings.teams_app_type,
            settings.teams_tenant_id,
        )
        self.adapter = CloudAdapter(_Checked(ConfigurationBotFrameworkAuthentication(config)))

    def may_reach(self, url: str | None) -> bool:
        """With credentials: any address Teams gave; unauthenticated: loopback only."""
        return self.authenticated or is_loopback(url)


def reference_of(activity: Activity) -> str:
    """Where the bot can reach the conversation of `activity` later, as JSON."""
    reference = TurnContext.get_conversation_reference(activity)
    return json.dumps(reference.serialize())
