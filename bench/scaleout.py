"""Scale-out on PostgreSQL + Redis: one server process against two, and the feed order's ceiling.

    python bench/scaleout.py --pg postgres://postgres@127.0.0.1:5432/bench_scaleout \\
        --redis redis://127.0.0.1:6379/0 [--people 200] [--seconds 15] [--workers 1,2]

Part 1, for each worker count W (a fresh database each time): W server processes
(`bench/tongban_server.py`) on the same PostgreSQL and Redis bus; `--people` officials in units of
100 (a unit group each) and group chats of 10, every one a leader with `--chains` requests for
sign-off waiting, every one with a websocket open on process (n mod W), as behind a balancer.
- sends: every official sends to their group chat (10 members) in a closed loop for
  `--seconds`; printed: messages/s, reply p50/p99, websocket deliveries/s, event-to-device p99;
- decisions: every official decides their waiting requests (ES256 signed on the device key),
  one after the other; printed: decisions/s and p50/p99.
Each with the CPU of the server processes and of everything else (PostgreSQL, Redis).

Part 2, the feed's commit order in isolation. Every transaction that writes events takes one
PostgreSQL advisory lock (`core.tx`, `FEED_LOCK_KEY`) just before it inserts them and holds it
to its commit, so that ids commit in order. Printed: transactions/s for C concurrent
connections, each looping `BEGIN; SELECT pg_advisory_xact_lock(k); INSERT one event; COMMIT`,
against the same without the lock: the ceiling every process of a deployment shares.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loops import LOOPS, run
from bench.officials import ENV
from bench.officials_phone import Day, Phone, connect_phones, feed_head, percentile
from bench.officials_setup import CONTENT, Http, Official, build
from bench.pg import fresh_database
from bench.servers import ServerProcess, machine_cpu_seconds, start_server, stop_all
from bench.targets import scratch_dir
from bench.ws_fanout import raise_open_files

FEED_LOCK_KEY = 7_270_001  # core.tx.FEED_LOCK_KEY (not imported: this process stays a client)


@dataclass
class Phase:
    name: str
    workers: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    deliveries: int = 0
    e2d_p99: float = float("nan")
    server_cpu: list[float] = field(default_factory=list)
    other_cpu: float = 0.0


class Usage:
    def __init__(self, servers: list[ServerProcess]) -> None:
        self.servers = servers
        self.cpu = [s.cpu_seconds() for s in servers]
        self.machine, self.load, self.start = machine_cpu_seconds(), time.process_time(), \
            time.perf_counter()

    def into(self, phase: Phase, day: Day, delivered_before: int) -> None:
        phase.seconds = time.perf_counter() - self.start
        phase.server_cpu = [s.cpu_seconds() - c for s, c in zip(self.servers, self.cpu,
                                                                 strict=True)]
        load = time.process_time() - self.load
        phase.other_cpu = machine_cpu_seconds() - self.machine - sum(phase.server_cpu) - load
        phase.deliveries = day.deliveries - delivered_before
        phase.e2d_p99 = percentile(day.e2d, 0.99)


async def timed(phase: Phase, http: Http, method: str, path: str, token: str,
                body: Any) -> None:
    started = time.perf_counter()
    try:
        status, _ = await http.call(method, path, token, body)
    except (OSError, ConnectionError, asyncio.IncompleteReadError):
        phase.errors += 1
        return
    if status >= 400:
        phase.errors += 1
    else:
        phase.latencies.append((time.perf_counter() - started) * 1000)


async def sends(phones: list[Phone], seconds: float, phase: Phase) -> None:
    end = time.perf_counter() + seconds

    async def one(phone: Phone) -> None:
        conv = phone.person.groups[0]
        while time.perf_counter() < end:
            await timed(phase, phone.http, "POST", f"/v1/conversations/{conv}/messages",
                        phone.person.token, {"client_msg_id": uuid.uuid4().hex, "body": "收到"})

    await asyncio.gather(*(one(p) for p in phones if p.person.groups))


async def decisions(phones: list[Phone], phase: Phase) -> None:
    async def one(phone: Phone) -> None:
        person: Official = phone.person
        assert person.key is not None
        while person.chains:
            chain, step = person.chains.pop()
            signature = person.key.sign_decision(chain=chain, step=step, decision="approve",
                                                 comment="同意", content_sha256=CONTENT)
            await timed(phase, phone.http, "POST", f"/v1/approvals/{chain}/decisions",
                        person.token, {"step_id": step, "decision": "approve", "comment": "同意",
                                       "signature": signature})

    await asyncio.gather(*(one(p) for p in phones))


def start_servers(args: argparse.Namespace, workers: int) -> list[ServerProcess]:
    folder = scratch_dir("tongban-scaleout-")
    asyncio.run(fresh_database(args.pg))
    env = {**ENV, "TONGBAN_DATA_DIR": str(folder), "TONGBAN_DATABASE_URL": args.pg,
           "TONGBAN_BUS_URL": args.redis}
    return [start_server(f"tongban-{n}", "bench.tongban_server", env=env, log_dir=folder,
                         core=None, loop=args.loop, timeout=180) for n in range(workers)]


async def measure_workers(args: argparse.Namespace, servers: list[ServerProcess]) -> list[Phase]:
    https = [Http(s.port, args.pool) for s in servers]
    province = await build(https[0], args.people, 100, 10, 1.0, 16, chains=args.chains)
    day, head = Day(), await feed_head(servers[0].port, province.admin_token)
    phones = [Phone(p, https[p.n % len(servers)], servers[p.n % len(servers)].port, day)
              for p in province.people]
    for phone in phones:
        phone.last_id = head
    await connect_phones(phones)
    results = []
    for name in ("sends", "decisions"):
        phase, usage, before = Phase(name, len(servers)), Usage(servers), day.deliveries
        day.e2d.clear()
        await (sends(phones, args.seconds, phase) if name == "sends"
               else decisions(phones, phase))
        await asyncio.sleep(1.0)
        usage.into(phase, day, before)
        phase.seconds -= 1.0
        results.append(phase)
    for phone in phones:
        if phone.sock is not None:
            phone.sock.close()
    for http in https:
        http.close()
    return results


# -- part 2: the feed lock --------------------------------------------------------------------

async def lock_ceiling(url: str, connections: int, seconds: float, locked: bool) -> float:
    import asyncpg

    conns = [await asyncpg.connect(url) for _ in range(connections)]
    end, done = time.perf_counter() + seconds, 0
    data = json.dumps({"n": 1, "body": "收到"})

    async def loop(conn: Any) -> None:
        nonlocal done
        while time.perf_counter() < end:
            async with conn.transaction():
                if locked:
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", FEED_LOCK_KEY)
                await conn.execute("INSERT INTO core_event (kind, audience, data, at) "
                                   "VALUES ('bench.lock', 'user:0', $1, now())", data)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in conns))
    rate = done / (time.perf_counter() - started)
    for conn in conns:
        await conn.close()
    return rate


async def lock_table(url: str, seconds: float) -> list[tuple[int, float, float]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    sync = await conn.fetchval("SHOW synchronous_commit")
    await conn.close()
    print(f"  (PostgreSQL synchronous_commit = {sync})", flush=True)
    rows = []
    for connections in (1, 4, 16, 64):
        with_lock = await lock_ceiling(url, connections, seconds, True)
        without = await lock_ceiling(url, connections, seconds, False)
        rows.append((connections, with_lock, without))
    return rows


# -- report -----------------------------------------------------------------------------------

def render(phases: list[Phase], locks: list[tuple[int, float, float]],
           args: argparse.Namespace) -> str:
    lines = ["", f"scaleout — PostgreSQL + Redis, {args.people} officials (closed loop), "
             f"load average {os.getloadavg()[0]:.2f}", "",
             f"  {'phase':<10} {'procs':>5} {'done':>7} {'per s':>8} {'p50 ms':>8} "
             f"{'p99 ms':>8} {'errors':>6} {'deliv/s':>9} {'e2d p99':>9} "
             f"{'server CPU (each)':>20} {'other CPU':>9}"]
    for p in phases:
        rate = len(p.latencies) / p.seconds if p.seconds else 0
        cpu = " ".join(f"{100 * c / p.seconds:.0f}%" for c in p.server_cpu)
        lines.append(f"  {p.name:<10} {p.workers:>5} {len(p.latencies):>7,} {rate:>8,.0f} "
                     f"{percentile(p.latencies, 0.5):>8.1f} {percentile(p.latencies, 0.99):>8.1f}"
                     f" {p.errors:>6} {p.deliveries / p.seconds:>9,.0f} {p.e2d_p99:>9.1f} "
                     f"{cpu:>20} {100 * p.other_cpu / p.seconds:>8.0f}%")
    lines += ["", "  other CPU: PostgreSQL, Redis and everything else on the machine "
              "(100 % = one core).", "",
              "The feed's commit order in isolation (one event per transaction, raw asyncpg):",
              f"  {'connections':>11} {'with the feed lock tx/s':>24} {'without tx/s':>13}"]
    lines += [f"  {c:>11} {w:>24,.0f} {wo:>13,.0f}" for c, w, wo in locks]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pg", required=True, metavar="URL")
    parser.add_argument("--redis", required=True, metavar="URL")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--chains", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--pool", type=int, default=64)
    parser.add_argument("--lock-seconds", type=float, default=5)
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    args = parser.parse_args(argv)
    raise_open_files(args.people * 2 + 1024)
    phases: list[Phase] = []
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            servers = start_servers(args, workers)
            phases += run(measure_workers(args, servers), args.loop)
            for server in servers:
                server.stop()
    finally:
        stop_all()
    locks = run(lock_table(args.pg.replace("postgres://", "postgresql://"),
                           args.lock_seconds), args.loop)
    print(render(phases, locks, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
