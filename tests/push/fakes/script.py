"""What a fake vendor answers, token by token, and what it was sent.

Every fake owns one `Script`: by default each push succeeds; `queue(token, answer, times=n)`
makes the next n pushes to `token` get `answer` (then success again), `always(token, answer)`
makes every push to it get `answer` (a dead token), and `latency` delays every answer."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    """One push as the fake saw it: the path, the request headers (lower-case) and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)


class Script:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.received: list[Received] = []
        self._queued: dict[str, deque[Answer]] = defaultdict(deque)
        self._always: dict[str, Answer] = {}

    def queue(self, token: str, answer: Answer, *, times: int = 1) -> None:
        self._queued[token].extend([answer] * times)

    def always(self, token: str, answer: Answer) -> None:
        self._always[token] = answer

    def answer_for(self, token: str) -> Answer | None:
        """The scripted answer for the next push to `token`; None means success."""
        queued = self._queued.get(token)
        if queued:
            return queued.popleft()
        return self._always.get(token)

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        self.received.append(Received(path, headers, body))

    def reset(self) -> None:
        self.received.clear()
        self._queued.clear()
        self._always.clear()
