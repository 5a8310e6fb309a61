"""`tongban` command line: serve, migrate, create-admin, import-org, demo, audit verify and
checkpoint; backup, restore and feed prune (`server.opscli`); push status and test
(`server.pushcli`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from core.config import Settings, load_settings
from core.db import close_db, open_db
from server.apps import database_config
from server.opscli import add_operations_commands
from server.pushcli import add_push_commands


T = TypeVar("T")


async def _with_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    await open_db(database_config(settings.database_url))
    try:
        return await work()
    finally:
        await close_db()


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def done() -> int:
        print(f"Database is up to date: {_safe_url(settings.database_url)}")
        return 0

    return asyncio.run(_with_db(settings, done))


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


NO_PASSWORD = ("No password: give --password, set TONGBAN_ADMIN_PASSWORD, or run this on a "
               "terminal to be asked for it.")


def admin_password(given: str | None) -> str | None:
    """--password, else TONGBAN_ADMIN_PASSWORD, else asked twice on a terminal; None if none."""
    password = given or os.environ.get("TONGBAN_ADMIN_PASSWORD", "")
    if password or not sys.stdin.isatty():
        return password or None
    import getpass

    first = getpass.getpass("Password for the administrator: ")
    if getpass.getpass("The same again: ") != first:
        print("The two passwords differ.", file=sys.stderr)
        return None
    return first


def cmd_create_admin(args: argparse.Namespace) -> int:
    from directory.bootstrap import create_admin

    settings = load_settings()
    password = admin_password(args.password)
    if password is None:
        print(NO_PASSWORD if not sys.stdin.isatty() else "No administrator made.",
              file=sys.stderr)
        return 2
    if len(password) < 8:
        print("The password must have at least 8 characters (--password).", file=sys.stderr)
        return 2

    async def work() -> int:
        person = await create_admin(args.username, password, settings=settings)
        print(f"Administrator {person.username} (id {person.id}) is ready.")
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_import_org(args: argparse.Namespace) -> int:
    from directory.importing import ImportFailed, import_org_file

    settings = load_settings()

    async def work() -> int:
        try:
            summary = await import_org_file(args.file, settings=settings)
        except ImportFailed as failed:
            print(f"Nothing was imported: {len(failed.errors)} problem(s) in {args.file}",
                  file=sys.stderr)
            for line in failed.errors:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(summary)
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import load_demo

    settings = load_settings()

    async def work() -> int:
        print(await load_demo(settings=settings))
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from core.audit import verify_chain

    settings = load_settings()
    checked = _signed_checkpoints(settings, args) if args.checkpoints else ([], [])
    if checked is None:
        return 2

    async def work() -> int:
        report = await verify_chain()
        damage = checked[1] + await _compare(checked[0])
        if report.ok and not damage:
            print(f"Audit chain intact: {report.checked} entries verified"
                  f"{_covered(checked[0]) if args.checkpoints else ''}.")
            return 0
        if not report.ok:
            print(f"Audit chain BROKEN at entry seq={report.broken_seq} (row id "
                  f"{report.broken_id}): {report.reason}. {report.checked} entries before it "
                  f"verified.", file=sys.stderr)
        for line in damage:
            print(f"Audit chain {line}", file=sys.stderr)
        return 1

    return asyncio.run(_with_db(settings, work))


def _signed_checkpoints(settings: Settings, args: argparse.Namespace) -> Any:
    """The checkpoints of `--checkpoints DIR` that verify, and the damage in the others."""
    from core.checkpoints import read_checkpoints, verifying_key
    from core.signednote import NoteError

    try:
        key = verifying_key(settings, args.verifier_key)
    except (NoteError, ValueError) as exc:
        print(f"Cannot check checkpoints: {exc}", file=sys.stderr)
        return None
    return read_checkpoints(Path(args.checkpoints), key)


async def _compare(checkpoints: list[Any]) -> list[str]:
    from core.checkpoints import compare

    return await compare(checkpoints) if checkpoints else []


def _covered(checkpoints: list[Any]) -> str:
    if not checkpoints:
        return "; NO signed checkpoint found: truncation and rehashing cannot be ruled out"
    newest = checkpoints[-1]
    return (f"; {len(checkpoints)} signed checkpoint(s) agree, the newest covering entries "
            f"1…{newest.seq} (signed {newest.at})")


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    from core.checkpoints import ChainDamaged, key_file, signing_key, write_checkpoint

    settings = load_settings()
    key = signing_key(settings)

    async def work() -> int:
        try:
            checkpoint, path = await write_checkpoint(Path(args.out), key)
        except ChainDamaged as damaged:
            for line in damaged.damage:
                print(f"Audit chain {line}", file=sys.stderr)
            print("No checkpoint was signed.", file=sys.stderr)
            return 1
        print(f"Checkpoint of audit entry {checkpoint.seq} written to {path}.")
        print(f"Signed with {key_file(settings)}; its verifier key (keep a copy off this host):")
        print(key.verifier())
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.process import serving
    from server.serving import uvicorn_options

    settings = load_settings()
    if args.demo:
        from server.demo import load_demo_if_empty

        print(asyncio.run(_with_db(settings, lambda: load_demo_if_empty(settings=settings))))
    else:
        asyncio.run(_with_db(settings, _noop))
    print(f"Tongban listens on http://{args.host}:{args.port} "
          f"(websocket ws://{args.host}:{args.port}/v1/ws, API /v1/openapi.json)", flush=True)
    # `serving` adds logging, the metrics folder of several workers, the shutdown grace and
    # a clean exit on SIGTERM (server.process); it also sets the log level.
    with serving(settings, workers=args.workers, log_level=args.log_level) as operations:
        uvicorn.run(
            "server.asgi:app", host=args.host, port=args.port, workers=args.workers,
            **uvicorn_options(settings), **operations,
        )
    return 0


async def _noop() -> int:
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tongban", description="通办 Tongban server")
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load the demo province if empty")
    serve.add_argument("--log-level", default=None, help="default: TONGBAN_LOG_LEVEL or info")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create or reset a system administrator")
    admin.add_argument("username")
    admin.add_argument("--password", help="else TONGBAN_ADMIN_PASSWORD, else asked on a "
                                          "terminal")
    admin.set_defaults(func=cmd_create_admin)
    imp = sub.add_parser("import-org", help="import units and people (CSV or JSON)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import_org)
    sub.add_parser("demo", help="load the demo province").set_defaults(func=cmd_demo)
    audit = sub.add_parser("audit", help="audit chain tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the whole chain")
    verify.add_argument("--checkpoints", metavar="DIR",
                        help="also check it against the signed checkpoints in DIR")
    verify.add_argument("--verifier-key", help="the key checkpoints must be signed with "
                        "(default: TONGBAN_AUDIT_VERIFIER_KEY, else that of the signing key)")
    verify.set_defaults(func=cmd_audit_verify)
    checkpoint = audit_sub.add_parser("checkpoint", help="sign the chain's head into a folder")
    checkpoint.add_argument("--out", metavar="DIR", required=True)
    checkpoint.set_defaults(func=cmd_audit_checkpoint)
    add_operations_commands(sub)
    add_push_commands(sub)
    from documents.artifact.commands import add_commands as add_artifact_commands

    add_artifact_commands(sub, _with_db)  # ca init|issue|revoke|list, verify-pdf
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
