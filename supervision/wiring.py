"""What supervision contributes at start-up: its reminder job and file references."""

from __future__ import annotations

from core.scheduler import register_job
from files.access import register_reference
from supervision.attachments import may_download
from supervision.reminders import JOB, run_reminder


def wire() -> None:
    """Register the reminder job and let people who may see a task download its files.

    Events go to `user:` audiences only, so no audience resolver is needed.
    """
    register_job(JOB, run_reminder)
    register_reference(may_download)
