"""Files on tasks: attachments, progress files and evidence, downloadable by those who see it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from conftest import Server
from supervision_helpers import World, days
from tongban_client import ApiError, TongbanClient


@pytest_asyncio.fixture(loop_scope="session")
async def world(server: Server, admin: TongbanClient) -> AsyncIterator[World]:
    w = World(server, admin)
    await w.unit("P", None, "province")
    await w.unit("C", "P", "city")
    await w.unit("A", "C", "county")
    await w.person("sup", "P", ["leader"])
    await w.person("cc", "C", ["clerk"])
    await w.person("ca", "A", ["clerk"])
    await w.person("stranger", "P")
    yield w
    await w.close()


async def downloads(client: TongbanClient, file_id: int) -> bytes | int:
    try:
        return await client.download_file(file_id)
    except ApiError as error:
        return error.status


async def test_files_on_a_task_reach_everyone_who_may_see_it(world: World) -> None:
    w = world
    brief = await w["sup"].client.upload_file("督办通知".encode(), "督办通知.txt", "text/plain")
    task = await w["sup"].client.create_task("报送材料", due_at=days(5), units=[w.units["C"]],
                                             file_ids=[brief["id"]])
    assert task["file_ids"] == [brief["id"]]
    await w["cc"].client.receive_task(task["id"])
    photo = await w["cc"].client.upload_file(b"\x89PNG...", "现场照片.png", "image/png")
    entry = await w["cc"].client.report_progress(task["id"], 50, "见照片", [photo["id"]])
    assert entry["file_ids"] == [photo["id"]]
    evidence = await w["cc"].client.upload_file(b"report", "办结报告.pdf", "application/pdf")
    await w["cc"].client.complete_task(task["id"], "见报告", [evidence["id"]])
    for key in ("sup", "cc"):
        assert await downloads(w[key].client, brief["id"]) == "督办通知".encode()
        assert await downloads(w[key].client, photo["id"]) == b"\x89PNG..."
        assert await downloads(w[key].client, evidence["id"]) == b"report"
    for file_id in (brief["id"], photo["id"], evidence["id"]):
        assert await downloads(w["ca"].client, file_id) == 404
        assert await downloads(w["stranger"].client, file_id) == 404


async def test_attaching_someone_elses_file_is_422(world: World) -> None:
    w = world
    theirs = await w["stranger"].client.upload_file(b"x", "x.txt", "text/plain")
    with pytest.raises(ApiError) as caught:
        await w["sup"].client.create_task("附件", due_at=days(5), units=[w.units["A"]],
                                          file_ids=[theirs["id"]])
    assert caught.value.status == 422 and caught.value.errors[0]["loc"] == ["file_ids"]
    page = await w["sup"].client.list_tasks(unit=w.units["A"])
    assert page["items"] == []  # nothing was created
