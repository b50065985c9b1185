"""The connection to the Bot Framework that inbound handling, sending and uploads share:
botbuilder's CloudAdapter, built once from the settings by the composition root.

Without `MicrosoftAppId` the endpoint runs unauthenticated for local testing (as with the Bot
Framework Emulator) and then only talks to loopback `serviceUrl`s.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlparse

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from msrest.universal_http.requests import ClientRetryPolicy

from bot.core.settings import Settings

# botbuilder makes two msrest clients per Teams turn, and each builds its retry list by testing
# 999 codes against a 500-item *list* (about 5 ms of CPU each time). The same codes in a frozenset
# give the same answer in a fraction of the time; nothing else reads this attribute.
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]

PLATFORM = "teams"


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
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    def may_reach(self, url: str | None) -> bool:
        """With credentials: any address Teams gave; unauthenticated: loopback only."""
        return self.authenticated or is_loopback(url)


def reference_of(activity: Activity) -> str:
    """Where the bot can reach the conversation of `activity` later, as JSON."""
    reference = TurnContext.get_conversation_reference(activity)
    return json.dumps(reference.serialize())
