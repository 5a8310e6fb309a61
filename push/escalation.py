"""Escalation of 特急 items by SMS (消息必达): a 特急 document to sign for or a 特急 notice or
meeting call still unconfirmed after `TONGBAN_PUSH_ESCALATE_MINUTES` reaches its people by text.

The follower records who was asked (one `push_escalation` row per person and record, so at most
one SMS each, ever) and schedules one job per record. The job asks the record's package who has
still not confirmed (`push.sources.register_pending`), and texts them within two limits against
escalation storms (反形式主义): so many a day per person, and so many a day per sender. Each SMS,
and each one a limit held back, is audited; the text is generic (no title leaves by SMS).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from core.clock import utcnow
from core.models import Job
from core.scheduler import register_job, schedule
from core.tx import atomic
from push.models import PushEscalation, PushSettings
from push.providers.base import Outcome
from push.sms import SmsSender
from push.sources import sources

log = logging.getLogger(__name__)
JOB = "push.escalate"
TEXTS = {"notice": "【通办】您有一条特急通知尚未确认，请尽快打开通办处理。",
         "document": "【通办】您有一份特急公文尚未签收，请尽快打开通办处理。"}
DAY = timedelta(days=1)


async def note_escalations(items: list[tuple[str, int, int | None]], *, after: timedelta) -> None:
    """Inside the follower's transaction: who a 特急 record asked, and one job per record."""
    if not items:
        return
    now = utcnow()
    await PushEscalation.bulk_create(
        [PushEscalation(record=record, person_id=person, sender_id=sender, outcome="scheduled",
                        at=now) for record, person, sender in items],
        ignore_conflicts=True)
    for record in sorted({record for record, _, _ in items}):
        if not await Job.exists(key=f"{JOB}:{record}"):
            await schedule(JOB, key=f"{JOB}:{record}", due_at=now + after,
                           payload={"record": record})


class Escalator:
    def __init__(self, sms: SmsSender, *, per_person: int, per_sender: int) -> None:
        self.sms, self.per_person, self.per_sender = sms, per_person, per_sender

    def install(self) -> None:
        register_job(JOB, self.run)

    async def run(self, payload: dict[str, Any]) -> None:
        record = str(payload["record"])
        waiting = await PushEscalation.filter(record=record, outcome="scheduled")
        pending = await _still_pending(record, [row.person_id for row in waiting])
        for row in waiting:
            # Claimed before the text goes: a crash mid-send leaves `sending`, never a second SMS.
            if not await PushEscalation.filter(id=row.id, outcome="scheduled").update(
                    outcome="sending"):
                continue
            outcome = await self._one(row) if row.person_id in pending else ("confirmed", None)
            await _settle(row, *outcome)

    async def _one(self, row: PushEscalation) -> tuple[str, str | None]:
        if await self._limited(row):
            return "limited", "daily SMS limit reached"
        own = await PushSettings.get_or_none(person_id=row.person_id)
        if own is None or not own.sms_phone:
            return "no_phone", "no mobile number in the person's push settings"
        kind = row.record.split(":", 1)[0]
        result: Outcome = await self.sms.send(own.sms_phone, TEXTS.get(kind, TEXTS["notice"]))
        return ("sent", None) if result.verdict == "sent" else ("failed", result.reason[:300])

    async def _limited(self, row: PushEscalation) -> bool:
        since = utcnow() - DAY
        mine = await PushEscalation.filter(person_id=row.person_id, outcome="sent",
                                           at__gte=since).count()
        if mine >= self.per_person:
            return True
        if row.sender_id is None:
            return False
        theirs = await PushEscalation.filter(sender_id=row.sender_id, outcome="sent",
                                             at__gte=since).count()
        return theirs >= self.per_sender


async def _still_pending(record: str, people: list[int]) -> set[int]:
    kind, _, record_id = record.partition(":")
    lookup = (sources.pending or {}).get(kind)
    if lookup is None or not people:
        return set()
    return await lookup(int(record_id), people)


async def _settle(row: PushEscalation, outcome: str, reason: str | None) -> None:
    """Record the outcome with its audit entry (the phone number is in neither)."""
    async with atomic() as work:
        changed = await PushEscalation.filter(id=row.id, outcome="sending").update(
            outcome=outcome, reason=reason, at=utcnow())
        if changed and outcome != "confirmed":
            work.audit("push.escalate", "person", row.person_id, record=row.record,
                       outcome=outcome, reason=reason)
