"""What the subscribers received: per-delivery latency, per-event completion, phase figures.

Every published event carries `bench-{seq}-{publish time in ns}` in `data.name`, and the
server's `at` (Tongban: the commit time of the write; bare server: the publish time). A delivery
is one event frame arriving on one socket; its latency is arrival − publish time, both read from
this machine's clock with `time.time_ns()`. `at` splits Tongban's latency into the write path
(publish → commit) and the fan-out (commit → arrival).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

NAME_MARK = b'"name":"bench-'
AT_MARK = b'"at":"'
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def event_name(seq: int, published_ns: int) -> str:
    return f"bench-{seq}-{published_ns}"


def _iso_ns(text: bytes) -> int:
    return (datetime.fromisoformat(text.decode()) - EPOCH) // MICROSECOND * 1000


def _field(payload: bytes, mark: bytes) -> bytes | None:
    start = payload.find(mark)
    if start < 0:
        return None
    start += len(mark)
    return payload[start : payload.index(b'"', start)]


@dataclass
class PhaseStats:
    """The figures of one phase for one server at one client count."""

    events: int
    deliveries: int
    expected: int
    seconds: float
    latency_ms: list[float]
    fanout_ms: list[float]
    write_ms: list[float]
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    other_cpu_seconds: float = 0.0

    @property
    def cpu_us_per_delivery(self) -> float:
        """Server CPU time spent per delivery (all of it: HTTP, database, fan-out, sockets)."""
        return self.server_cpu_seconds * 1e6 / self.deliveries if self.deliveries else 0.0

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds if self.seconds > 0 else 0.0

    @property
    def missed(self) -> int:
        return max(0, self.expected - self.deliveries)

    def p(self, q: float, part: str = "latency") -> float:
        """The q-quantile (0.5, 0.99) of `latency`, `fanout` or `write` times, in ms."""
        values = {"latency": self.latency_ms, "fanout": self.fanout_ms, "write": self.write_ms}[part]
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


@dataclass
class Recorder:
    """Counts deliveries of the events published since `begin()`; one per load process."""

    clients: int = 0
    first_seq: int = 0
    latencies: list[int] = field(default_factory=list)
    fanouts: list[int] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    commit_ns: dict[int, int] = field(default_factory=dict)
    published_ns: dict[int, int] = field(default_factory=dict)
    waiters: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    last_arrival: int = 0

    def begin(self, *, clients: int, first_seq: int) -> None:
        """Forget the last phase; count events from `first_seq` on, each owed to `clients`."""
        self.clients, self.first_seq, self.last_arrival = clients, first_seq, 0
        self.latencies, self.fanouts = [], []
        self.counts, self.commit_ns, self.published_ns, self.waiters = {}, {}, {}, {}

    def published(self, seq: int, at_ns: int) -> None:
        self.published_ns[seq] = at_ns

    def withdrawn(self, seq: int) -> None:
        """The publish failed: no deliveries are owed for `seq`."""
        self.published_ns.pop(seq, None)

    def expect(self, seq: int) -> asyncio.Future[None]:
        """A future done once every client has received event `seq` (closed-loop publishing)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters[seq] = future
        return future

    def record(self, payload: bytes, now: int) -> None:
        name = _field(payload, NAME_MARK)
        if name is None:
            return  # pings and anything that is not a benchmark event
        seq_text, _, sent_text = name.partition(b"-")
        seq = int(seq_text)
        if seq < self.first_seq:
            return  # a straggler of an earlier phase
        self.latencies.append(now - int(sent_text))
        self.fanouts.append(now - self._commit_ns(seq, payload))
        self.last_arrival = now
        count = self.counts[seq] = self.counts.get(seq, 0) + 1
        if count == self.clients and seq in self.waiters:
            future = self.waiters.pop(seq)
            if not future.done():
                future.set_result(None)

    def _commit_ns(self, seq: int, payload: bytes) -> int:
        found = self.commit_ns.get(seq)
        if found is None:
            at = _field(payload, AT_MARK)
            found = self.commit_ns[seq] = _iso_ns(at) if at else 0
        return found

    def complete(self) -> bool:
        return len(self.latencies) >= self.clients * len(self.published_ns)

    def stats(self, *, server_cpu: float, client_cpu: float, other_cpu: float) -> PhaseStats:
        first = min(self.published_ns.values(), default=0)
        return PhaseStats(
            events=len(self.published_ns), deliveries=len(self.latencies),
            expected=self.clients * len(self.published_ns),
            seconds=max(0, self.last_arrival - first) / 1e9,
            latency_ms=sorted(ns / 1e6 for ns in self.latencies),
            fanout_ms=sorted(ns / 1e6 for ns in self.fanouts),
            write_ms=sorted(max(0, self.commit_ns[seq] - sent) / 1e6  # `at` has µs precision
                            for seq, sent in self.published_ns.items() if seq in self.commit_ns),
            server_cpu_seconds=server_cpu,
            client_cpu_seconds=client_cpu, other_cpu_seconds=other_cpu,
        )
