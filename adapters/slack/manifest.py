"""The Slack app manifest (YAML) for "Create app from manifest": scopes, events, `/imvo`,
interactivity, App Home and the bot user. With a URL the app uses HTTP; without, Socket Mode."""

from __future__ import annotations

import json

BOT_SCOPES = (
    "chat:write",  # DMs with polls, replies, digests
    "commands",  # /imvo
    "im:history",  # read the DMs people send the bot
    "im:read",
    "im:write",  # conversations.open
    "users:read",  # names, time zones, locales, `start all`
    "channels:read",  # members of public channels for `start #channel`
    "groups:read",  # members of private channels the bot was added to
    "files:write",  # the policy draft in the lead's DM (files v2)
)
BOT_EVENTS = ("message.im", "app_home_opened")


def _q(text: str) -> str:
    """A YAML scalar: JSON strings are valid YAML and quote everything that needs it."""
    return json.dumps(text, ensure_ascii=False)


def slack_manifest(url: str | None, name: str = "IMVO bot") -> str:
    """The manifest text. `url` is the public base URL of `imvo-bot serve` (no path)."""
    events_url = f"{url.rstrip('/')}/slack/events" if url else None
    lines = [
        "_metadata:",
        "  major_version: 1",
        "  minor_version: 1",
        "display_information:",
        f"  name: {_q(name)}",
        "  description: "
        + _q(
            "Gathers colleagues' views on responsible business conduct (IMVO) "
            "and compiles them into a policy draft."
        ),
        '  background_color: "#2c5f2d"',
        "features:",
        "  app_home:",
        "    home_tab_enabled: true",
        "    messages_tab_enabled: true",
        "    messages_tab_read_only_enabled: false",
        "  bot_user:",
        f"    display_name: {_q(name)}",
        "    always_online: true",
        "  slash_commands:",
        "    - command: /imvo",
        "      description: " + _q("IMVO poll, theme owners, guidance and the policy draft"),
        "      usage_hint: " + _q("help | start @people #channel all | status | draft | guidance"),
        "      should_escape: true",
    ]
    if events_url:
        lines.append(f"      url: {_q(events_url)}")
    lines += ["oauth_config:", "  scopes:", "    bot:"]
    lines += [f"      - {scope}" for scope in BOT_SCOPES]
    lines += ["settings:", "  event_subscriptions:"]
    if events_url:
        lines.append(f"    request_url: {_q(events_url)}")
    lines += ["    bot_events:"] + [f"      - {event}" for event in BOT_EVENTS]
    lines += ["  interactivity:", "    is_enabled: true"]
    if events_url:
        lines.append(f"    request_url: {_q(events_url)}")
    lines += [
        "  org_deploy_enabled: false",
        f"  socket_mode_enabled: {'false' if events_url else 'true'}",
        "  token_rotation_enabled: false",
    ]
    return "\n".join(lines) + "\n"
