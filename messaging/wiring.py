"""What messaging contributes at start-up: feed audiences, a refresh kind, file references."""

from __future__ import annotations

from core.feed import REFRESH_KINDS, register_audience_resolver
from files.access import register_reference
from messaging.events import MEMBERSHIP_CHANGED
from messaging.membership import audiences_for, may_read_attachment


def wire() -> None:
    """Members hear `conv:{id}`; joining or leaving re-reads audiences at once; members of a
    conversation may download the files attached to its messages."""
    register_audience_resolver(audiences_for)
    REFRESH_KINDS.add(MEMBERSHIP_CHANGED)
    register_reference(may_read_attachment)
