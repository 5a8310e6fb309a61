"""The group committer behind sends: shared commits, isolated failures, the caller's origin."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Server, unique

from core.batch import GroupCommitter
from core.context import Origin, set_origin
from core.errors import Conflict
from core.models import AuditEntry
from core.tx import atomic


def audited(marker: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
    async def write() -> str:
        async with atomic() as work:
            work.audit("test.group_commit", "test", marker)
            if fail:
                raise Conflict(f"{marker} refused")
        return marker

    return write


async def submit_as(committer: GroupCommitter, actor_id: int, fn):  # type: ignore[no-untyped-def]
    set_origin(Origin(actor_id=actor_id))
    return await committer.submit(fn)


async def test_group_commit_shares_commits_and_isolates_a_failure(server: Server) -> None:
    committer = GroupCommitter(max_batch=50)
    prefix = unique("gc")
    markers = [f"{prefix}-{n}" for n in range(40)]
    tasks = [submit_as(committer, n + 1, audited(m, fail=(n == 7))) for n, m in enumerate(markers)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[7], Conflict)
    assert [r for n, r in enumerate(results) if n != 7] == markers[:7] + markers[8:]
    rows = await AuditEntry.filter(record_id__startswith=f"{prefix}-").order_by("seq")
    assert sorted(r.record_id for r in rows) == sorted(markers[:7] + markers[8:])
    assert {r.record_id: r.actor_id for r in rows}[markers[3]] == 4  # the caller's origin
    assert committer.stats.largest > 1 and committer.stats.batches < 40
    assert committer.stats.retries == 1


async def test_group_commit_inside_a_transaction_runs_inline(server: Server) -> None:
    committer = GroupCommitter()
    marker = unique("inline")
    with pytest.raises(Conflict):
        async with atomic():
            assert await committer.submit(audited(marker)) == marker
            raise Conflict("roll everything back")
    assert not await AuditEntry.exists(record_id=marker)
    assert committer.stats.batches == 0
