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
