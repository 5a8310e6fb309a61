"""The operator's commands: `tongban backup`, `tongban restore`, `tongban feed prune`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from importlib import import_module
from pathlib import Path

from core.config import load_settings, storage_location

PG_DUMP_HINT = ("PostgreSQL: run `pg_dump --format=custom --file=FILE.pgdump \"$DATABASE_URL\"` "
                "BEFORE `tongban backup`, and keep both files together (README, Operations).")


def cmd_backup(args: argparse.Namespace) -> int:
    from server.backup import Damaged, create_backup, verify_backup

    if args.verify:
        try:
            manifest = verify_backup(Path(args.verify))
        except (Damaged, FileNotFoundError) as exc:
            print(f"DAMAGED: {args.verify}: {exc}", file=sys.stderr)
            return 1
        print(f"OK: {args.verify}: {manifest.summary()}")
        return 0
    data_dir, database_url = storage_location()
    os.nice(args.nice)  # the server's requests come first; a backup may take longer
    try:
        manifest = create_backup(Path(args.out), data_dir=data_dir, database_url=database_url,
                                 exclude=args.exclude)
    except FileExistsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"Backup written: {args.out}: {manifest.summary()}")
    if os.environ.get("TONGBAN_SECRET_KEY"):
        print("Note: TONGBAN_SECRET_KEY comes from the environment, so it is not in the archive: "
              "keep it with the backup.")
    if not manifest.database.get("included"):
        print(PG_DUMP_HINT)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from server.backup import Damaged, RestoreRefused, restore_backup

    data_dir, database_url = storage_location()
    try:
        manifest = restore_backup(Path(args.file), data_dir=data_dir, database_url=database_url)
    except RestoreRefused as exc:
        print(f"Refused: {exc}. Nothing was restored.", file=sys.stderr)
        return 2
    except (Damaged, FileNotFoundError) as exc:
        print(f"DAMAGED: {args.file}: {exc}. Nothing was restored.", file=sys.stderr)
        return 1
    print(f"Restored into {data_dir}: {manifest.summary()}")
    for warning in newer_migrations(manifest.database.get("migrations") or {}):
        print(f"Warning: {warning}", file=sys.stderr)
    print("Next: `tongban audit verify`, then `tongban serve` (it applies newer migrations).")
    return 0


def newer_migrations(applied: dict[str, list[str]]) -> list[str]:
    """Migrations the backup's database has and this version of the code does not know."""
    found = []
    for app, names in applied.items():
        try:
            folder = Path(import_module(f"{app}.migrations").__file__ or "").parent
        except ImportError:
            found.append(f"the backup has tables of `{app}`, unknown to this version")
            continue
        known = {path.stem for path in folder.glob("[0-9]*.py")}
        found += [f"{app} migration {name} is newer than this version: upgrade Tongban first"
                  for name in names if name not in known]
    return found


def cmd_feed_prune(args: argparse.Namespace) -> int:
    from core.clock import utcnow
    from core.retention import do_prune_feed
    from server.cli import _with_db

    settings = load_settings()
    days = settings.feed_retention_days if args.days is None else args.days
    if days <= 0:
        print("Retention is off (TONGBAN_FEED_RETENTION_DAYS=0): nothing to prune.")
        return 0

    async def work() -> int:
        report = await do_prune_feed(older_than=utcnow() - timedelta(days=days),
                                     budget=float("inf"))
        print(f"Removed {report.removed} events older than {days} days in {report.batches} "
              f"batches; the feed now starts after event {report.pruned_through}.")
        return 0

    return asyncio.run(_with_db(settings, work))


def add_operations_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = sub.add_parser("backup", help="archive the database and the data folder, or check "
                                           "an archive")
    what = backup.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", help="the archive to write (.tar, or .tar.gz to compress)")
    what.add_argument("--verify", metavar="FILE", help="check an archive against its manifest")
    backup.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="also leave out these data-folder paths or file-name patterns")
    backup.add_argument("--nice", type=int, default=10, choices=range(20), metavar="0-19",
                        help="lower this process's CPU priority by this much (default 10) so "
                             "that a server on the same machine answers first")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="unpack a backup into an empty data folder")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)
    feed = sub.add_parser("feed", help="event feed tools")
    feed_sub = feed.add_subparsers(dest="feed_command", required=True)
    prune = feed_sub.add_parser("prune", help="remove events past the retention now")
    prune.add_argument("--days", type=int, help="default: TONGBAN_FEED_RETENTION_DAYS (90)")
    prune.set_defaults(func=cmd_feed_prune)
