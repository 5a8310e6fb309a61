"""The phone's part of 签批 from a shell, for trying the API with curl (docs/ guides use it).

    python -m tongban_client.device new KEYFILE [--name N] [--platform P]
        makes a P-256 key (KEYFILE, mode 0600) and prints the body of POST /v1/devices;
    python -m tongban_client.device decide KEYFILE --chain C --step S --content-sha256 H
            [--decision approve|reject|return] [--comment TEXT]
        prints the body of POST /v1/approvals/{C}/decisions, with its compact JWS signature.

A real app keeps its key in the phone's secure storage and signs in the same shape.
"""

from __future__ import annotations

import argparse
import json
import sys

from tongban_client.keys import DeviceKey


def new_device(args: argparse.Namespace) -> dict[str, object]:
    key = DeviceKey.generate()
    key.save(args.keyfile)
    return {"name": args.name, "platform": args.platform, "public_jwk": key.public_jwk()}


def decide(args: argparse.Namespace) -> dict[str, object]:
    key = DeviceKey.load(args.keyfile)
    signature = key.sign_decision(chain=args.chain, step=args.step, decision=args.decision,
                                  comment=args.comment, content_sha256=args.content_sha256)
    return {"step_id": args.step, "decision": args.decision, "comment": args.comment,
            "signature": signature}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tongban_client.device", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="make a device key; print the registration body")
    new.add_argument("keyfile")
    new.add_argument("--name", default="命令行")
    new.add_argument("--platform", default="cli")
    new.set_defaults(func=new_device)
    sign = sub.add_parser("decide", help="print a signed decision body")
    sign.add_argument("keyfile")
    sign.add_argument("--chain", type=int, required=True)
    sign.add_argument("--step", type=int, required=True)
    sign.add_argument("--content-sha256", required=True)
    sign.add_argument("--decision", default="approve", choices=["approve", "reject", "return"])
    sign.add_argument("--comment", default="")
    sign.set_defaults(func=decide)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    print(json.dumps(args.func(args), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
