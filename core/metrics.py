"""Prometheus metrics: one registry of named metrics for every package, safe with several workers.

Any package declares what it measures here, by name and once: `counter("tongban_push_sent_total",
"…", ["provider"])`. Asking again for a name returns the metric already made, so an app built twice
in one process (the tests) or a module imported twice does not fail. Values that live in the
database rather than in a process (an outbox's depth, the feed's head) are set by an `on_scrape`
callback, run just before each exposition.

With `tongban serve --workers N` each worker is its own process. The CLI then points
`PROMETHEUS_MULTIPROC_DIR` at an empty folder before the workers start; prometheus-client keeps
each process's values in memory-mapped files there, and whichever worker answers `/metrics` adds
them up. Each gauge therefore says how processes combine (`livesum` for open sockets, `liveall`
for a per-process figure, `livemax` for one everybody measures alike).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

M = TypeVar("M", Counter, Gauge, Histogram)
ScrapeCallback = Callable[[], Awaitable[None]]
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; from a cached read (1 ms) to a request stuck behind a long transaction (10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

disable_created_metrics()  # `…_created` series double the output and no dashboard reads them
_made: dict[str, Any] = {}
_scrape_callbacks: list[ScrapeCallback] = []


def _named(kind: type[M], name: str, doc: str, labels: Sequence[str], **options: Any) -> M:
    found = _made.get(name)
    if found is None:
        found = _made[name] = kind(name, doc, list(labels), **options)
    if not isinstance(found, kind):
        raise TypeError(f"metric {name} already exists as a {type(found).__name__}")
    return found


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
    """A counter (name it `…_total`); the same object every time the name is asked for."""
    return _named(Counter, name, doc, labels)


def gauge(name: str, doc: str, labels: Sequence[str] = (), *, mode: str = "livesum") -> Gauge:
    """A gauge; `mode` says how the values of several worker processes combine."""
    return _named(Gauge, name, doc, labels, multiprocess_mode=mode)


def histogram(name: str, doc: str, labels: Sequence[str] = (),
              buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
    return _named(Histogram, name, doc, labels, buckets=tuple(buckets))


def on_scrape(callback: ScrapeCallback) -> None:
    """Run `callback` before each exposition (in the process that answers the scrape)."""
    if callback not in _scrape_callbacks:
        _scrape_callbacks.append(callback)


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


async def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric (all worker processes added up) and its media type."""
    for callback in list(_scrape_callbacks):
        await callback()
    folder = multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    forget_dead_processes(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry), CONTENT_TYPE_LATEST


_LIVE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def forget_dead_processes(folder: Path) -> None:
    """Drop the `live*` gauges of workers that exited (uvicorn replaces crashed workers), so
    open sockets of a dead process are not counted forever. Counters of dead processes stay:
    a total must not go down."""
    for entry in os.scandir(folder):
        match = _LIVE_FILE.match(entry.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- what the kernel and the server measure -------------------------------------------------

EVENTS_WRITTEN = counter("tongban_events_written_total", "Events committed to the feed.")
EVENTS_DELIVERED = counter(
    "tongban_events_delivered_total",
    "Event frames handed to websocket connections (live fan-out and replays).",
)
FEED_LAG = gauge(
    "tongban_feed_lag_events",
    "Newest event id minus the last id this process has fanned out, at its last feed poll.",
    mode="liveall",
)
FEED_HEAD = gauge("tongban_feed_head_id", "Newest event id in the feed.", mode="livemax")
FEED_PRUNED = counter("tongban_feed_pruned_total", "Events removed by feed retention.")
FEED_PRUNED_THROUGH = gauge(
    "tongban_feed_pruned_through_id",
    "Highest event id removed by retention; resuming from below it gets a reset.",
    mode="livemax",
)
WEBSOCKETS_OPEN = gauge("tongban_websockets_open", "Open websocket connections.", mode="livesum")
SLOW_CONSUMERS = counter(
    "tongban_websocket_slow_consumers_total",
    "Websocket connections closed (4429) because they fell too far behind.",
)
DB_SECONDS = histogram(
    "tongban_db_query_seconds", "Time spent in database statements and commits.", ["op"]
)
JOB_LAG = histogram(
    "tongban_scheduler_job_lag_seconds", "From a job's due time to the start of its run.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
JOBS_RUN = counter("tongban_scheduler_jobs_total", "Scheduled job runs.", ["job", "outcome"])
JOBS_OVERDUE = gauge(
    "tongban_scheduler_oldest_due_seconds",
    "How long the oldest job that is due now has been waiting (0 when none is).",
    mode="livemax",
)
