"""`tongban push status` (per-provider counts and the outbox depth) and `tongban push test
DEVICE` (queue a test push to a device's channel and send it from this process at once)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta

from core.config import Settings, load_settings


def cmd_push_status(args: argparse.Namespace) -> int:
    from push.queries import push_status
    from server.cli import _with_db

    async def work() -> int:
        status = await push_status()
        if args.json:
            print(json.dumps(status, ensure_ascii=False, indent=2))
            return 0
        for line in status_lines(status):
            print(line)
        return 0

    return asyncio.run(_with_db(load_settings(), work))


def status_lines(status: dict[str, object]) -> list[str]:
    lines = [f"Outbox depth: {status['outbox_depth']}"]
    providers = status["providers"]
    assert isinstance(providers, list)
    if not providers:
        lines.append("No push has been queued and no channel is attached yet.")
    for entry in providers:
        lines.append(
            f"{entry['provider'] or '-'}: sent {entry['sent']}, retried {entry['retried']}, "
            f"failed {entry['failed']}, invalid {entry['invalid']}, dropped {entry['dropped']}, "
            f"pending {entry['pending']}; channels active {entry['channels_active']}, "
            f"disabled {entry['channels_disabled']}")
    return lines


def cmd_push_test(args: argparse.Namespace) -> int:
    from server.cli import _with_db

    settings = load_settings()
    return asyncio.run(_with_db(settings, lambda: _test(settings, args.device)))


async def _test(settings: Settings, device_id: int) -> int:
    from push.actions import do_queue_test
    from push.models import PushChannel
    from push.providers import build_providers
    from push.sender import Sender

    channel = await PushChannel.get_or_none(device_id=device_id)
    if channel is None:
        print(f"Device {device_id} has no push channel attached.", file=sys.stderr)
        return 1
    providers = build_providers(settings)
    if channel.provider not in providers:
        print(f"Provider {channel.provider!r} is not configured (README, Push).", file=sys.stderr)
        return 1
    sender = Sender(providers, batch=1, poll_seconds=1.0,
                    give_up_seconds=settings.push_give_up_seconds)
    row = await do_queue_test(channel, actor_id=None, hold=timedelta(minutes=1))
    try:
        outcome = await sender.send_now(row.id)
    finally:
        await asyncio.gather(*(provider.close() for provider in providers.values()))
    print(f"Test push {row.id} to device {device_id} via {channel.provider}: {outcome}")
    return 0 if outcome == "sent" else 1


def add_push_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    push = sub.add_parser("push", help="push notifications to phones (离线推送)")
    push_sub = push.add_subparsers(dest="push_command", required=True)
    status = push_sub.add_parser("status", help="per-provider counts and the outbox depth")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=cmd_push_status)
    test = push_sub.add_parser("test", help="send a test push to a device now")
    test.add_argument("device", type=int, help="the device id (`GET /v1/devices`)")
    test.set_defaults(func=cmd_push_test)
