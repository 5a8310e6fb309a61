"""Launcher: the baseline, a bare `websockets` broadcast server with no application at all.

Subscribers open `/`, send any first frame (the hello) and get `{"type":"ready",…}`, as with
Tongban. The publisher opens `/publish`; every text frame it sends goes to every subscriber
with `websockets.broadcast` (one encode, a write per socket, no per-socket task or queue).
This is the ceiling for a Python websocket server on one core: the gap to it is our overhead.
"""

from __future__ import annotations

import argparse

from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.loops import LOOPS, run

READY = '{"type":"ready","last_event_id":0}'
subscribers: set[ServerConnection] = set()


async def handle(ws: ServerConnection) -> None:
    if ws.request is not None and ws.request.path == "/publish":
        async for message in ws:
            broadcast(subscribers, message)
        return
    await ws.recv()
    await ws.send(READY)
    subscribers.add(ws)
    try:
        await ws.wait_closed()
    finally:
        subscribers.discard(ws)


async def serve_forever(port: int) -> None:
    async with serve(handle, "127.0.0.1", port, compression=None, max_size=64 * 1024) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="bare websockets broadcast server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    args = parser.parse_args()
    run(serve_forever(args.port), args.loop)


if __name__ == "__main__":
    main()
