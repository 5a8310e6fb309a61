"""The rule table, quiet hours and the retry delays, without a database."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from push.quiet import quiet_until
from push.rules import RULES, as_message, message_targets, ring_for
from push.sender import MAX_DELAY, backoff
from push.sources import QuietHours

NOTICE = {"notice_id": 5, "kind": "notice", "title": "值班", "urgency": "normal",
          "publisher_id": 1, "requires_confirmation": True}


def test_every_rule_has_a_line_a_collapse_id_and_ids_only() -> None:
    ring = ring_for("approval.pending", {"chain_id": 3, "step_id": 4, "urgency": "critical",
                                         "title": "关于防汛的请示"})
    assert ring is not None and ring.line == "您有一份待签批文件" and ring.urgent
    assert ring.collapse_id == "approval:3:4" and ring.ids == {"chain_id": 3, "step_id": 4}
    assert "关于防汛的请示" not in ring.line


def test_plain_notice_does_not_ring_but_one_to_confirm_does() -> None:
    assert ring_for("notice.published", {**NOTICE, "requires_confirmation": False}) is None
    ring = ring_for("notice.published", NOTICE)
    assert ring is not None and ring.kind == "notice.notice" and not ring.escalate


def test_critical_notice_escalates_and_rings_urgently() -> None:
    ring = ring_for("notice.published", {**NOTICE, "urgency": "critical"})
    assert ring is not None and ring.urgent and ring.escalate == "notice:5" and ring.sender == 1


@pytest.mark.parametrize("changed, rings", [(["starts_at"], True), (["location"], True),
                                            (["body"], False)])
def test_a_meeting_rings_again_when_it_moves(changed: list[str], rings: bool) -> None:
    data = {**NOTICE, "kind": "meeting", "changed": changed, "reconfirm": False}
    assert (ring_for("notice.corrected", data) is not None) is rings


def test_unknown_kinds_and_odd_payloads_ring_nobody() -> None:
    assert ring_for("message.receipts", {}) is None
    assert ring_for("approval.pending", {"chain_id": 1}) is None


def test_withdrawals_share_the_collapse_id() -> None:
    created = ring_for("message.created", {"id": 9, "conversation_id": 2, "sender_id": 1})
    recalled = ring_for("message.recalled", {"id": 9, "conversation_id": 2})
    assert created and recalled and recalled.withdraw
    assert created.collapse_id == recalled.collapse_id == "msg:9"


def test_message_targets_direct_group_mentions_and_mute() -> None:
    members = {1: False, 2: False, 3: True, 4: False}
    direct = message_targets(conversation_kind="direct", members={1: False, 2: False}, sender=1,
                             mentions=(), mention_all=False)
    assert direct == [2]
    assert message_targets(conversation_kind="group", members=members, sender=1,
                           mentions=(2, 3), mention_all=False) == [2]
    assert message_targets(conversation_kind="group", members=members, sender=1,
                           mentions=(), mention_all=True) == [2, 4]
    ring = ring_for("message.created", {"id": 9, "conversation_id": 2, "sender_id": 1})
    assert ring and as_message(ring, conversation_kind="unit").kind == "chat.mention"


def test_rule_table_covers_the_issue() -> None:
    for kind in ("message.created", "message.urged", "approval.pending", "document.delivered",
                 "document.circulation.turn", "notice.published", "notice.corrected",
                 "notice.reminder", "task.assigned", "task.urged", "task.overdue",
                 "task.reminder"):
        assert kind in RULES


BEIJING_NIGHT = QuietHours("22:00", "07:00", "Asia/Shanghai")


def test_quiet_until_overnight_window() -> None:
    late = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    assert quiet_until(BEIJING_NIGHT, late) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    early = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 06:30 the next day
    assert quiet_until(BEIJING_NIGHT, early) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert quiet_until(BEIJING_NIGHT, datetime(2026, 11, 30, 4, 0, tzinfo=UTC)) is None


def test_quiet_until_same_day_window_and_nonsense() -> None:
    lunch = QuietHours("12:00", "14:00", "Asia/Shanghai")
    noon = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # 12:30 in Beijing
    assert quiet_until(lunch, noon) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert quiet_until(QuietHours("12:00", "12:00", "Asia/Shanghai"), noon) is None
    assert quiet_until(QuietHours("12:00", "14:00", "Mars/Base"), noon) is None


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(7)
    delays = [backoff(n, None, rng=rng) for n in range(1, 12)]
    assert 1.0 <= delays[0] <= 2.0 and delays[3] >= 8.0
    assert max(delays) <= MAX_DELAY
    assert backoff(1, 120.0, rng=rng) == 120.0
