"""The Teams app package: manifest.json (bot in personal and team scope, command list,
`supportsFiles`), a 192×192 colour icon and a 32×32 transparent outline icon, zipped."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from urllib.parse import urlparse

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
ACCENT = (0x2C, 0x5F, 0x2D)
COMMANDS = (
    ("help", "What the bot can do"),
    ("start", "Start a campaign: start all, or start and names (CSR leads)"),
    ("status", "Response rate, answers per question, owners, open items"),
    ("owners", "The nine themes with their owners"),
    ("guidance", "A theme's guidance with examples and references"),
    ("draft", "Compile the policy draft (CSR leads)"),
    ("digest", "The manager digest"),
    ("mydata", "Everything the bot holds about you"),
    ("language", "language nl or language en"),
    ("stop", "Close the running campaign (CSR leads)"),
)

Pixel = Callable[[int, int], tuple[int, int, int, int]]


def png(size: int, pixel: Pixel) -> bytes:
    """A minimal RGBA PNG, written by hand (no imaging library needed for two icons)."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _leaf(x: int, y: int, size: int) -> bool:
    """A simple leaf shape: two overlapping circles."""
    r = size * 0.36
    cx1, cy1 = size * 0.42, size * 0.58
    cx2, cy2 = size * 0.58, size * 0.42
    return (x - cx1) ** 2 + (y - cy1) ** 2 < r * r and (x - cx2) ** 2 + (y - cy2) ** 2 < r * r


def color_icon() -> bytes:
    return png(192, lambda x, y: (255, 255, 255, 255) if _leaf(x, y, 192) else (*ACCENT, 255))


def outline_icon() -> bytes:
    return png(32, lambda x, y: (255, 255, 255, 255) if _leaf(x, y, 32) else (0, 0, 0, 0))


def teams_manifest(url: str, app_id: str, version: str = "1.0.0") -> dict[str, object]:
    host = urlparse(url).netloc
    base = url.rstrip("/")
    commands = [{"title": title, "description": text} for title, text in COMMANDS]
    return {
        "$schema": SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": app_id,
        "developer": {
            "name": "IMVO bot",
            "websiteUrl": base,
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": "IMVO bot", "full": "IMVO bot: responsible business conduct policy"},
        "description": {
            "short": "Gathers colleagues' views and drafts an IMVO policy.",
            "full": (
                "Polls colleagues in a personal chat about the company's mission, drivers, "
                "trends, legislation and expected resistance, collects theme owners, sends "
                "managers digests and compiles everything into a policy draft (Word, Markdown)."
            ),
        },
        "icons": {"outline": "outline.png", "color": "color.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team"],
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": ["personal", "team"], "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def teams_package(url: str, app_id: str) -> bytes:
    """The zip to upload in Teams (Apps → Manage your apps → Upload an app)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(teams_manifest(url, app_id), indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()
