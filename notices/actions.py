"""Every state change of notices and meetings, in one place to look them up.

They live in modules named after what they change:
- `publishing` — sending (发布): `do_publish_notice`;
- `receipts` — what recipients do: `do_read_notice`, `do_confirm_notice`, `do_answer_rsvp`,
  `do_check_in`;
- `changes` — what the publisher changes afterwards: `do_correct_notice`,
  `do_withdraw_notice`, `do_cancel_meeting`;
- `reminders` — `do_remind_notice` and the scheduled reminders.
"""

from __future__ import annotations

from notices.changes import do_cancel_meeting, do_correct_notice, do_withdraw_notice
from notices.publishing import do_publish_notice
from notices.receipts import do_answer_rsvp, do_check_in, do_confirm_notice, do_read_notice
from notices.reminders import do_remind_notice

__all__ = [
    "do_answer_rsvp", "do_cancel_meeting", "do_check_in", "do_confirm_notice",
    "do_correct_notice", "do_publish_notice", "do_read_notice", "do_remind_notice",
    "do_withdraw_notice",
]
