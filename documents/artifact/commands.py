"""The command line of the artifact: `tongban ca init|issue|revoke|list` and
`tongban verify-pdf FILE`. `server.cli` registers them; each returns the exit status."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from core.config import Settings, load_settings
from documents.artifact import ca


def add_commands(sub: Any, with_db: Any) -> None:
    """Register the subcommands; `with_db(settings, work)` runs `work` with the database."""
    authority = sub.add_parser("ca", help="the deployment's CA for signing issued documents")
    ca_sub = authority.add_subparsers(dest="ca_command", required=True)
    init = ca_sub.add_parser("init", help="create the CA (once)")
    init.add_argument("--name", default="通办", help="the deployment's name, e.g. 某某省")
    init.set_defaults(func=cmd_ca_init)
    issue = ca_sub.add_parser("issue", help="issue a unit a new signing certificate")
    issue.add_argument("unit", type=int, help="the unit's id")
    issue.set_defaults(func=lambda a: cmd_ca_issue(a, with_db))
    revoke = ca_sub.add_parser("revoke", help="revoke a unit's certificate")
    revoke.add_argument("serial")
    revoke.add_argument("--reason", default="")
    revoke.set_defaults(func=lambda a: cmd_ca_revoke(a, with_db))
    listing = ca_sub.add_parser("list", help="list certificates")
    listing.set_defaults(func=lambda a: cmd_ca_list(a, with_db))
    verify = sub.add_parser("verify-pdf", help="verify an issued PDF (no server needed)")
    verify.add_argument("file")
    verify.add_argument("--ca", help="CA certificate to trust (default: this deployment's)")
    verify.add_argument("--crl", help="revocation list (default: this deployment's)")
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.set_defaults(func=cmd_verify_pdf)


def cmd_ca_init(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import hashes

    from documents.artifact.certificates import init_ca

    settings = load_settings()
    try:
        cert = init_ca(settings, name=args.name)
    except FileExistsError as exc:
        print(f"{exc} Nothing was changed.", file=sys.stderr)
        return 1
    print(f"CA created in {ca.ca_dir(settings.data_dir)}: {cert.subject.rfc4514_string()}\n"
          f"SHA-256 fingerprint {cert.fingerprint(hashes.SHA256()).hex()}\n"
          "Publish ca.crt to those who verify issued documents; back up the ca folder.")
    return 0


def cmd_ca_issue(args: argparse.Namespace, with_db: Any) -> int:
    from directory.models import Unit
    from documents.artifact.certificates import do_issue_certificate

    settings = load_settings().with_overrides(ca_auto=False)

    async def work() -> int:
        unit = await Unit.get_or_none(id=args.unit)
        if unit is None:
            print(f"No unit {args.unit}.", file=sys.stderr)
            return 2
        try:
            record = await do_issue_certificate(unit, actor_id=None, settings=settings)
        except ca.CaMissing as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"Unit {unit.id} ({unit.name}): certificate {record.serial}, valid until "
              f"{record.not_after:%Y-%m-%d}.")
        return 0

    return int(asyncio.run(with_db(settings, work)))


def cmd_ca_revoke(args: argparse.Namespace, with_db: Any) -> int:
    from core.errors import ApiError
    from documents.artifact.certificates import access_certificate, do_revoke_certificate

    settings = load_settings()

    async def work() -> int:
        try:
            record = await access_certificate(args.serial)
            await do_revoke_certificate(record, actor_id=None, reason=args.reason,
                                        settings=settings)
        except ApiError as exc:
            print(exc.detail, file=sys.stderr)
            return 1
        print(f"Certificate {record.serial} of unit {record.unit_id} revoked; "
              "the revocation list is updated.")
        return 0

    return int(asyncio.run(with_db(settings, work)))


def cmd_ca_list(args: argparse.Namespace, with_db: Any) -> int:
    from documents.artifact.models import UnitCertificate

    settings = load_settings()

    async def work() -> int:
        for row in await UnitCertificate.all().order_by("unit_id", "issued_at"):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "valid"
            print(f"unit {row.unit_id}\t{row.serial}\tuntil {row.not_after:%Y-%m-%d}\t{state}")
        return 0

    return int(asyncio.run(with_db(settings, work)))


def _anchors(args: argparse.Namespace, settings: Settings) -> tuple[list[Any], list[bytes]]:
    from cryptography import x509

    folder = ca.ca_dir(settings.data_dir)
    ca_path = Path(args.ca) if args.ca else folder / "ca.crt"
    crl_path = Path(args.crl) if args.crl else folder / "crl.pem"
    roots = [x509.load_pem_x509_certificate(ca_path.read_bytes())] if ca_path.exists() else []
    crls = [crl_path.read_bytes()] if crl_path.exists() else []
    return roots, crls


def cmd_verify_pdf(args: argparse.Namespace) -> int:
    """Exit 0 when valid, 1 when not, 2 when the file cannot be read."""
    from documents.artifact.verify import verify_pdf

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    roots, crls = _anchors(args, load_settings())
    report = verify_pdf(data, roots=roots, crls=crls)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else _summary(report))
    return 0 if report["valid"] else 1


def _summary(report: dict[str, Any]) -> str:
    signature, document = report["signature"], report.get("document") or {}
    lines = [f"{'VALID' if report['valid'] else 'NOT VALID'}: {report['file_sha256']}"]
    if signature.get("present"):
        cert = signature["certificate"]
        lines.append(f"  signed by {signature['unit']['name']} (certificate {cert['serial']}, "
                     f"issuer {cert['issuer']})")
    if document:
        lines.append(f"  document {document.get('number')} 《{document.get('title')}》, "
                     f"content {document.get('content_sha256')}")
    for decision in report["decisions"]:
        mark = "ok" if decision["valid"] else "BAD"
        lines.append(f"  [{mark}] {decision['step']}: {decision['person']['name']} "
                     f"{decision['decision']} at {decision['signed_at']}")
    lines += [f"  problem: {problem}" for problem in report["problems"]]
    return "\n".join(lines)
