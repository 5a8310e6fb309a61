"""Run one fake vendor as its own process until interrupted, e.g. for the push benchmark:
`python -m tests.push.fakes --kind gateway --port 9000 --latency 0.02`.

HTTP fakes are read and scripted through `/_fake/stats`, `/_fake/received`, `/_fake/script`
and `/_fake/reset` (see `http_fake.controls`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from .apns import FakeApns
from .fcm import FakeFcm
from .gateway import FakeGateway
from .hms import FakeHms
from .http_fake import HttpFake
from .sms import FakeSms


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.push.fakes")
    parser.add_argument("--kind", required=True, choices=["apns", "hms", "fcm", "gateway", "sms"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--public-key", type=Path,
                        help="apns, fcm, hms (v3): PEM public key file")
    parser.add_argument("--key-id", default="", help="apns: the .p8 key's id")
    parser.add_argument("--team-id", default="", help="apns: the team id")
    parser.add_argument("--app-id", default="", help="hms: app id")
    parser.add_argument("--secret", default="", help="hms: app secret; sms: bearer token")
    parser.add_argument("--sub-account", default="", help="hms (v3): the service account's")
    parser.add_argument("--project", default="", help="fcm: project id")
    parser.add_argument("--email", default="", help="fcm: service account email")
    return parser.parse_args()


def make(args: argparse.Namespace) -> FakeApns | HttpFake:
    public = args.public_key.read_text() if args.public_key else ""
    if args.kind == "apns":
        return FakeApns(public_pem=public, key_id=args.key_id, team_id=args.team_id,
                        latency=args.latency)
    if args.kind == "hms":
        return FakeHms(app_id=args.app_id, client_secret=args.secret, latency=args.latency,
                       account_public_pem=public, sub_account=args.sub_account)
    if args.kind == "fcm":
        return FakeFcm(project_id=args.project, email=args.email, public_pem=public,
                       latency=args.latency)
    if args.kind == "sms":
        return FakeSms(token=args.secret, latency=args.latency)
    return FakeGateway(args.latency)


async def serve(fake: FakeApns | HttpFake, port: int) -> None:
    await fake.start(port)
    print(f"fake listening on {fake.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    args = parse()
    try:
        import uvloop
    except ImportError:
        run = asyncio.run
    else:
        run = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        run(serve(make(args), args.port))


if __name__ == "__main__":
    main()
