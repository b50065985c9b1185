"""`imvo-bot manifest slack`: a manifest Slack accepts, for HTTP and for Socket Mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.cli import main


def test_http_manifest_points_everything_at_slack_events(tmp_path: Path) -> None:
    assert (
        main(["manifest", "slack", "--url", "https://bot.example.org/", "--out", str(tmp_path)])
        == 0
    )
    manifest = yaml.safe_load((tmp_path / "slack-manifest.yaml").read_text(encoding="utf-8"))
    url = "https://bot.example.org/slack/events"
    assert manifest["features"]["slash_commands"][0]["command"] == "/imvo"
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_home_opened",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write",
        "commands",
        "im:history",
        "im:write",
        "users:read",
        "files:write",
    } <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_socket_mode_manifest_has_no_urls(tmp_path: Path) -> None:
    assert main(["manifest", "slack", "--out", str(tmp_path)]) == 0
    manifest = yaml.safe_load((tmp_path / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_a_plain_http_url_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "slack", "--url", "http://insecure", "--out", str(tmp_path)]) == 2
    assert "--url must be the public https:// address" in capsys.readouterr().err
    assert not (tmp_path / "slack-manifest.yaml").exists()


def test_teams_app_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import zipfile

    import docx  # noqa: F401  (python-docx ships no imaging; PNGs are checked by their headers)

    monkeypatch.setenv("MicrosoftAppId", "11111111-2222-3333-4444-555555555555")
    assert (
        main(["manifest", "teams", "--url", "https://bot.example.org", "--out", str(tmp_path)]) == 0
    )
    with zipfile.ZipFile(tmp_path / "imvo-teams-app.zip") as archive:
        assert set(archive.namelist()) == {"manifest.json", "color.png", "outline.png"}
        manifest = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    bot = manifest["bots"][0]
    assert bot["botId"] == manifest["id"] == "11111111-2222-3333-4444-555555555555"
    assert set(bot["scopes"]) == {"personal", "team"} and bot["supportsFiles"] is True
    assert len(bot["commandLists"][0]["commands"]) <= 10
    assert all(
        len(c["title"]) <= 32 and len(c["description"]) <= 128
        for c in bot["commandLists"][0]["commands"]
    )
    assert manifest["validDomains"] == ["bot.example.org"]
    for data, size in ((color, 192), (outline, 32)):
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert (
            int.from_bytes(data[16:20], "big") == size
            and int.from_bytes(data[20:24], "big") == size
        )
    assert io.BytesIO(color).getbuffer().nbytes < 60_000


def test_teams_package_needs_an_app_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    monkeypatch.chdir(tmp_path)
    assert (
        main(["manifest", "teams", "--url", "https://bot.example.org", "--out", str(tmp_path)]) == 2
    )
    assert "set MicrosoftAppId" in capsys.readouterr().err
