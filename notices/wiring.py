"""What notices contribute at start-up: their jobs, and readers of their attached files.

No audience resolver: every notice event goes to `user:{id}` of the people resolved at
sending time (see `notices.fanout` for why not a `notice:{id}` audience).
"""

from __future__ import annotations

from core.scheduler import register_job
from files.access import register_reference
from notices import fanout, publishing, reminders
from notices.models import NoticeFile, NoticeRecipient
from notices.policy import VISIBLE_STATES


async def may_read_attachment(person_id: int, file_id: int) -> bool:
    """A file attached to a notice is readable by its publisher and, while they may see the
    notice, by its recipients (substitutes included)."""
    notice_ids = await NoticeFile.filter(file_id=file_id).values_list("notice_id", flat=True)
    if not notice_ids:
        return False
    return await NoticeRecipient.filter(
        notice_id__in=list(notice_ids), person_id=person_id,
        notice__state__in=list(VISIBLE_STATES),
    ).exists() or await NoticeFile.filter(
        file_id=file_id, notice__publisher_id=person_id
    ).exists()


def wire() -> None:
    """Register the fan-out, reminder and abandoned-send jobs and the attachment readers."""
    register_job(fanout.JOB, fanout.run_fanout)
    reminders.register_jobs()
    publishing.register_jobs()
    register_reference(may_read_attachment)
