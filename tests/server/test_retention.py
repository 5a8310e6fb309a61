"""Feed retention: old events go in batches while sends go on; a stale resume is told, never gapped.

Events are made old by moving their `at` back (the test's only direct write); everything else goes
through the API, the client library and the scheduler's real job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from conftest import Org, Server, logged_in, make_person, take, unique
from ops_helpers import all_messages
from tongban_client import FeedReset, TongbanClient

from core.audit import verify_chain
from core.clock import utcnow
from core.feed import head_id
from core.models import AuditEntry, Event, Job
from core.retention import PRUNE_JOB, do_prune_feed, pruned_through

RETENTION = timedelta(days=90)


async def age_events_through(last_id: int) -> None:
    """Make every event up to `last_id` older than the retention (the feed's prefix)."""
    await Event.filter(id__lte=last_id).update(at=utcnow() - RETENTION - timedelta(days=1))


async def rename(admin: TongbanClient, unit_id: int, name: str) -> None:
    await admin.patch(f"/v1/org/units/{unit_id}", {"name": name})


@dataclass
class Pruned:
    """The state after the module's one pruning run."""

    unit: dict[str, Any]
    member: dict[str, Any]
    stale_after: int  # a resume point whose events retention removed
    horizon: int
    batches: int
    sent: list[dict[str, Any]]
    conversation_id: int
    sender: TongbanClient


async def send_until(client: TongbanClient, conversation_id: int, stop: asyncio.Event,
                     acked: list[dict[str, Any]]) -> None:
    n = 0
    while not stop.is_set():
        acked.append(await client.send_message(conversation_id, f"剪枝期间的消息{n}"))
        n += 1


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pruned(server: Server, admin: TongbanClient, org: Org) -> Pruned:
    unit = await admin.create_unit(unique("留存科"), org.county, "county")
    member = await make_person(admin, unit["id"])
    colleague = await make_person(admin, unit["id"])
    sender = await logged_in(server, member)
    chat = await sender.create_group_chat("留存测试", [colleague["id"]])
    stale_after = await head_id()
    for n in range(120):  # 120 events this member may see, all to be pruned
        await rename(admin, unit["id"], f"旧名{n}")
    old_head = await head_id()
    await age_events_through(old_head)
    stop, acked = asyncio.Event(), []
    sending = asyncio.create_task(send_until(sender, chat["id"], stop, acked))
    async with asyncio.timeout(10):
        while not acked:  # newer events exist: the old head is no longer the newest
            await asyncio.sleep(0.02)
    before = len(acked)
    # All the suite's earlier events are old too (a shared database holds thousands): the
    # run's own time budget, meant for the scheduler, must not end it early here.
    report = await do_prune_feed(older_than=utcnow() - RETENTION, batch=25, pause=0.01,
                                 budget=600)
    during = len(acked) - before
    stop.set()
    await sending
    assert during > 0, "sends must go on while the feed is pruned"
    assert report.done and report.pruned_through == old_head
    return Pruned(unit, member, stale_after, report.pruned_through, report.batches, acked,
                  chat["id"], sender)


async def test_retention_removes_old_events_in_batches_while_sends_continue(
    pruned: Pruned,
) -> None:
    assert pruned.batches >= 120 // 25
    assert await Event.filter(id__lte=pruned.horizon).count() == 0
    assert await pruned_through() == pruned.horizon
    # every acknowledged send is stored (the records), and its event is still in the feed
    listed = await all_messages(pruned.sender, pruned.conversation_id)
    assert [m["id"] for m in listed] == [m["id"] for m in pruned.sent]
    assert await Event.filter(id__gt=pruned.horizon, kind="message.created").count() >= \
        len(pruned.sent)


async def test_retention_leaves_records_and_the_audit_chain_alone(
    pruned: Pruned, admin: TongbanClient
) -> None:
    unit = await admin.get(f"/v1/org/units/{pruned.unit['id']}")
    assert unit["name"] == "旧名119"
    renames = await AuditEntry.filter(record_type="unit", record_id=str(pruned.unit["id"])).count()
    assert renames >= 120
    prune_entry = await AuditEntry.filter(action="feed.prune").order_by("-id").first()
    assert prune_entry is not None and prune_entry.record_id == str(pruned.horizon)
    assert (await verify_chain()).ok


async def test_a_stale_resume_over_http_gets_feed_reset(server: Server, pruned: Pruned) -> None:
    client = await logged_in(server, pruned.member)
    with pytest.raises(FeedReset) as caught:
        await client.fetch_events(after=pruned.stale_after)
    assert caught.value.oldest_event_id == pruned.horizon + 1
    assert caught.value.last_event_id >= pruned.horizon
    # from the horizon on nothing is missing: the member's own sends come back, in order
    page = await client.fetch_events(after=pruned.horizon, limit=1000)
    bodies = [e["data"].get("body") for e in page["events"] if e["kind"] == "message.created"]
    assert bodies[: len(pruned.sent)] == [m["body"] for m in pruned.sent]
    assert (await client.fetch_events(after=0))["events"]  # a first start is never a reset
    await client.aclose()


async def test_a_stale_resume_over_the_websocket_gets_reset_then_live_events(
    server: Server, admin: TongbanClient, pruned: Pruned
) -> None:
    client = await logged_in(server, pruned.member)
    resets: list[FeedReset] = []
    stream = client.events(after=pruned.stale_after, on_reset=resets.append)
    waiting = asyncio.create_task(take(stream, 1, timeout=10))
    async with asyncio.timeout(10):
        while not resets:
            await asyncio.sleep(0.02)
    await rename(admin, pruned.unit["id"], "重置之后")
    [event] = await waiting
    assert event["data"]["name"] == "重置之后"
    assert resets[0].oldest_event_id == pruned.horizon + 1
    assert event["id"] > resets[0].last_event_id >= pruned.horizon
    without_callback = client.events(after=pruned.stale_after)
    with pytest.raises(FeedReset):
        await take(without_callback, 1, timeout=10)
    for closing in (stream, without_callback):
        await closing.aclose()
    await client.aclose()


async def test_the_scheduled_job_prunes_and_schedules_itself_again(
    server: Server, admin: TongbanClient, pruned: Pruned
) -> None:
    job = await Job.get(key=PRUNE_JOB)
    assert job.state == "pending"
    await rename(admin, pruned.unit["id"], "再旧一次")
    target = await head_id()
    await rename(admin, pruned.unit["id"], "最后一次")
    newest = await head_id()
    await age_events_through(newest)  # everything is old, the newest event too
    await Job.filter(id=job.id).update(due_at=utcnow())
    server.app.state.scheduler.wake()
    async with asyncio.timeout(15):
        while await pruned_through() < target:
            await asyncio.sleep(0.1)
    assert await pruned_through() < newest and await Event.filter(id=newest).exists()
    async with asyncio.timeout(5):
        while (await Job.get(id=job.id)).due_at < utcnow() + timedelta(minutes=30):
            await asyncio.sleep(0.1)
    assert (await Job.get(id=job.id)).state == "pending"
