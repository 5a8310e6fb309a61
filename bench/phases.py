"""One server at one client count: connect, weigh the idle sockets, publish steadily, flood.

- steady: `rate` events/s for `seconds`, on a fixed schedule whatever the server does (open
  loop), then up to `drain` seconds for the last deliveries;
- flood: `window` events in flight, the next published as soon as one has reached every client
  (closed loop), for `seconds`: the most deliveries/s the server sustains without queues growing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from time import process_time

from bench.recorder import PhaseStats, Recorder
from bench.servers import ServerProcess
from bench.targets import Publisher, Target
from bench.wsclient import FeedSocket, open_socket



class Numbers:
    """Event numbers never repeat within a run, so a late delivery of a past phase is ignored."""

    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


_numbers = Numbers()


@dataclass
class Options:
    rate: float
    seconds: float
    flood_seconds: float
    window: int
    drain: float = 3.0


@dataclass
class CaseResult:
    server: str
    clients: int
    connected: int = 0
    connect_seconds: float = 0.0
    rss_per_conn_kib: float = 0.0
    steady: PhaseStats | None = None
    flood: PhaseStats | None = None
    closed_codes: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Cpu:
    """CPU seconds used since creation, by the server process and by this (load) process."""

    def __init__(self, server: ServerProcess) -> None:
        self._server = server
        self._at_server, self._at_client = server.cpu_seconds(), process_time()

    def server(self) -> float:
        return self._server.cpu_seconds() - self._at_server

    def client(self) -> float:
        return process_time() - self._at_client


async def connect_all(port: int, path: str, hellos: list[bytes], recorder: Recorder,
                      limit: int = 50) -> tuple[list[FeedSocket], int]:
    """Open one socket per hello, `limit` handshakes at a time; (sockets, failures)."""
    gate = asyncio.Semaphore(limit)

    async def one(hello: bytes) -> FeedSocket:
        async with gate:
            return await open_socket("127.0.0.1", port, path, hello=hello, sink=recorder.record)

    results = await asyncio.gather(*(one(h) for h in hellos), return_exceptions=True)
    socks = [r for r in results if isinstance(r, FeedSocket)]
    return socks, len(results) - len(socks)


async def drain(recorder: Recorder, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not recorder.complete() and loop.time() < deadline:
        await asyncio.sleep(0.01)


async def steady(publisher: Publisher, recorder: Recorder, server: ServerProcess, *,
                 clients: int, options: Options) -> PhaseStats:
    recorder.begin(clients=clients, first_seq=_numbers.next)
    cpu = Cpu(server)
    loop = asyncio.get_running_loop()
    start, count = loop.time(), round(options.rate * options.seconds)
    tasks = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / options.rate - loop.time()))
        tasks.append(asyncio.create_task(publisher.publish(_numbers.take())))
    await asyncio.gather(*tasks)
    await drain(recorder, options.drain)
    return recorder.stats(server_cpu=cpu.server(), client_cpu=cpu.client())


async def flood(publisher: Publisher, recorder: Recorder, server: ServerProcess, *,
                clients: int, options: Options) -> PhaseStats:
    recorder.begin(clients=clients, first_seq=_numbers.next)
    cpu = Cpu(server)
    loop = asyncio.get_running_loop()
    end = loop.time() + options.flood_seconds

    async def worker() -> None:
        while loop.time() < end:
            seq = _numbers.take()
            delivered = recorder.expect(seq)
            await publisher.publish(seq)
            try:
                async with asyncio.timeout(options.drain):
                    await delivered
            except TimeoutError:
                return  # a subscriber is gone or far behind: stop rather than pile up

    await asyncio.gather(*(worker() for _ in range(options.window)))
    await drain(recorder, options.drain)
    return recorder.stats(server_cpu=cpu.server(), client_cpu=cpu.client())


async def run_case(target: Target, clients: int, options: Options) -> CaseResult:
    """Start the server, measure, and always end it."""
    result = CaseResult(target.name, clients)
    server = await asyncio.to_thread(target.start)
    try:
        await _measure(target, server, result, options)
    finally:
        await asyncio.to_thread(server.stop)
    return result


async def _measure(target: Target, server: ServerProcess, result: CaseResult,
                   options: Options) -> None:
    recorder = Recorder()
    hellos = await target.hellos(server, result.clients)
    await asyncio.sleep(1.0)  # let set-up work finish before memory is read
    rss_before, start = server.rss_kib(), asyncio.get_running_loop().time()
    socks, failed = await connect_all(server.port, target.path, hellos, recorder)
    result.connected, result.connect_seconds = len(socks), asyncio.get_running_loop().time() - start
    if failed:
        result.notes.append(f"{failed} of {len(hellos)} sockets failed to connect")
    await asyncio.sleep(1.0)
    result.rss_per_conn_kib = (server.rss_kib() - rss_before) / max(1, len(socks))
    publisher = await target.publisher(server, recorder)
    try:
        result.steady = await steady(publisher, recorder, server, clients=len(socks),
                                     options=options)
        if options.flood_seconds > 0:
            result.flood = await flood(publisher, recorder, server, clients=len(socks),
                                       options=options)
    finally:
        await publisher.aclose()
        _close_all(socks, result)


def _close_all(socks: list[FeedSocket], result: CaseResult) -> None:
    for sock in socks:
        if sock.close_code is not None:
            result.closed_codes[sock.close_code] = result.closed_codes.get(sock.close_code, 0) + 1
        sock.close()
