"""Named sets of a notice's recipients, as query filters: the one definition of each status.

Statistics count them, the recipient list filters by them, and reminders are sent to them, so
"unconfirmed" means the same thing on the publisher's screen and in the reminder it sends.
"""

from __future__ import annotations

from tortoise.expressions import Q

from notices.policy import Answer

NOT_SUBSTITUTED = Q(rsvp=None) | ~Q(rsvp=Answer.SUBSTITUTE.value)
EXPECTED = Q(rsvp=None) | Q(rsvp=Answer.ATTEND.value)  # expected at the meeting (应到)

STATUS: dict[str, Q] = {
    "unread": Q(read_at=None),
    "read": Q(read_at__not_isnull=True),
    "confirmed": Q(confirmed_at__not_isnull=True),
    "unconfirmed": Q(Q(confirmed_at=None), NOT_SUBSTITUTED),
    "attending": Q(rsvp=Answer.ATTEND.value),
    "declined": Q(rsvp=Answer.DECLINE.value),
    "substituted": Q(rsvp=Answer.SUBSTITUTE.value),
    "unanswered": Q(rsvp=None),
    "not_named": Q(rsvp=Answer.NOT_NAMED.value),  # the unit's 回执 sent others
    "checked_in": Q(checked_in_at__not_isnull=True),
    "late": Q(late=True),
    "expected": EXPECTED,
    # Expected and not checked in: counted only once the meeting has started (`stats`).
    "absent": Q(Q(checked_in_at=None), EXPECTED),
    "substitutes": Q(substitute_for_id__not_isnull=True),
    "reconfirm": Q(reconfirm=True),
}

# Fan-out targets beyond the statuses: everyone, and those whose feed has not got it yet.
TARGETS: dict[str, Q] = {**STATUS, "all": Q(), "undelivered": Q(delivered_at=None)}
