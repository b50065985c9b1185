"""Settings from the environment (and a `.env` file), validated once at start.

The names and defaults are the public surface in CONTRACT.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.domain import LANGUAGES

RETENTION_WHY = (
    ": a handled event must be remembered for at least a day, longer than any platform"
    " redelivers it"
)


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///imvo.db"
    # Connections each replica keeps to PostgreSQL (SQLite always uses one).
    db_pool_size: int = 10
    # How long a replica's claim on an invitation or job lasts before others may take it over.
    lease_seconds: int = 60
    # How long handled event ids, done jobs and the settled invitations of closed campaigns
    # are kept (answers are never pruned). At least a day: far beyond any redelivery.
    retention_days: int = 30
    language: str = "nl"
    timezone: str = "Europe/Amsterdam"
    admins: tuple[str, ...] = ()
    draft_dir: Path = Path("drafts")
    # A company's own content folder over the shipped files (`imvo-bot content init DIR`).
    content_dir: Path | None = None
    anonymity_min: int = 5
    # The company named on the draft's cover, header and properties (IMVO_COMPANY_NAME).
    company_name: str = ""
    # A Word file whose styles, header and logo the draft takes (IMVO_DRAFT_TEMPLATE); None:
    # the shipped template.
    draft_template: Path | None = None
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = "https://slack.com/api/"
    # Include Slack guests (restricted accounts) in `start all`.
    slack_include_guests: bool = False
    teams_app_id: str = ""
    teams_app_password: str = field(default="", repr=False)
    teams_app_type: str = "MultiTenant"
    teams_tenant_id: str = ""
    allow_unauthenticated: bool = False

    @property
    def slack_on(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)


def parse_dotenv(text: str) -> dict[str, str]:
    """Reads `KEY=value` lines; `#` comments, blank lines, `export ` and quotes are handled."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def load_settings(env: Mapping[str, str], dotenv: Mapping[str, str] | None = None) -> Settings:
    """Builds Settings from environment variables, falling back to `.env` values, then defaults."""
    merged = {**(dotenv or {}), **env}

    def get(name: str, default: str) -> str:
        value = merged.get(name, "").strip()
        return value or default

    language = get("IMVO_LANGUAGE", "nl").lower()
    if language not in LANGUAGES:
        raise SettingsError(
            f"IMVO_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}"
        )
    timezone = get("IMVO_TIMEZONE", "Europe/Amsterdam")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"IMVO_TIMEZONE {timezone!r} is not a known time zone") from None

    def whole(
        name: str, default: int, low: int, high: int | None = None, unit: str = "", why: str = ""
    ) -> int:
        """A whole-number setting within its bounds; SettingsError naming it otherwise."""
        raw = get(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number{unit}, not {raw!r}") from None
        if high is None and value < low:
            raise SettingsError(f"{name} must be at least {low}")
        if high is not None and not low <= value <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, not {value}{why}")
        return value

    anonymity_min = whole("IMVO_ANONYMITY_MIN", 5, 1)
    db_pool_size = whole("IMVO_DB_POOL_SIZE", 10, 2, 200)
    lease_seconds = whole("IMVO_LEASE_SECONDS", 60, 2, 3600)
    retention_days = whole("IMVO_RETENTION_DAYS", 30, 1, 3650, " of days", RETENTION_WHY)
    admins = tuple(a.strip() for a in get("IMVO_ADMINS", "").split(",") if a.strip())
    for admin in admins:
        if ":" not in admin:
            raise SettingsError(
                f"IMVO_ADMINS entry {admin!r} must look like slack:U123, teams:<id> or console:name"
            )

    def existing(name: str, there: Callable[[Path], bool], problem: str) -> Path | None:
        """An optional path setting that must name something `there`; otherwise SettingsError
        with `problem` ({raw} stands for the value as given)."""
        raw = get(name, "")
        path = Path(raw).expanduser() if raw else None
        if path is not None and not there(path):
            raise SettingsError(f"{name} {raw!r} {problem.format(raw=raw)}")
        return path

    content_dir = existing(
        "IMVO_CONTENT_DIR",
        Path.is_dir,
        "is not a folder; make one with: imvo-bot content init {raw}",
    )
    draft_template = existing(
        "IMVO_DRAFT_TEMPLATE", Path.is_file, "is not a file; point it at a Word .docx file"
    )
    return Settings(
        database_url=get("IMVO_DATABASE_URL", "sqlite:///imvo.db"),
        db_pool_size=db_pool_size,
        lease_seconds=lease_seconds,
        retention_days=retention_days,
        language=language,
        timezone=timezone,
        admins=admins,
        draft_dir=Path(get("IMVO_DRAFT_DIR", "drafts")),
        content_dir=content_dir,
        anonymity_min=anonymity_min,
        company_name=" ".join(get("IMVO_COMPANY_NAME", "").split())[:120],
        draft_template=draft_template,
        slack_bot_token=get("SLACK_BOT_TOKEN", ""),
        slack_signing_secret=get("SLACK_SIGNING_SECRET", ""),
        slack_app_token=get("SLACK_APP_TOKEN", ""),
        slack_api_url=_api_url(get("SLACK_API_URL", "https://slack.com/api/")),
        slack_include_guests=get("IMVO_SLACK_INCLUDE_GUESTS", "0").lower() in ("1", "true", "yes"),
        teams_app_id=get("MicrosoftAppId", ""),
        teams_app_password=get("MicrosoftAppPassword", ""),
        teams_app_type=get("MicrosoftAppType", "MultiTenant"),
        teams_tenant_id=get("MicrosoftAppTenantId", ""),
        allow_unauthenticated=get("IMVO_ALLOW_UNAUTHENTICATED", "0").lower()
        in ("1", "true", "yes"),
    )


def _api_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, not {url!r}")
    return url if url.endswith("/") else url + "/"
