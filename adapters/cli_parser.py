"""The `imvo-bot` command line's parser, declared as data: SUBCOMMANDS lists each subcommand with
the line saying what it does and its arguments; `build_parser` makes the argparse parser from it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from adapters.content_cli import add_content_parser
from adapters.db_cli import add_db_parser
from bot.core.domain import LANGUAGES, PersonKey, Role

EXIT_USAGE = 2


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    bad = [f for f in formats if f not in ("docx", "md")]
    if bad or not formats:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(bad) or value!r}: use docx, md or docx,md"
        )
    return formats


def _user(value: str) -> PersonKey:
    platform, sep, user_id = value.partition(":")
    if not sep or platform not in ("slack", "teams", "console") or not user_id.strip():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a user: write slack:U123, teams:<aadObjectId> or console:name"
        )
    if platform == "console":
        from adapters.console.transport import console_key

        return console_key(user_id)
    return PersonKey(platform, "", user_id.strip())


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Subcommands)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _Subcommands(argparse._SubParsersAction):  # type: ignore[type-arg]  # generic in typeshed only
    """Subcommands whose `--help` opens with the line that lists them, unless they bring a
    description of their own: so a subcommand another module adds (`content`, `db`) has one too."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser


@dataclass(frozen=True)
class Argument:
    """One argument of a subcommand, as argparse's `add_argument(*flags, **options)` takes it."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def arg(*flags: str, **options: Any) -> Argument:
    return Argument(flags, options)


@dataclass(frozen=True)
class Subcommand:
    """A subcommand: its name, the line saying what it does (in `imvo-bot --help` and atop its
    own `--help`), its arguments, and its own subcommands (`roles grant`), if any."""

    name: str
    help: str
    args: tuple[Argument, ...] = ()
    actions: tuple[Subcommand, ...] = ()


_USER = arg("user", type=_user, help="slack:U123, teams:<aadObjectId> or console:name")
_ROLE = arg("role", choices=[Role.CSR_LEAD.value, Role.MANAGER.value])
_CAMPAIGN = arg("--campaign", type=int, default=None, help="campaign id (default: the latest)")

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "demo",
        "run a whole campaign with simulated colleagues, no platform needed",
        (
            arg(
                "--out",
                type=Path,
                default=Path("imvo-demo"),
                help="where to write the files (default ./imvo-demo)",
            ),
            arg(
                "--lang",
                choices=LANGUAGES,
                default="nl",
                help="language of the demo and its draft (default nl)",
            ),
        ),
    ),
    Subcommand(
        "chat",
        "chat with the bot in the terminal (also reads piped standard input)",
        (
            arg("--user", default=None, help="who you are (default: your login name)"),
            arg(
                "--role",
                choices=[r.value for r in Role],
                default=None,
                help="grant yourself this role first",
            ),
            arg("--lang", choices=LANGUAGES, default=None, help="your language"),
        ),
    ),
    Subcommand(
        "serve",
        "the HTTP server: Slack at POST /slack/events and/or Teams at POST /api/messages"
        " (whichever is configured), GET /healthz",
        (
            arg("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"),
            arg("--port", type=int, default=3978, help="port (default 3978)"),
        ),
    ),
    Subcommand("slack-socket", "Slack over Socket Mode (SLACK_APP_TOKEN), behind a firewall"),
    Subcommand(
        "compile",
        "compile the stored answers into a policy draft",
        (
            _CAMPAIGN,
            arg("--out", type=Path, default=None, help="output folder (default IMVO_DRAFT_DIR)"),
            arg(
                "--format",
                type=_formats,
                default=("docx", "md"),
                help="docx, md or docx,md (default both)",
            ),
            arg(
                "--lang",
                choices=LANGUAGES,
                default=None,
                help="draft language (default: the campaign's)",
            ),
            arg(
                "--template",
                type=Path,
                default=None,
                help="a Word .docx whose styles, header and logo the draft takes"
                " (default IMVO_DRAFT_TEMPLATE, else the shipped template)",
            ),
        ),
    ),
    Subcommand(
        "digest",
        "build the manager digest; send it to managers, or print it",
        (
            _CAMPAIGN,
            arg("--print", action="store_true", help="print it as Markdown instead of sending"),
            arg("--lang", choices=LANGUAGES, default=None, help="language of a printed digest"),
        ),
    ),
    Subcommand(
        "roles",
        "who is csr_lead or manager",
        actions=(
            Subcommand("grant", "grant a role", (_USER, _ROLE)),
            Subcommand("revoke", "revoke a role", (_USER, _ROLE)),
            Subcommand("list", "list granted roles"),
        ),
    ),
    Subcommand(
        "manifest",
        "the Slack manifest (YAML) or the Teams app package",
        (
            arg("platform", choices=["slack", "teams"], help="slack or teams"),
            arg(
                "--url",
                default=None,
                help="public base URL of `imvo-bot serve`; none: Socket Mode",
            ),
            arg("--out", type=Path, default=Path("."), help="folder to write it to (default .)"),
        ),
    ),
    Subcommand(
        "user",
        "a person's own data: export or erase (GDPR)",
        actions=(
            Subcommand("export", "print everything the bot holds about USER as JSON", (_USER,)),
            Subcommand(
                "erase",
                "erase everything the bot holds about USER",
                (_USER, arg("--yes", action="store_true", help="do not ask for confirmation")),
            ),
        ),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The command line: the subcommands of SUBCOMMANDS, then those of `content` and `db`."""
    parser = _Parser(
        prog="imvo-bot",
        description="A chat bot that gathers colleagues' views and compiles an IMVO policy draft.",
    )
    sub = _add_subcommands(parser, SUBCOMMANDS, "command", "COMMAND")
    add_content_parser(sub)
    add_db_parser(sub)
    return parser


def _add_subcommands(
    parser: argparse.ArgumentParser, subcommands: tuple[Subcommand, ...], dest: str, metavar: str
) -> argparse._SubParsersAction[_Parser]:
    """Adds `subcommands` to `parser` as its subcommands (their name goes to `args.<dest>`)."""
    sub = parser.add_subparsers(dest=dest, required=True, parser_class=_Parser, metavar=metavar)
    for command in subcommands:
        p = sub.add_parser(command.name, help=command.help)
        for argument in command.args:
            p.add_argument(*argument.flags, **argument.options)
        if command.actions:
            _add_subcommands(p, command.actions, "action", "ACTION")
    return sub
