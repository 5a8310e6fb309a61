"""What `tongban serve` sets up around uvicorn: logs, metrics across workers, a clean SIGTERM.

Shutdown, as uvicorn runs it with these options: on SIGTERM the listening sockets close (new
connections are refused, so a balancer moves on), every websocket is closed with 1012 "service
restart" (clients reconnect at once, elsewhere or to the next process), requests in flight get
`TONGBAN_SHUTDOWN_GRACE_SECONDS` to finish, then the app's lifespan ends (scheduler, feed pump,
bus, database) and the process exits 0. uvicorn re-raises the signal once it is done, to let the
default handler end the process; that would exit 143, which service managers log as a failure,
so `serving` installs a handler that turns the re-raised SIGTERM into a normal exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from core.config import Settings
from core.logs import configure_logging
from core.metrics import MULTIPROC_ENV

WORKER_HEALTHCHECK_SECONDS = 60


@contextmanager
def serving(settings: Settings, *, workers: int, log_level: str | None) -> Iterator[dict[str, Any]]:
    """Set up the process (and the workers it will start); yields uvicorn's extra options."""
    log_config = configure_logging(log_format=settings.log_format,
                                   level=log_level or settings.log_level)
    with _metrics_folder(workers), _sigterm_exits_cleanly():
        yield {
            "log_config": log_config,
            "log_level": (log_level or settings.log_level).lower(),
            "access_log": False,  # ours (server.observe) has the route, actor and request id
            "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
            # A worker answers the supervisor's health pings only once it has imported the app;
            # on a busy machine that takes longer than uvicorn's 5 s, and it would be killed
            # and restarted over and over as "hung".
            "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        }


@contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """With several workers, an empty folder for prometheus-client's per-process files.

    An operator may name one (PROMETHEUS_MULTIPROC_DIR); it is emptied, since files left by an
    earlier run would be added to this one's counters. Otherwise a temporary one is made and
    removed at exit.
    """
    if workers <= 1 and MULTIPROC_ENV not in os.environ:
        yield
        return
    given = os.environ.get(MULTIPROC_ENV)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="tongban-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _sigterm_exits_cleanly() -> Iterator[None]:
    def exit_cleanly(signum: int, frame: FrameType | None) -> None:
        """uvicorn finished its graceful shutdown and re-raised the signal (or it came before
        uvicorn took over): leave with status 0."""
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, exit_cleanly)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
