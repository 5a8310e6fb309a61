"""The command line of issued documents: `tongban ca init|issue` and `tongban verify-pdf`,
run as a deployment runs them (a separate process with its own data folder)."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

from conftest import Server
from documents_helpers import office, officials
from issued_helpers import flipped_bytes, issued
from tongban_client import TongbanClient

__all__ = ["office", "officials"]


async def tongban(*args: str, data_dir: Path) -> tuple[int, str, str]:
    env = {**os.environ, "TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_SECRET_KEY": "cli-test",
           "TONGBAN_DATABASE_URL": f"sqlite://{data_dir / 'cli.sqlite3'}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_ca_init_keeps_the_key_encrypted_and_private_and_refuses_a_second_ca(
        tmp_path: Path) -> None:
    code, out, _ = await tongban("ca", "init", "--name", "测试省", data_dir=tmp_path)
    assert code == 0 and "SHA-256 fingerprint" in out
    key = tmp_path / "ca" / "ca.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    before = key.read_bytes()
    code, _, err = await tongban("ca", "init", data_dir=tmp_path)
    assert code == 1 and "already exists" in err and key.read_bytes() == before


async def test_verify_pdf_says_valid_or_names_what_is_wrong(
        server: Server, admin: TongbanClient, office, officials, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    made = await issued(office, officials, admin, body="请遵照执行。", title="关于命令行验证的通知")
    data = await made.clerk.client.download_document_pdf(made.document["id"])
    (tmp_path / "ca.crt").write_bytes(await admin.ca_certificate())
    (tmp_path / "crl.pem").write_bytes(await admin.ca_crl())
    (tmp_path / "good.pdf").write_bytes(data)
    (tmp_path / "bad.pdf").write_bytes(flipped_bytes(data))
    anchors = ("--ca", str(tmp_path / "ca.crt"), "--crl", str(tmp_path / "crl.pem"))
    code, out, _ = await tongban("verify-pdf", str(tmp_path / "good.pdf"), *anchors,
                                 data_dir=tmp_path / "data")
    assert code == 0 and out.startswith("VALID") and made.document["doc_number"] in out
    assert "[ok] 签发" in out
    code, out, _ = await tongban("verify-pdf", str(tmp_path / "bad.pdf"), *anchors,
                                 data_dir=tmp_path / "data")
    assert code == 1 and out.startswith("NOT VALID") and "signed bytes were changed" in out
