"""`tongban` command line: serve, migrate, create-admin, import-org, demo, audit verify."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.config import Settings, load_settings
from core.db import close_db, open_db
from server.apps import database_config


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


def cmd_create_admin(args: argparse.Namespace) -> int:
    from directory.bootstrap import create_admin

    settings = load_settings()
    password = args.password or os.environ.get("TONGBAN_ADMIN_PASSWORD", "")
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

    async def work() -> int:
        report = await verify_chain()
        if report.ok:
            print(f"Audit chain intact: {report.checked} entries verified.")
            return 0
        print(f"Audit chain BROKEN at entry seq={report.broken_seq} (row id {report.broken_id}): "
              f"{report.reason}. {report.checked} entries before it verified.", file=sys.stderr)
        return 1

    return asyncio.run(_with_db(settings, work))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    if args.demo:
        from server.demo import load_demo_if_empty

        print(asyncio.run(_with_db(settings, lambda: load_demo_if_empty(settings=settings))))
    else:
        asyncio.run(_with_db(settings, _noop))
    print(f"Tongban listens on http://{args.host}:{args.port} "
          f"(websocket ws://{args.host}:{args.port}/v1/ws, API /v1/openapi.json)", flush=True)
    uvicorn.run(
        "server.asgi:app", host=args.host, port=args.port, workers=args.workers,
        # No per-message compression: it costs ~40 KiB of zlib state per socket, and events
        # are small and serialised once for all recipients.
        ws="websockets-sansio", ws_max_size=settings.ws_frame_limit_bytes,
        ws_per_message_deflate=False,
        log_level=args.log_level, proxy_headers=True,
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
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create or reset a system administrator")
    admin.add_argument("username")
    admin.add_argument("--password")
    admin.set_defaults(func=cmd_create_admin)
    imp = sub.add_parser("import-org", help="import units and people (CSV or JSON)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import_org)
    sub.add_parser("demo", help="load the demo province").set_defaults(func=cmd_demo)
    audit = sub.add_parser("audit", help="audit chain tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the whole chain").set_defaults(func=cmd_audit_verify)
    from documents.artifact.commands import add_commands as add_artifact_commands

    add_artifact_commands(sub, _with_db)  # ca init|issue|revoke|list, verify-pdf
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
