"""Opening the conversation list (with unread counts) for a person in 500 conversations.

    python bench/messaging_list.py [--conversations 500] [--repeat 200]

The real server (SQLite, pinned to one core) holds one person in N group conversations, each
with a few messages, a third of them partly read. The person then opens the list through the
HTTP API — `GET /v1/conversations?limit=L` — `--repeat` times one after another: the first page
as a phone shows it (L = 50), a page of 200, and the whole list walked page by page. Figures
are wall-clock times per request as the client sees them (auth included). Target: < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.loops import LOOPS, run
from bench.messaging_load import LeanHttp, create_group, person_ids, quantile, send_many
from bench.servers import ServerProcess, stop_all
from bench.targets import TongbanTarget
from bench.tongban_setup import admin_token, bounded, call, grow_audience, tokens_for
from bench.ws_fanout import server_core


async def populate(http: httpx.AsyncClient, count: int) -> tuple[str, int]:
    """The reader's token and how many conversations they are in."""
    admin = await admin_token(http)
    audience = await grow_audience(http, None, 3)
    reader, writer, third = await tokens_for(http, audience.usernames)
    ids = await person_ids(http, admin, audience)
    groups = await bounded([partial(create_group, http, writer, f"工作群{n:03d}", [ids[0], ids[2]])
                            for n in range(count)], 8)
    await send_many(http, [(writer if n % 3 else third, g, f"第{n}群的消息{k}")
                           for n, g in enumerate(groups) for k in range(1 + n % 3)])
    for g in groups[::3]:
        await call(http, "POST", f"/v1/conversations/{g}/read", reader, {"up_to_seq": 1})
    return reader, len(groups)


async def timed(conn: LeanHttp, token: str, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        status, _ = await conn.get(path, token)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, status
    return times


async def walk(conn: LeanHttp, token: str, limit: int) -> tuple[float, int, int]:
    """Every page of the list: (ms, conversations seen, total unread)."""
    start, cursor, seen, unread = time.perf_counter(), None, 0, 0
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        _, body = await conn.get(f"/v1/conversations{query}", token)
        page = json.loads(body)
        seen += len(page["items"])
        unread += sum(item["unread_count"] for item in page["items"])
        if not (cursor := page["next_cursor"]):
            return (time.perf_counter() - start) * 1000, seen, unread


async def measure(server: ServerProcess, args: argparse.Namespace) -> list[str]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=120) as http:
        reader, count = await populate(http, args.conversations)
    conn = await LeanHttp.connect(server.port)
    try:
        lines = [(f"Conversation list for a person in {count} conversations "
                  f"(HTTP, auth included, {args.repeat} requests each; target < 50 ms)"),
                 "  request                          p50 ms   p99 ms   max ms"]
        for limit in (50, 200):
            times = await timed(conn, reader, f"/v1/conversations?limit={limit}", args.repeat)
            lines.append(f"  GET /v1/conversations?limit={limit:<4} {quantile(times, .5):8.2f} "
                         f"{quantile(times, .99):8.2f} {max(times):8.2f}")
        walks = [await walk(conn, reader, 200) for _ in range(max(1, args.repeat // 10))]
        ms = [w[0] for w in walks]
        lines.append(f"  whole list, pages of 200         {quantile(ms, .5):8.2f} "
                     f"{quantile(ms, .99):8.2f} {max(ms):8.2f}   "
                     f"({walks[0][1]} conversations, {walks[0][2]} unread)")
        return lines
    finally:
        conn.close()


async def main_async(args: argparse.Namespace) -> list[str]:
    target = TongbanTarget(core=server_core(args.no_pin), loop=args.loop)
    server = await asyncio.to_thread(target.start)
    try:
        return await measure(server, args)
    finally:
        await asyncio.to_thread(server.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    try:
        lines = run(main_async(args), args.loop)
    finally:
        stop_all()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
