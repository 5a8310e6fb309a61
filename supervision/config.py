"""Settings of this package, read from the environment like the kernel's (`TONGBAN_*`)."""

from __future__ import annotations

import os

from supervision.policy import DEFAULT_YELLOW_DAYS


def yellow_days() -> int:
    """Days before the due time when a task turns yellow and its assignees are reminded
    (`TONGBAN_SUPERVISION_YELLOW_DAYS`, default 3). Read on each use, so a deployment can
    change it with a restart and tests with the environment; a bad value falls back to 3."""
    raw = os.environ.get("TONGBAN_SUPERVISION_YELLOW_DAYS", "")
    return int(raw) if raw.isdigit() else DEFAULT_YELLOW_DAYS
