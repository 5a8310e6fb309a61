"""Every workflow guide in docs/ runs as written: its curl blocks, in order, against a demo
server of its own (`tongban serve --demo`, as a newcomer following the guide would start), each
answer held to the OpenAPI document, and each ```text block equal to what the block before it
prints (the events each step sends, for instance)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import conftest
from contract import CheckedSyncTransport
from guide_shell import Shell, blocks
from servers import demo_server

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ["messaging.md", "sign-off.md", "sending.md", "receiving.md", "circulation.md",
          "notices.md", "supervision.md"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def guide_server(
    server: conftest.Server, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The demo server the guides run against (`server` is asked for only so that the
    contract the answers are held to exists)."""
    async with demo_server(tmp_path_factory.mktemp("guides"), "guides") as base_url:
        yield base_url


def follow(guide: Path, base_url: str, workdir: Path) -> int:
    """Run a guide's blocks in order; returns how many HTTP calls it made."""
    transport: httpx.BaseTransport = httpx.HTTPTransport()
    if conftest.CONTRACT is not None:
        transport = CheckedSyncTransport(transport, conftest.CONTRACT)
    with httpx.Client(transport=transport, timeout=30) as http:
        shell = Shell(http, workdir, {"TB": base_url}, fixed={"TB"})
        printed: list[str] | None = None
        for block in blocks(guide.read_text(encoding="utf-8")):
            if block.kind == "sh":
                printed = shell.run_block(block.text)
            elif block.kind == "text" and printed is not None:
                expected = block.text.strip().splitlines()
                assert printed == expected, f"{guide.name}:{block.line}: printed {printed}"
                printed = None
        return shell.calls


@pytest.mark.parametrize("name", GUIDES)
async def test_guide_runs_as_written(name: str, guide_server: str, tmp_path: Path) -> None:
    guide = DOCS / name
    calls = await asyncio.to_thread(follow, guide, guide_server, tmp_path)
    assert calls >= 5, f"{name} makes only {calls} calls"


def test_every_workflow_guide_is_run_and_has_a_state_diagram() -> None:
    for name in GUIDES:
        text = (DOCS / name).read_text(encoding="utf-8")
        assert "```mermaid" in text and "```sh" in text, name
    references = {"architecture.md", "import-org.md", "issued-documents.md", "console.md",
                  "push.md", "scaling.md"}
    guides = {p.name for p in DOCS.glob("*.md")} - references
    assert guides <= set(GUIDES), f"guides the test does not run: {guides - set(GUIDES)}"
