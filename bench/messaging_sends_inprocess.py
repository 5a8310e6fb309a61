"""The persistence path of sends without HTTP: run by `messaging_sends.py --modes inprocess`.

A child process (pinned by its parent to the server's core) opens a fresh SQLite database,
makes the senders and their groups directly, then runs `access_conversation` +
`do_send_message` from concurrent tasks — group commit, audit entries and events included.
Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loops import LOOPS, run
from bench.servers import machine_cpu_seconds
from core.db import close_db, open_db
from directory.auth import Actor
from directory.models import Person
from files import wiring as files_wiring
from messaging import wiring as messaging_wiring
from messaging.actions import do_create_group
from messaging.models import Conversation
from messaging.queries import access_conversation
from messaging.sending import Draft, do_send_message
from server.apps import database_config


async def make_groups(layout: str, senders: int) -> tuple[list[Actor], list[int]]:
    people = [await Person.create(username=f"sender{i:04d}", display_name=f"发送者{i}",
                                  password_hash="-") for i in range(senders)]
    actors = [Actor(person, "bench", None, 0) for person in people]
    if layout == "shared":
        group = await do_create_group(actor=actors[0], title="基准大群",
                                      member_ids=[p.id for p in people])
        return actors, [group.id] * senders
    size = min(10, senders)
    groups = [await do_create_group(actor=actor, title=f"基准小组{i}", member_ids=[
        people[(i + k) % senders].id for k in range(1, size)]) for i, actor in enumerate(actors)]
    return actors, [g.id for g in groups]


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    messaging_wiring.wire()
    files_wiring.wire()
    folder = tempfile.mkdtemp(prefix="tongban-sends-")
    await open_db(database_config(f"sqlite://{folder}/bench.sqlite3"))
    try:
        actors, groups = await make_groups(args.layout, args.senders)
        figures = await drive(actors, groups, args)
        stored = sum(c.last_seq for c in await Conversation.filter(id__in=set(groups)))
        return {**figures, "stored": stored}
    finally:
        await close_db()


async def drive(actors: list[Actor], groups: list[int],
                args: argparse.Namespace) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, end = start + args.warmup, start + args.warmup + args.seconds
    counts = {"sent": 0, "failed": 0, "acked": 0}
    latencies: list[float] = []

    async def sender(actor: Actor, group: int) -> None:
        while (now := loop.time()) < end:
            draft = Draft(client_msg_id=uuid.uuid4().hex, body=f"基准消息 {time.time_ns()}")
            try:
                seat = await access_conversation(actor, group)
                await do_send_message(seat, actor=actor, draft=draft)
                ok = True
            except Exception:  # noqa: BLE001 — counted, not fatal
                ok = False
            counts["acked"] += ok
            if now >= measure_from:
                latencies.append((loop.time() - now) * 1000)
                counts["sent" if ok else "failed"] += 1

    async def cpu_window() -> dict[str, float]:
        await asyncio.sleep(args.warmup)
        own, machine = time.process_time(), machine_cpu_seconds()
        await asyncio.sleep(args.seconds)
        used = time.process_time() - own
        return {"server_cpu": used, "client_cpu": 0.0,
                "other_cpu": max(0.0, machine_cpu_seconds() - machine - used)}

    cpu = asyncio.create_task(cpu_window())
    await asyncio.gather(*(sender(a, g) for a, g in zip(actors, groups, strict=True)))
    return {**counts, "seconds": args.seconds, "latency_ms": latencies, "cpu": await cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", default="shared")
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    args = parser.parse_args()
    print(json.dumps(run(main_async(args), args.loop)))


if __name__ == "__main__":
    main()
