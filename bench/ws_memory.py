"""Memory per idle authenticated websocket, on a fresh server process, beside a bare server.

    python bench/ws_memory.py [--clients 1000] [--batches 2]

Tongban: people and their sessions are made on one server process, which is then stopped; a
fresh process on the same data folder (it has served nothing) is weighed (VmRSS), N sockets say
hello with a valid token and get `ready`, and after a second of rest it is weighed again. The
growth ÷ N is the figure the target is about (≤ 24 KiB). Further batches of N show the marginal
cost once first-use allocations (imports, caches, the database connection) are paid. The bare
`websockets` server (bench/bare_server.py) is weighed the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loops import LOOPS, loop_in_use, run
from bench.phases import connect_all
from bench.recorder import Recorder
from bench.servers import ServerProcess, stop_all
from bench.targets import BareTarget, Target, TongbanTarget
from bench.ws_fanout import raise_open_files, server_core
from bench.wsclient import FeedSocket

TARGET_KIB = 24.0


@dataclass
class Weighing:
    server: str
    rss_start_kib: int = 0
    per_batch_kib: list[float] = field(default_factory=list)
    connected: int = 0
    notes: list[str] = field(default_factory=list)


async def fresh_tongban(target: TongbanTarget, clients: int, batches: int) -> list[bytes]:
    """Make people and tokens on a first process; the hellos for the fresh one."""
    server = await asyncio.to_thread(target.start)
    try:
        return await target.hellos(server, clients * batches)
    finally:
        await asyncio.to_thread(server.stop)


async def weigh(target: Target, hellos: list[bytes], clients: int,
                result: Weighing) -> None:
    server = await asyncio.to_thread(target.start)
    socks: list[FeedSocket] = []
    try:
        await asyncio.sleep(1.0)
        result.rss_start_kib = before = server.rss_kib()
        for batch in range(len(hellos) // clients):
            before = await _batch(server, target, hellos[batch * clients:(batch + 1) * clients],
                                  before, socks, result)
    finally:
        for sock in socks:
            sock.close()
        await asyncio.to_thread(server.stop)


async def _batch(server: ServerProcess, target: Target, hellos: list[bytes], before: int,
                 socks: list[FeedSocket], result: Weighing) -> int:
    opened, failed = await connect_all(server.port, target.path, hellos, Recorder())
    socks.extend(opened)
    result.connected += len(opened)
    if failed:
        result.notes.append(f"{failed} sockets failed to connect")
    await asyncio.sleep(1.0)
    after = server.rss_kib()
    result.per_batch_kib.append((after - before) / max(1, len(opened)))
    return after


async def main_async(args: argparse.Namespace) -> list[Weighing]:
    core = server_core(args.no_pin)
    results: list[Weighing] = []
    if "tongban" in args.servers:
        tongban = TongbanTarget(core=core, loop=args.loop)
        hellos = await fresh_tongban(tongban, args.clients, args.batches)
        results.append(Weighing(tongban.name))
        await weigh(tongban, hellos, args.clients, results[-1])
    if "bare" in args.servers:
        bare = BareTarget(core=core, loop=args.loop)
        results.append(Weighing(bare.name))
        await weigh(bare, [b'{"type":"hello"}'] * (args.clients * args.batches),
                    args.clients, results[-1])
    return results


def render(results: list[Weighing], args: argparse.Namespace) -> str:
    lines = ["", f"ws_memory — idle authenticated websockets on a fresh process "
             f"({loop_in_use(args.loop)} loop), {args.clients} per batch", "",
             f"  {'server':<18} {'RSS at start':>12} " + " ".join(
                 f"{'batch ' + str(n + 1) + ' KiB/sock':>18}" for n in range(args.batches))
             + f" {'target':>10}"]
    for r in results:
        cells = " ".join(f"{kib:>18.1f}" for kib in r.per_batch_kib)
        verdict = ""
        if r.server == "Tongban" and r.per_batch_kib:
            verdict = "met" if r.per_batch_kib[0] <= TARGET_KIB else "MISSED"
        lines.append(f"  {r.server:<18} {r.rss_start_kib / 1024:>9.1f} MiB {cells} "
                     f"{'≤ 24 ' + verdict if r.server == 'Tongban' else '':>10}")
        lines += [f"    note: {note}" for note in r.notes]
    lines.append("\nBatch 1 is the target's figure (a process that did nothing else); later "
                 "batches are the marginal cost per socket.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--servers", default="tongban,bare")
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    raise_open_files(args.clients * args.batches * 2 + 256)
    try:
        results = run(main_async(args), args.loop)
    finally:
        stop_all()
    print(render(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
