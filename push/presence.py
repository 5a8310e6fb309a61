"""Presence: which devices hold a live websocket in the foreground, so they get no push for what
they already received.

The app says `{"type": "presence", "state": "foreground" | "background"}` on its websocket; the
gateway tells this process's `Presence`. Presence is kept in the database, on the channels
attached under that login (`push_channel.foreground_until`), because the follower that decides
who is rung may run in another process. It is a lease, not a flag: the process holding the
socket renews it every third of `ttl`, and clears it when the socket closes or goes to the
background; a process that dies lets it lapse within `ttl`, after which pushes flow again.
(The bus would spread presence as fast, but a process that starts later would not know it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from core.clock import utcnow
from push.models import PushChannel

log = logging.getLogger(__name__)
STATES = ("foreground", "background")


class Presence:
    def __init__(self, *, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self.live: dict[int, tuple[str, bool]] = {}  # connection key → (session, foreground)
        self._changed: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._renew())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def report(self, key: int, session_id: str, state: str) -> bool:
        """A connection said where the app is; False for a state that is not one."""
        if state not in STATES:
            return False
        self.live[key] = (session_id, state == "foreground")
        self._changed.put_nowait(session_id)
        return True

    def forget(self, key: int) -> None:
        """The connection closed."""
        gone = self.live.pop(key, None)
        if gone is not None:
            self._changed.put_nowait(gone[0])

    def foreground_sessions(self) -> set[str]:
        return {session for session, foreground in self.live.values() if foreground}

    async def _write(self) -> None:
        while True:
            session_id = await self._changed.get()
            with contextlib.suppress(Exception):
                await self._store(session_id, session_id in self.foreground_sessions())

    async def _store(self, session_id: str, foreground: bool) -> None:
        until = utcnow() + timedelta(seconds=self.ttl) if foreground else None
        await PushChannel.filter(session_id=session_id).update(foreground_until=until)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            sessions = sorted(self.foreground_sessions())
            if sessions:
                try:
                    until = utcnow() + timedelta(seconds=self.ttl)
                    await PushChannel.filter(session_id__in=sessions).update(foreground_until=until)
                except Exception:
                    log.exception("renewing push presence failed")
