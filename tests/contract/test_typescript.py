"""A TypeScript client generated from the served OpenAPI document compiles, and a short script
through it logs in and sends a message to a running server (clients/typescript).

`make install-test` runs `npm ci` there; without node_modules this test fails and says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

from conftest import PASSWORD, Server, make_person
from tongban_client import TongbanClient

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"


async def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 240)
    text = output.decode()
    assert process.returncode == 0, f"{' '.join(args)} failed:\n{text}"
    return text


def workspace(tmp_path: Path) -> Path:
    """The client's sources in a folder of the test's own, sharing the installed packages."""
    assert BIN.exists(), "clients/typescript/node_modules is missing: run `make install-test`"
    work = tmp_path / "ts"
    shutil.copytree(CLIENT, work, ignore=shutil.ignore_patterns("node_modules", "build",
                                                               "schema.d.ts"))
    (work / "node_modules").symlink_to(CLIENT / "node_modules")
    return work


async def test_typescript_client_from_the_document_compiles_and_sends_a_message(
    server: Server, admin: TongbanClient, org: object, tmp_path: Path
) -> None:
    work = workspace(tmp_path)
    async with server.http() as http:
        (work / "openapi.json").write_text((await http.get("/v1/openapi.json")).text)
    await run(str(BIN / "openapi-typescript"), "openapi.json", "--default-non-nullable", "false",
              "-o", "src/schema.d.ts", cwd=work)
    await run(str(BIN / "tsc"), "-p", ".", cwd=work)

    sender = await make_person(admin, org.county)  # type: ignore[attr-defined]
    reader = await make_person(admin, org.county)  # type: ignore[attr-defined]
    alice = server.client()
    await alice.login(reader["username"], PASSWORD)
    chat = await alice.open_direct(sender["id"])
    printed = await run("node", "build/login-and-send.js", "来自 TypeScript 的问候", cwd=work,
                        env={"TONGBAN_URL": server.base_url,
                             "TONGBAN_USERNAME": sender["username"],
                             "TONGBAN_PASSWORD": PASSWORD,
                             "TONGBAN_CONVERSATION": str(chat["id"])})
    sent = json.loads(printed.strip().splitlines()[-1])
    history = await alice.list_messages(chat["id"])
    await alice.aclose()
    assert [(m["id"], m["body"]) for m in history["items"]] == [
        (sent["id"], "来自 TypeScript 的问候")]
