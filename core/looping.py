"""A background pass that runs again when woken or every `poll_seconds`: the scheduler and push's
follower and senders are each one. A failing pass is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class PollingLoop(ABC):
    label = "background"  # names the loop in the log

    def __init__(self, *, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self.wake_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def run_pass(self) -> None:
        """Do everything that is due now."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self.wake_event.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception:
                log.exception("%s pass failed", self.label)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self.wake_event.wait()
            self.wake_event.clear()
