"""One server at one client count: connect, weigh the idle sockets, publish steadily, flood.

- steady: `rate` events/s for `seconds`, on a fixed schedule whatever the server does (open
  loop), then up to `drain` seconds for the last deliveries;
- flood: `window` events in flight, the next published as soon as one has reached every client
  (closed loop), for `flood_seconds`, once per window size: with one in flight it measures a
  round trip; with a few, the most deliveries/s the server sustains without queues growing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import process_time

from bench.profiling import Sampler
from bench.recorder import PhaseStats, Recorder
from bench.servers import ServerProcess, machine_cpu_seconds
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
    windows: list[int]
    drain: float = 3.0
    profile_dir: Path | None = None


@dataclass
class CaseResult:
    server: str
    clients: int
    connected: int = 0
    connect_seconds: float = 0.0
    rss_per_conn_kib: float = 0.0
    steady: PhaseStats | None = None
    floods: dict[int, PhaseStats] = field(default_factory=dict)
    closed_codes: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Cpu:
    """CPU seconds used since creation: by the server, by this load process, by all others.

    Other processes on a 2-core machine steal from the two under test; the report shows it.
    """

    def __init__(self, server: ServerProcess) -> None:
        self._server = server
        self._at = (server.cpu_seconds(), process_time(), machine_cpu_seconds())

    def used(self) -> dict[str, float]:
        server = self._server.cpu_seconds() - self._at[0]
        client = process_time() - self._at[1]
        other = machine_cpu_seconds() - self._at[2] - server - client
        return {"server_cpu": server, "client_cpu": client, "other_cpu": max(0.0, other)}


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
    return recorder.stats(**cpu.used())


async def flood(publisher: Publisher, recorder: Recorder, server: ServerProcess, *,
                clients: int, window: int, options: Options) -> PhaseStats:
    recorder.begin(clients=clients, first_seq=_numbers.next)
    cpu = Cpu(server)
    end = asyncio.get_running_loop().time() + options.flood_seconds
    await asyncio.gather(*(_one_in_flight(publisher, recorder, end, options.drain)
                           for _ in range(window)))
    await drain(recorder, options.drain)
    return recorder.stats(**cpu.used())


async def _one_in_flight(publisher: Publisher, recorder: Recorder, end: float,
                         patience: float) -> None:
    """Publish, wait until every client has it, publish the next, until `end`."""
    loop = asyncio.get_running_loop()
    while loop.time() < end:
        seq = _numbers.take()
        delivered = recorder.expect(seq)
        await publisher.publish(seq)
        try:
            async with asyncio.timeout(patience):
                await delivered
        except TimeoutError:
            return  # a subscriber is gone or far behind: stop rather than pile up


async def run_case(target: Target, result: CaseResult, options: Options) -> None:
    """Start the server, measure into `result` (as far as it gets), and always end it."""
    server = await asyncio.to_thread(target.start)
    try:
        await _measure(target, server, result, options)
    finally:
        await asyncio.to_thread(server.stop)


async def _measure(target: Target, server: ServerProcess, result: CaseResult,
                   options: Options) -> None:
    recorder = Recorder()
    socks = await _connect_and_weigh(target, server, result, recorder)
    publisher = await target.publisher(server, recorder)
    try:
        result.steady = await steady(publisher, recorder, server, clients=len(socks),
                                     options=options)
        for window in options.windows if options.flood_seconds > 0 else []:
            profile = options.profile_dir if window == max(options.windows) else None
            with sampled(server, profile, f"{server.name}-{result.clients}-window{window}"):
                result.floods[window] = await flood(publisher, recorder, server,
                                                    clients=len(socks), window=window,
                                                    options=options)
    finally:
        await publisher.aclose()
        _close_all(socks, result)


async def _connect_and_weigh(target: Target, server: ServerProcess, result: CaseResult,
                             recorder: Recorder) -> list[FeedSocket]:
    """Connect every client; the server's RSS growth per socket goes into `result`."""
    hellos = await target.hellos(server, result.clients)
    await asyncio.sleep(1.0)  # let set-up work finish before memory is read
    loop = asyncio.get_running_loop()
    rss_before, start = server.rss_kib(), loop.time()
    socks, failed = await connect_all(server.port, target.path, hellos, recorder)
    result.connected, result.connect_seconds = len(socks), loop.time() - start
    if failed:
        result.notes.append(f"{failed} of {len(hellos)} sockets failed to connect")
    await asyncio.sleep(1.0)
    result.rss_per_conn_kib = (server.rss_kib() - rss_before) / max(1, len(socks))
    return socks


@contextmanager
def sampled(server: ServerProcess, profile_dir: Path | None, label: str) -> Iterator[None]:
    """py-spy on the server for the duration of the block, when a profile folder is given."""
    if profile_dir is None:
        yield
        return
    profile_dir.mkdir(parents=True, exist_ok=True)
    sampler = Sampler(server.proc.pid, profile_dir / f"{label.replace(' ', '_')}.txt")
    try:
        yield
    finally:
        sampler.stop()


def _close_all(socks: list[FeedSocket], result: CaseResult) -> None:
    for sock in socks:
        if sock.close_code is not None:
            result.closed_codes[sock.close_code] = result.closed_codes.get(sock.close_code, 0) + 1
        sock.close()
