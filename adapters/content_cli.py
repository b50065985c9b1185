"""`imvo-bot content init DIR` and `imvo-bot content check` (kept apart so cli.py stays short).

A company keeps its own content outside the installed package: `content init DIR` copies the
shipped files there, `IMVO_CONTENT_DIR=DIR` makes the bot read them (a file or key missing there
falls back to the shipped one), and `content check` checks what the bot will actually use.

`content check` also warns (on stderr, one `warning:` line each, naming file and key) about what
has gone stale by today's date: a "vanaf/uiterlijk/from/by <date>" whose date has passed, a
relative time word ("binnenkort", "next year") in a text of facts, an `as_of` in briefings.toml
more than six months old (see bot.content.check). Warnings leave the exit code at 0, so a date
passing never breaks a build (CI runs the check without --strict); `--strict` makes them fail.
`--today YYYY-MM-DD` checks as if it were that day (what will have expired by then?).

Exit codes: 0 done; 1 the content has an error (the file and key are named), or warnings under
--strict; 2 refused (a bad argument or setting, files that would be overwritten without --force).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import date, datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.content.check import check_content, dated_warnings
from bot.content.library import content_source
from bot.content.loader import ContentError, content_root
from bot.core.domain import LANGUAGES
from bot.core.settings import Settings

_P = TypeVar("_P", bound=argparse.ArgumentParser)

EXIT_BROKEN = 1
EXIT_REFUSED = 2

_INIT_EPILOG = """\
Then point the bot at the folder, e.g. in .env: IMVO_CONTENT_DIR=/srv/imvo/content
Edit what you want to change and delete what you keep as shipped: a file or key that is
missing in the folder falls back to the shipped one, so updates of the bot still reach you.
Check your edits with: imvo-bot content check
"""


def add_content_parser(sub: argparse._SubParsersAction[_P]) -> None:
    """Adds `content check` and `content init` to the command line's subcommands."""
    content = sub.add_parser("content", help="check the content, or copy it to edit your own")
    actions = content.add_subparsers(
        dest="action", required=True, parser_class=type(content), metavar="ACTION"
    )
    check = actions.add_parser(
        "check",
        help="validate the content the bot will use (IMVO_CONTENT_DIR over the shipped files)",
        description="Validates the content the bot will use (IMVO_CONTENT_DIR over the shipped"
        " files) and warns about dated texts that have gone stale: a 'vanaf/uiterlijk/from/by"
        " <date>' whose date has passed, a relative time word such as 'binnenkort' or 'next"
        " year', an as_of in briefings.toml more than six months old.",
    )
    check.add_argument(
        "--strict", action="store_true", help="fail (exit 1) on warnings too, not only on errors"
    )
    check.add_argument(
        "--today",
        type=_iso_day,
        metavar="YYYY-MM-DD",
        help="check as if it were this day (default: today in IMVO_TIMEZONE)",
    )
    init = actions.add_parser(
        "init",
        help="copy the shipped content into DIR, to edit as your company's own",
        epilog=_INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("dir", type=Path, metavar="DIR", help="the folder to copy the files into")
    init.add_argument("--force", action="store_true", help="overwrite files that exist there")


def run_content(args: argparse.Namespace, settings: Settings | None) -> int:
    if args.action == "init":
        return _init(args.dir, args.force)
    return _check(settings, args.strict, args.today)


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a day as YYYY-MM-DD, not {text!r}") from None


def _shipped_files() -> Iterator[tuple[str, Traversable]]:
    root = content_root()
    for language in LANGUAGES:
        for node in sorted(root.joinpath(language).iterdir(), key=lambda n: n.name):
            if node.name.endswith((".toml", ".md")):  # the texts, and the privacy and terms pages
                yield f"{language}/{node.name}", node
    for node in sorted(root.joinpath("templates").iterdir(), key=lambda n: n.name):
        if node.name.endswith((".j2", ".docx")):
            yield f"templates/{node.name}", node


def _init(folder: Path, force: bool) -> int:
    files = list(_shipped_files())
    existing = [name for name, _ in files if (folder / name).exists()]
    if existing and not force:
        print(
            f"imvo-bot content init: {folder} already holds {', '.join(existing[:3])}"
            f"{' …' if len(existing) > 3 else ''}; nothing was copied (--force overwrites)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    for name, node in files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(node.read_bytes())
    print(f"Copied {len(files)} content files into {folder}.")
    print(f"Use them with IMVO_CONTENT_DIR={folder.resolve()} and check edits with:")
    print("imvo-bot content check")
    return 0


def _check(settings: Settings | None, strict: bool, today: date | None) -> int:
    folder = settings.content_dir if settings is not None else None
    shown = "content/" if folder is None else f"{folder} (over the shipped content/)"
    if today is None:
        zone = settings.timezone if settings is not None else "Europe/Amsterdam"
        today = datetime.now(ZoneInfo(zone)).date()
    source = content_source(folder)
    try:
        checked = check_content(source)
        warnings = dated_warnings(source, today)
    except ContentError as exc:
        print(f"imvo-bot content check: {exc}", file=sys.stderr)
        return EXIT_BROKEN
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    languages = " and ".join(LANGUAGES)
    print(f"{shown} is complete and consistent in {languages} ({checked} texts).")
    if not warnings:
        return 0
    count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} on {today.isoformat()}"
    if strict:
        print(f"imvo-bot content check --strict: {count}; failing", file=sys.stderr)
        return EXIT_BROKEN
    print(f"imvo-bot content check: {count} (--strict fails on them)", file=sys.stderr)
    return 0
