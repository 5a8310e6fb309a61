"""Uploads (快传): streamed storage, SHA-256, size cap, and who may download."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
from conftest import Org, Server, logged_in, make_person
from tongban_client import ApiError, TongbanClient

from core.models import AuditEntry
from files.access import register_reference


async def upload(client: TongbanClient, data: bytes, name: str = "会议纪要.docx") -> dict:
    return await client.upload_file(data, name, "application/vnd.openxmlformats-officedocument")


async def test_upload_file_round_trips_bytes_and_chinese_name(
    server: Server, alice: TongbanClient
) -> None:
    data = os.urandom(300_000) + "结尾".encode()
    stored = await upload(alice, data)
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["size"] == len(data)
    assert stored["name"] == "会议纪要.docx"
    assert await alice.download_file(stored["id"]) == data
    entry = await AuditEntry.get(record_type="file", record_id=str(stored["id"]))
    assert entry.action == "file.upload" and entry.actor_id == alice.user["id"]


async def test_download_file_names_it_with_rfc5987(server: Server, alice: TongbanClient) -> None:
    stored = await upload(alice, b'{"a": 1}', "纪要.json")
    response = await alice._http.get(
        f"/v1/files/{stored['id']}", headers={"Authorization": f"Bearer {alice.access_token}"}
    )
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('纪要.json')}" in disposition
    assert response.headers["x-content-sha256"] == stored["sha256"]
    assert await alice.download_file(stored["id"]) == b'{"a": 1}'  # JSON stays bytes


async def test_upload_file_over_the_limit_is_refused_with_413(
    server: Server, alice: TongbanClient
) -> None:
    original = server.app.state.settings
    server.app.state.settings = server.settings.with_overrides(upload_limit_bytes=1024)
    try:
        with pytest.raises(ApiError) as declared:
            await upload(alice, b"x" * 1025)
        assert declared.value.status == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused mid-stream
            for _ in range(4):
                yield b"y" * 512

        with pytest.raises(ApiError) as streamed:
            await alice.request("POST", "/v1/files", content=chunks(),  # type: ignore[arg-type]
                                headers={"X-Filename": "big.bin"})
        assert streamed.value.status == 413
        assert (await upload(alice, b"z" * 1024))["size"] == 1024
    finally:
        server.app.state.settings = original
    assert not list((server.settings.data_dir / "files" / "tmp").iterdir())


async def test_download_file_by_a_stranger_is_404(
    server: Server, admin: TongbanClient, org: Org, alice: TongbanClient
) -> None:
    stored = await upload(alice, b"secret")
    stranger = await logged_in(server, await make_person(admin, org.other_county))
    with pytest.raises(ApiError) as missing:
        await stranger.download_file(stored["id"])
    assert missing.value.status == 404
    with pytest.raises(ApiError) as unknown:
        await stranger.download_file(10**9)
    assert unknown.value.status == 404
    await stranger.aclose()


async def test_download_file_through_a_registered_reference(
    server: Server, admin: TongbanClient, org: Org, alice: TongbanClient
) -> None:
    stored = await upload(alice, "附件内容".encode())
    reader = await make_person(admin, org.township)

    async def referenced(person_id: int, file_id: int) -> bool:
        return (person_id, file_id) == (reader["id"], stored["id"])

    register_reference(referenced)
    client = await logged_in(server, reader)
    assert await client.download_file(stored["id"]) == "附件内容".encode()
    await client.aclose()


async def test_upload_file_with_a_bad_name_or_type_is_refused(
    server: Server, alice: TongbanClient
) -> None:
    with pytest.raises(ApiError) as bad_name:
        await alice.request("POST", "/v1/files", content=b"x", headers={"X-Filename": "%E4%BC"})
    assert bad_name.value.status == 400
    with pytest.raises(ApiError) as bad_type:
        await alice.request("POST", "/v1/files", content=b"x", headers={"Content-Type": "nope"})
    assert bad_type.value.status == 415
    odd = await alice.upload_file(b"x", "../../etc/passwd")
    assert odd["name"] == "passwd"


async def test_upload_file_as_multipart_form_keeps_the_part_name_type_and_bytes(
    server: Server, alice: TongbanClient
) -> None:
    data = os.urandom(2_500_000) + b"\r\n--not-a-boundary\r\n"  # bigger than one read, and tricky
    async with server.http() as http:
        reply = await http.post(
            "/v1/files", files={"file": ("通知.pdf", data, "application/pdf")},
            data={"note": "ignored"}, headers={"Authorization": f"Bearer {alice.access_token}"})
    assert reply.status_code == 201, reply.text
    stored = reply.json()
    assert (stored["name"], stored["content_type"]) == ("通知.pdf", "application/pdf")
    assert stored["size"] == len(data) and stored["sha256"] == hashlib.sha256(data).hexdigest()
    assert await alice.download_file(stored["id"]) == data


async def test_upload_file_form_without_a_file_part_or_with_two_is_422(
    server: Server, alice: TongbanClient
) -> None:
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    async with server.http() as http:
        none = await http.post("/v1/files", files={"a": (None, "text only")}, headers=auth)
        two = await http.post("/v1/files", files=[("f", ("a.txt", b"a")), ("f", ("b.txt", b"b"))],
                              headers=auth)
    assert (none.status_code, two.status_code) == (422, 422)


async def test_upload_file_refuses_envelopes_it_cannot_unpack_with_415_and_stores_nothing(
    server: Server, alice: TongbanClient
) -> None:
    from files.models import StoredFile

    before = await StoredFile.filter(owner_id=alice.user["id"]).count()
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    async with server.http() as http:
        form = await http.post("/v1/files", data={"file": "abc"}, headers=auth)
        mixed = await http.post("/v1/files", content=b"--x\r\n\r\nabc\r\n--x--\r\n",
                                headers={**auth, "Content-Type": "multipart/mixed; boundary=x"})
        no_boundary = await http.post("/v1/files", content=b"abc",
                                      headers={**auth, "Content-Type": "multipart/form-data"})
        broken = await http.post(
            "/v1/files", content=b'--x\r\nContent-Disposition: form-data; name="f"; '
            b'filename="a.txt"\r\n\r\nabc', headers={**auth,
                                                    "Content-Type": "multipart/form-data; boundary=x"})
    assert (form.status_code, mixed.status_code) == (415, 415)
    assert (no_boundary.status_code, broken.status_code) == (400, 400)
    assert await StoredFile.filter(owner_id=alice.user["id"]).count() == before


async def test_upload_file_form_over_the_limit_is_413(server: Server, alice: TongbanClient) -> None:
    original = server.app.state.settings
    server.app.state.settings = server.settings.with_overrides(upload_limit_bytes=1024)
    try:
        async with server.http() as http:
            reply = await http.post("/v1/files", files={"file": ("big.bin", os.urandom(4096))},
                                    headers={"Authorization": f"Bearer {alice.access_token}"})
    finally:
        server.app.state.settings = original
    assert reply.status_code == 413


async def test_everything_in_the_data_folder_is_private(server: Server, alice: TongbanClient) -> None:
    """The database, uploads and every other file: 0600 in folders of 0700."""
    await upload(alice, b"private bytes")
    data_dir = server.settings.data_dir
    loose = [f"{oct(path.stat().st_mode & 0o777)} {path}" for path in [data_dir, *data_dir.rglob("*")]
             if path.stat().st_mode & 0o077]
    assert not loose
    if server.settings.database_url.startswith("sqlite"):
        assert (data_dir / "test.sqlite3").stat().st_mode & 0o777 == 0o600
