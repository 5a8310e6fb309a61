"""Persisted sends per second from concurrent senders, through the HTTP API, on SQLite.

    python bench/messaging_sends.py [--senders 100] [--seconds 10] [--layouts shared,spread]
                                    [--modes http,inprocess]

The real server (`bench.tongban_server`, SQLite, in-process bus) runs pinned to one core; the
senders run in this process on the other. Each sender is one person on one kept-alive
connection sending `POST /v1/conversations/{id}/messages` in a closed loop (the next as soon as
the reply arrives). Layouts: `shared` — all senders in one group (every send contends for the
same conversation's seq); `spread` — sender i sends to its own group of 10. After the run the
stored seqs are read back through the API: a send counts only if it is there.

`inprocess` runs the same sends without HTTP: the messaging code (`access_conversation` +
`do_send_message`, group commit included) in this process, pinned to one core, called by 100
concurrent tasks — the capacity of the persistence path alone, without uvicorn, Starlette and
token checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.loops import LOOPS, run
from bench.messaging_load import LeanHttp, create_group, person_ids, quantile
from bench.phases import Cpu
from bench.profiling import Sampler, summarise
from bench.servers import ServerProcess, stop_all
from bench.targets import TongbanTarget
from bench.tongban_setup import admin_token, call, grow_audience, tokens_for
from bench.ws_fanout import server_core


@dataclass
class SendRun:
    layout: str
    senders: int
    mode: str = "http"
    seconds: float = 0.0
    sent: int = 0
    failed: int = 0
    acked: int = 0
    stored: int = 0
    latency_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0
        share = {k: 100 * v / self.seconds if self.seconds else 0 for k, v in self.cpu.items()}
        cpu_ms = 1000 * self.cpu.get("server_cpu", 0) / self.sent if self.sent else 0
        return (f"  {self.mode:<9} {self.layout:<7} {self.senders:>7} {rate:>9,.0f} "
                f"{quantile(self.latency_ms, 0.5):>7.1f} {quantile(self.latency_ms, 0.99):>7.1f} "
                f"{share.get('server_cpu', 0):>6.0f}% {cpu_ms:>7.2f} "
                f"{share.get('client_cpu', 0):>6.0f}% {share.get('other_cpu', 0):>5.0f}% "
                f"{self.failed:>6} {self.stored:>8,}/{self.acked:,}")


async def sender(port: int, token: str, conversation: int, end: float, run_: SendRun,
                 measure_from: float) -> None:
    conn = await LeanHttp.connect(port)
    path = f"/v1/conversations/{conversation}/messages"
    loop = asyncio.get_running_loop()
    try:
        while (now := loop.time()) < end:
            body = {"client_msg_id": uuid.uuid4().hex, "body": f"基准消息 {time.time_ns()}"}
            status, _ = await conn.post_json(path, token, body)
            run_.acked += status == 201
            if now >= measure_from:
                run_.latency_ms.append((loop.time() - now) * 1000)
                if status == 201:
                    run_.sent += 1
                else:
                    run_.failed += 1
    finally:
        conn.close()


async def layout_targets(http: httpx.AsyncClient, admin: str, layout: str, ids: list[int],
                         tokens: list[str]) -> list[int]:
    """The conversation each sender sends to."""
    if layout == "shared":
        group = await create_group(http, admin, "基准大群", ids)
        return [group] * len(tokens)
    size = min(10, len(ids))
    groups = []
    for i, token in enumerate(tokens):
        others = [ids[(i + k) % len(ids)] for k in range(1, size)]
        groups.append(await create_group(http, token, f"基准小组{i}", others))
    return groups


async def stored_count(http: httpx.AsyncClient, tokens: list[str], groups: list[int]) -> int:
    total = 0
    for group in sorted(set(groups)):
        token = tokens[groups.index(group)]
        total += int((await call(http, "GET", f"/v1/conversations/{group}", token))["last_seq"])
    return total


async def measure(server: ServerProcess, args: argparse.Namespace, layout: str) -> SendRun:
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        admin = await admin_token(http)
        audience = await grow_audience(http, None, args.senders)
        tokens = await tokens_for(http, audience.usernames)
        ids = await person_ids(http, admin, audience)
        groups = await layout_targets(http, admin, layout, ids, tokens)
        result = SendRun(layout, args.senders)
        loop = asyncio.get_running_loop()
        start = loop.time()
        measure_from, end = start + args.warmup, start + args.warmup + args.seconds
        tasks = [sender(server.port, t, g, end, result, measure_from)
                 for t, g in zip(tokens, groups, strict=True)]
        await asyncio.sleep(0)
        cpu_task = asyncio.create_task(_cpu_after(server, args.warmup, args.seconds))
        sampler = _sampler(server, args.profile, layout)
        await asyncio.gather(*tasks)
        if sampler:
            sampler.stop()
        result.cpu, result.seconds = await cpu_task, args.seconds
        result.stored = await stored_count(http, tokens, groups)
        return result


async def _cpu_after(server: ServerProcess, warmup: float, seconds: float) -> dict[str, float]:
    await asyncio.sleep(warmup)
    cpu = Cpu(server)
    await asyncio.sleep(seconds)
    return cpu.used()


def _sampler(server: ServerProcess, folder: Path | None, layout: str) -> Sampler | None:
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return Sampler(server.proc.pid, folder / f"sends-{layout}.txt")


async def main_async(args: argparse.Namespace) -> list[SendRun]:
    core = server_core(args.no_pin)
    results = []
    modes = args.modes.split(",")
    for layout in args.layouts.split(",") if "http" in modes else []:
        target = TongbanTarget(core=core, loop=args.loop)  # a fresh database per layout
        server = await asyncio.to_thread(target.start)
        try:
            print(f"… {layout}: {args.senders} senders", file=sys.stderr, flush=True)
            results.append(await measure(server, args, layout))
        finally:
            await asyncio.to_thread(server.stop)
    for layout in args.layouts.split(",") if "inprocess" in modes else []:
        print(f"… in process, {layout}: {args.senders} senders", file=sys.stderr, flush=True)
        results.append(await inprocess(args, layout, core))
    return results


async def inprocess(args: argparse.Namespace, layout: str, core: int | None) -> SendRun:
    """The sends without HTTP, in a child process pinned to the server's core."""
    command = [sys.executable, "-m", "bench.messaging_sends_inprocess", "--layout", layout,
               "--senders", str(args.senders), "--seconds", str(args.seconds),
               "--warmup", str(args.warmup), "--loop", args.loop]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    proc = await asyncio.create_subprocess_exec(*command, cwd=Path(__file__).parent.parent,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    return SendRun(layout, args.senders, "inprocess", **figures)


def report(results: list[SendRun], args: argparse.Namespace) -> str:
    lines = [(f"Persisted sends, SQLite, in-process bus, closed loop, {args.seconds:g} s "
              f"after {args.warmup:g} s warm-up (target ≥ 1,500/s)"),
             ("  mode      layout  senders   sends/s  p50 ms  p99 ms  srv CPU ms/send "
              "load   other failed  stored/acked")]
    lines += [r.line() for r in results]
    lines.append("  stored/acked: messages found in the conversations' seqs after the run / sends "
                 "answered 201 (warm-up included); ms/send: server CPU per send")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--layouts", default="shared,spread")
    parser.add_argument("--modes", default="http,inprocess")
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    try:
        results = run(main_async(args), args.loop)
    finally:
        stop_all()
    print(report(results, args))
    for path in sorted(args.profile.glob("sends-*.txt")) if args.profile else []:
        for title, shares in zip(("callees included", "own time"), summarise(path), strict=True):
            print(f"\nWhere {path.stem} spent its time ({title}):")
            for frame, share in shares:
                print(f"  {100 * share:5.1f}%  {frame[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
