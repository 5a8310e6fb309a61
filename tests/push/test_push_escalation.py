"""SMS escalation of 特急 items (消息必达): once, only to those still unconfirmed, audited, within
the per-person and per-sender limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from conftest import Org, Server
from fakes import FakeSms
from push_helpers import MakePhone, Phone, fake_gateway, fake_sms, phones, settled
from tongban_client.notices import audience

from core.clock import clock
from core.models import AuditEntry
from core.scheduler import Scheduler
from push.models import PushEscalation

__all__ = ["fake_gateway", "fake_sms", "phones"]


@asynccontextmanager
async def _later(minutes: float) -> AsyncIterator[None]:
    clock.advance(timedelta(minutes=minutes))
    try:
        yield
    finally:
        clock.offset = timedelta(0)


async def _run_jobs_twice() -> None:
    """Two schedulers, as two server processes: the job runs once."""
    await Scheduler(owner="process-a").run_due()
    await Scheduler(owner="process-b").run_due()


async def _critical_notice(clerk: Phone, *people: Phone) -> int:
    notice = await clerk.client.create_notice(
        "特急：防汛紧急通知", "立即到岗", audience(people=[p.id for p in people]),
        urgency="critical", requires_confirmation=True)
    await settled()
    return int(notice["id"])


def _texts(fake: FakeSms) -> list[tuple[str, str]]:
    return [(got.body["phone"], got.body["text"]) for got in fake.script.received]


async def test_unconfirmed_critical_notice_escalates_by_sms_once(
        phones: MakePhone, org: Org, fake_sms: FakeSms) -> None:
    clerk = await phones(org.county, ["clerk"])
    late, prompt, no_phone = [await phones(org.county) for _ in range(3)]
    await late.client.set_push_settings(sms_phone="13900000001")
    await prompt.client.set_push_settings(sms_phone="13900000002")
    before = len(fake_sms.script.received)
    notice_id = await _critical_notice(clerk, late, prompt, no_phone)
    assert [p["prio"] for p in await late.wait(1)] == ["high"]  # 特急 rings at once, loudly
    await prompt.client.confirm_notice(notice_id)
    async with _later(31):
        await _run_jobs_twice()
        await _run_jobs_twice()
    sent = _texts(fake_sms)[before:]
    assert [phone for phone, _ in sent] == ["13900000001"]
    assert "防汛" not in sent[0][1]  # a generic text: no title by SMS
    outcomes = {row.person_id: row.outcome for row in
                await PushEscalation.filter(record=f"notice:{notice_id}")}
    assert outcomes == {late.id: "sent", prompt.id: "confirmed", no_phone.id: "no_phone"}
    [audited] = await AuditEntry.filter(action="push.escalate", record_id=str(late.id))
    assert f"notice:{notice_id}" in audited.detail and "13900000001" not in audited.detail


async def test_escalation_stops_at_the_per_person_limit(
        server: Server, phones: MakePhone, org: Org, fake_sms: FakeSms) -> None:
    escalator = server.app.state.push.escalator
    clerk = await phones(org.county, ["clerk"])
    person = await phones(org.county)
    await person.client.set_push_settings(sms_phone="13900000003")
    before, escalator.per_person = escalator.per_person, 1
    try:
        first = await _critical_notice(clerk, person)
        second = await _critical_notice(clerk, person)
        async with _later(31):
            await _run_jobs_twice()
    finally:
        escalator.per_person = before
    outcomes = {row.record: row.outcome for row in
                await PushEscalation.filter(person_id=person.id)}
    assert sorted(outcomes.values()) == ["limited", "sent"]
    assert set(outcomes) == {f"notice:{first}", f"notice:{second}"}


async def test_escalation_stops_at_the_per_sender_limit(
        server: Server, phones: MakePhone, org: Org, fake_sms: FakeSms) -> None:
    escalator = server.app.state.push.escalator
    clerk = await phones(org.county, ["clerk"])
    people = [await phones(org.county) for _ in range(3)]
    for n, person in enumerate(people):
        await person.client.set_push_settings(sms_phone=f"1390000010{n}")
    before, escalator.per_sender = escalator.per_sender, 2
    try:
        notice_id = await _critical_notice(clerk, *people)
        async with _later(31):
            await _run_jobs_twice()
    finally:
        escalator.per_sender = before
    outcomes = [row.outcome for row in await PushEscalation.filter(record=f"notice:{notice_id}")]
    assert sorted(outcomes) == ["limited", "sent", "sent"]


async def test_an_urgent_but_not_critical_notice_is_not_escalated(
        phones: MakePhone, org: Org, fake_sms: FakeSms) -> None:
    clerk = await phones(org.county, ["clerk"])
    person = await phones(org.county)
    notice = await clerk.client.create_notice(
        "急件通知", "请确认", audience(people=[person.id]), urgency="urgent",
        requires_confirmation=True)
    await settled()
    assert not await PushEscalation.exists(record=f"notice:{notice['id']}")
