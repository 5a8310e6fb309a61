"""The fuzz run: schemathesis over every operation of the OpenAPI document, authenticated as the
demo's administrator, with a fixed seed and budget, against a demo server process of its own
(real ids to find, and its junk never meets the other tests' data). Any 5xx, and any answer the
document does not describe (status, media type, headers, body), fails it; the number of
requests made is printed. The machinery is in `fuzzing.py`.

It is one run shared by two issues: this one (the contract) and hostile input (the generic
input classes: ids, integers, JSON depth and size, surrogates, enums, coercion).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fuzzing import MAX_URL, MINIMUM_REQUESTS, SEED, fuzz_share
from servers import demo_server

WORKERS = 2


@pytest_asyncio.fixture(loop_scope="session")
async def fuzz_server(tmp_path: Path) -> AsyncIterator[str]:
    async with demo_server(tmp_path, "fuzz") as base_url:
        yield base_url


@pytest.mark.slow
async def test_fuzz_every_operation_gives_no_5xx_and_no_undocumented_answer(
    fuzz_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with httpx.AsyncClient() as http:
        document = (await http.get(f"{fuzz_server}/v1/openapi.json")).json()
    verbose = os.environ.get("TONGBAN_FUZZ_PROGRESS") == "1"
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        shares = await asyncio.gather(*(
            loop.run_in_executor(pool, fuzz_share, fuzz_server, document, share, WORKERS,
                                 verbose)
            for share in range(WORKERS)))
    sent = sum(share[0] for share in shares)
    too_long = sum(share[1] for share in shares)
    failures = {label: curl for share in shares for label, curl in share[2].items()}
    with capsys.disabled():
        print(f"\nfuzz: {sent} requests over {len(document['paths'])} paths, seed {SEED}: "
              f"{len(failures)} distinct failures ({too_long} cases with a URL over {MAX_URL} "
              f"characters not sent)")
        for label, curl in sorted(failures.items()):
            print(f"  {label}\n    {curl}")
    assert sent >= MINIMUM_REQUESTS
    assert not failures, f"{len(failures)} failures (listed above)"
