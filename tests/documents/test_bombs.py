"""Decompression and parser bombs sent as a document's body: refused with a 422 that names the
limit, quickly and without the server's memory growing (issue 15)."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import Org, OtherProcess, Server, make_person
from tongban_client import ApiError, TongbanClient

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" '
        f'ContentType="{DOCX.replace("document", "document.main+xml", 1)}"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
        '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
        'formats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'),
}


def docx_bomb(inflated_mib: int = 100) -> bytes:
    """A .docx whose document.xml inflates to `inflated_mib` MiB of paragraphs."""
    paragraph = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"
    block = paragraph * (1024 * 1024 // len(paragraph))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("word/document.xml", "w") as part:
            part.write(f'<w:document xmlns:w="{W}"><w:body>'.encode())
            for _ in range(inflated_mib):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return out.getvalue()


def lying_about_sizes(archive: bytes) -> bytes:
    """The same archive declaring every member 100 bytes long, in both of its headers."""
    data = bytearray(archive)
    for member in zipfile.ZipFile(io.BytesIO(archive)).infolist():
        struct.pack_into("<I", data, member.header_offset + 22, 100)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", data, at + 24, 100)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def many_entries(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(count):
            archive.writestr(f"word/e{n}.xml", b"")
    return out.getvalue()


def pdf_busy_bomb(megabytes: int = 20) -> bytes:
    """A 50 KiB PDF whose one page holds `megabytes` MB of text operators (pypdf: ~40 s)."""
    stream = zlib.compress(b"BT /F1 12 Tf (a) Tj ET\n" * (megabytes * 1_000_000 // 23), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


async def draft_with(client: TongbanClient, unit_id: int, content: bytes, name: str,
                     media_type: str) -> Any:
    uploaded = await client.upload_file(content, name, media_type)
    return await client.create_document(unit_id, "notice", "关于炸弹的通知",
                                        body_file_id=uploaded["id"])


async def refused(call: Any, limit: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    assert caught.value.status == 422 and caught.value.type.endswith("/file-over-limit")
    assert caught.value.errors[0]["type"] == limit and limit in (caught.value.detail or "")
    return caught.value


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return docx_bomb()


async def test_a_docx_bomb_is_refused_at_once_and_the_server_hardly_grows(
    server: Server, admin: TongbanClient, org: Org, bomb: bytes
) -> None:
    """Through a server process of its own, so that its RSS is the bomb's alone."""
    person = await make_person(admin, org.county)
    async with OtherProcess(server) as other:
        client = await other.client_for(person)
        assert other.process is not None
        before = memory_of(other.process.pid)
        started = time.perf_counter()
        await refused(draft_with(client, org.county, bomb, "炸弹.docx", DOCX), "max_ratio")
        took = time.perf_counter() - started
        after = memory_of(other.process.pid)
        assert (await client.get("/v1/documents"))["items"] == []  # nothing was kept
        await client.aclose()
    print(f"\ndocx bomb ({len(bomb) // 1024} KiB → 100 MiB document.xml): refused in "
          f"{took:.3f} s (upload and draft); server RSS {before['VmRSS'] // 1024} → "
          f"{after['VmRSS'] // 1024} MiB (+{(after['VmRSS'] - before['VmRSS']) / 1024:.1f}), "
          f"peak +{(after['VmHWM'] - before['VmHWM']) / 1024:.1f} MiB")


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: int(value.split()[0]) for key, _, value in (line.partition(":") for line in lines)
            if key in ("VmRSS", "VmHWM")}


async def test_a_docx_lying_about_its_sizes_is_counted_as_it_inflates(
    alice: TongbanClient, org: Org, bomb: bytes
) -> None:
    liar = lying_about_sizes(bomb)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo("word/document.xml").file_size == 100
    await refused(draft_with(alice, org.county, liar, "小文件.docx", DOCX), "max_ratio")


async def test_a_docx_with_thousands_of_entries_is_refused(alice: TongbanClient, org: Org) -> None:
    await refused(draft_with(alice, org.county, many_entries(3000), "多.docx", DOCX),
                  "max_entries")


async def test_a_pdf_that_keeps_its_reader_busy_is_stopped_at_the_time_budget(
    server: Server, alice: TongbanClient, org: Org
) -> None:
    budget = server.settings.parse_seconds
    started = time.perf_counter()
    await refused(draft_with(alice, org.county, pdf_busy_bomb(), "忙.pdf", "application/pdf"),
                  "max_seconds")
    print(f"\nPDF reader bomb (20 MB of operators): refused after "
          f"{time.perf_counter() - started:.1f} s (budget {budget:g} s)")
