"""Group commit: many concurrent small writes share one transaction and one commit.

The cost of a small write is its commit (DESIGN.md: ~3.7 k commits/s through aiosqlite, ~90 k
rows/s when 100 share one). A `GroupCommitter` runs the functions submitted to it by one writer
task: it takes everything that queued up while the previous batch was committing (up to
`max_batch`), runs each function in turn inside one `atomic()` — so each one's audit entries and
events are written with the others' at that single commit — then resolves every caller.

One failing function must not take the others down, and SQLite has no cheap way to undo just
one of them (a savepoint per item costs two more round trips for every write). So the batch is
optimistic: when a function raises, the whole transaction is rolled back, the caller of that
function gets its exception, and the remaining functions run again in a fresh batch. Functions
should therefore check what they can before writing (a refusal then costs a rollback, not a
wrong write) and must be safe to run again: touch only the database inside, nothing outside.
If the commit itself fails, every function runs again alone, so only the culprit fails.

Functions run in the writer task, not in their caller's: the caller's `Origin` (who is acting,
for the audit log) is carried over; other context variables are not. A caller already inside a
transaction runs its function inline, in that transaction, because the writer could not get
the connection before the caller's transaction ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from core.context import Origin, current_origin, set_origin
from core.tx import _work, atomic

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class _Item(Generic[T]):
    fn: Callable[[], Awaitable[T]]
    origin: Origin
    key: int
    future: asyncio.Future[T] = field(repr=False)


class _Abort(Exception):
    """Raised inside the batch to roll it back after one function failed."""

    def __init__(self, index: int, error: BaseException) -> None:
        self.index, self.error = index, error


@dataclass
class BatchStats:
    batches: int = 0
    items: int = 0
    retries: int = 0
    largest: int = 0


class GroupCommitter:
    """Runs submitted functions together, `max_batch` at a time, one commit per batch."""

    def __init__(self, *, max_batch: int = 100) -> None:
        self.max_batch = max_batch
        self.stats = BatchStats()
        self._queue: deque[_Item[Any]] = deque()
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, fn: Callable[[], Awaitable[T]], *, key: int = 0) -> T:
        """Run `fn` in a shared transaction; its result or exception once the batch commits.

        Within a batch functions run in `key` order (then arrival order): give the id of the row
        a function locks first, so that batches in several processes lock rows in one order.
        """
        if _work.get() is not None:
            return await fn()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Item(fn, current_origin(), key, future))
        if self._writer is None or self._writer.done():
            # A fresh context: the writer must not inherit its first caller's transaction.
            self._writer = asyncio.get_running_loop().create_task(
                self._drain(), context=contextvars.Context()
            )
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        """Run batches until nothing is waiting, then end (the next submit starts a writer)."""
        while self._queue:
            count = min(self.max_batch, len(self._queue))
            batch = [self._queue.popleft() for _ in range(count)]
            batch.sort(key=lambda item: item.key)
            try:
                await self._run(batch)
            except BaseException as error:  # never leave a caller waiting forever
                _settle(batch, error=error)
                if not isinstance(error, Exception):
                    raise

    async def _run(self, batch: list[_Item[Any]]) -> None:
        while batch:
            try:
                results = await self._attempt(batch)
            except _Abort as abort:
                _settle([batch[abort.index]], error=abort.error)
                batch = batch[: abort.index] + batch[abort.index + 1 :]
                self.stats.retries += 1 if batch else 0
                continue
            except Exception:
                if len(batch) == 1:
                    raise
                log.warning("a batch of %d failed at commit; running each alone", len(batch))
                for item in batch:
                    try:
                        await self._run([item])
                    except Exception as error:  # noqa: BLE001 — it is that caller's answer
                        _settle([item], error=error)
                return
            self._count(len(batch))
            for item, result in zip(batch, results):
                if not item.future.done():
                    item.future.set_result(result)
            return

    async def _attempt(self, batch: list[_Item[Any]]) -> list[Any]:
        results: list[Any] = []
        async with atomic():
            for index, item in enumerate(batch):
                set_origin(item.origin)
                try:
                    results.append(await item.fn())
                except Exception as error:
                    raise _Abort(index, error) from error
        return results

    def _count(self, size: int) -> None:
        self.stats.batches += 1
        self.stats.items += size
        self.stats.largest = max(self.stats.largest, size)


def _settle(items: list[_Item[Any]], *, error: BaseException) -> None:
    for item in items:
        if not item.future.done():
            item.future.set_exception(error)
