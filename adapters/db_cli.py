"""`imvo-bot db copy`: the command line of `storage.copy` (kept apart so cli.py stays short).

Exit codes: 0 copied and verified; 1 the copy went wrong on the way (a database error, or
counts that differ afterwards) and was rolled back; 2 refused before any row was written (a bad
URL, the same database twice, a non-empty target without --force, different schemas).
"""

from __future__ import annotations

import argparse
import sys
from typing import TypeVar

from storage import StoreConfigError
from storage.copy import CopyError, CopyFailed, copy_store, shown_url

_P = TypeVar("_P", bound=argparse.ArgumentParser)

EXIT_FAILED = 1
EXIT_REFUSED = 2

_COPY_DESCRIPTION = """\
Copies a whole installation from one store into another (SQLite to PostgreSQL and back):
every table, in one transaction, then checks that each table holds as many rows in the target
as in the source. Both stores are first brought to this bot's latest schema, the source too.
Stop the bot first: what it writes to the source during the copy is not copied. A target that
holds any row is refused unless --force, which replaces its contents.
"""

_COPY_EPILOG = """\
URLs: sqlite:///relative/path.db, sqlite:////absolute/path.db or
postgresql://user:password@host:5432/database (a password is never printed).
Exit codes: 0 copied and verified; 1 the copy failed or the counts differ (rolled back, the
target is unchanged); 2 refused before any row was written.
"""


def add_db_parser(sub: argparse._SubParsersAction[_P]) -> None:
    """Adds `db copy` to the command line's subcommands."""
    db = sub.add_parser("db", help="copy a whole installation between stores")
    db_sub = db.add_subparsers(
        dest="action", required=True, parser_class=type(db), metavar="ACTION"
    )
    copy = db_sub.add_parser(
        "copy",
        help="copy every table from one store into another, verified by counts",
        description=_COPY_DESCRIPTION,
        epilog=_COPY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the store to copy from"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="the store to copy into"
    )
    copy.add_argument(
        "--force",
        action="store_true",
        help="replace everything in a target that is not empty",
    )


async def run_db(args: argparse.Namespace) -> int:
    """Runs `db copy`; prints a line per table and a summary, or one line on stderr."""
    try:
        copied = await copy_store(args.source, args.target, force=args.force, progress=_progress)
    except CopyFailed as exc:
        print(f"imvo-bot db copy: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (CopyError, StoreConfigError) as exc:
        print(f"imvo-bot db copy: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    total = sum(copied.values())
    print(
        f"Copied {_rows(total)} in {len(copied)} tables from {shown_url(args.source)}"
        f" to {shown_url(args.target)}; counts verified."
    )
    return 0


def _progress(table: str, rows: int) -> None:
    print(f"{table}: {_rows(rows)}", flush=True)


def _rows(count: int) -> str:
    return f"{count:,} {'row' if count == 1 else 'rows'}"
