"""Client methods: Notices and meetings (通知公告/会议通知)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from tongban_client.base import ApiBase

Id = int | str
Json = dict[str, Any]


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _times(values: Mapping[str, Any]) -> dict[str, Any]:
    """Datetimes as ISO 8601 (they must carry an offset); everything else as given."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def audience(
    units: list[Id] | None = None, *, include_subunits: bool = False,
    people: list[Id] | None = None, groups: list[Id] | None = None,
) -> Json:
    """An audience (发送范围): units (with or without sub-units), people and groups."""
    return {"units": list(units or []), "include_subunits": include_subunits,
            "people": list(people or []), "groups": list(groups or [])}


def meeting(
    starts_at: datetime | str, ends_at: datetime | str, *, location: str | None = None,
    online_url: str | None = None, agenda: list[str] | None = None,
    checkin_opens_minutes: int | None = None, late_after_minutes: int | None = None,
) -> Json:
    """Meeting details: when, where (a place or an online link), agenda, check-in rules."""
    return _times(_present(
        starts_at=starts_at, ends_at=ends_at, location=location, online_url=online_url,
        agenda=agenda, checkin_opens_minutes=checkin_opens_minutes,
        late_after_minutes=late_after_minutes,
    ))


class NoticesApi(ApiBase):
    """Notices and meetings (通知公告/会议通知)."""

    async def create_notice(
        self, title: str, body: str, audience: Json, *, kind: str = "notice",
        urgency: str | None = None, requires_confirmation: bool = False,
        confirm_deadline: datetime | str | None = None, meeting: Json | None = None,
        rsvp_deadline: datetime | str | None = None, remind_before_minutes: int | None = None,
        file_ids: list[Id] | None = None, idempotency_key: str | None = None,
    ) -> Json:
        """Send a notice or, with `kind="meeting"` and `meeting`, a meeting call."""
        payload = _times(_present(
            kind=kind, title=title, body=body, audience=audience, urgency=urgency,
            requires_confirmation=requires_confirmation, confirm_deadline=confirm_deadline,
            meeting=meeting, rsvp_deadline=rsvp_deadline,
            remind_before_minutes=remind_before_minutes, file_ids=file_ids,
        ))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return cast(Json, await self.request("POST", "/v1/notices", json=payload,
                                             headers=headers))

    async def create_meeting(self, title: str, body: str, audience: Json, meeting: Json,
                             **options: Any) -> Json:
        return await self.create_notice(title, body, audience, kind="meeting", meeting=meeting,
                                        **options)

    async def list_notices(self, box: str = "inbox", limit: int | None = None,
                           cursor: str | None = None) -> Json:
        """`box="inbox"` (addressed to me, with my receipt) or `"sent"` (published by me)."""
        params = _present(box=box, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/notices", params=params)

    async def get_notice(self, notice_id: Id) -> Json:
        return await self._object("GET", f"/v1/notices/{notice_id}")

    async def read_notice(self, notice_id: Id) -> Json:
        return await self._object("POST", f"/v1/notices/{notice_id}/read")

    async def confirm_notice(self, notice_id: Id) -> Json:
        """Confirm receipt (确认收到)."""
        return await self._object("POST", f"/v1/notices/{notice_id}/confirm")

    async def rsvp(self, notice_id: Id, answer: str, reason: str | None = None,
                   substitute_id: Id | None = None) -> Json:
        """Answer a meeting call: `attend`, `decline` (with a reason) or `substitute`."""
        body = _present(answer=answer, reason=reason, substitute_id=substitute_id)
        return await self._object("POST", f"/v1/notices/{notice_id}/rsvp", body)

    async def reply_for_unit(self, notice_id: Id, unit_id: Id, attendees: list[Id],
                             note: str = "") -> Json:
        """单位回执: the unit's contact names who attends for the unit (anyone of it)."""
        return await self._object("PUT", f"/v1/notices/{notice_id}/units/{unit_id}/reply",
                                  {"attendees": list(attendees), "note": note})

    async def unit_reply(self, notice_id: Id, unit_id: Id) -> Json:
        """A unit's 回执 (its contact, or the publisher)."""
        return await self._object("GET", f"/v1/notices/{notice_id}/units/{unit_id}/reply")

    async def check_in(self, notice_id: Id, code: str) -> Json:
        """Check in (签到) with the code shown on the organiser's device."""
        return await self._object("POST", f"/v1/notices/{notice_id}/checkin", {"code": code})

    async def checkin_code(self, notice_id: Id) -> Json:
        """Organiser: the current rotating check-in code and when it turns."""
        return await self._object("GET", f"/v1/notices/{notice_id}/checkin-code")

    async def correct_notice(self, notice_id: Id, note: str, **changes: Any) -> Json:
        """Publisher: correct (更正) `title`, `body`, `file_ids`, deadlines or `meeting`."""
        body = {"note": note, **_times(changes)}
        if isinstance(body.get("meeting"), Mapping):
            body["meeting"] = _times(body["meeting"])
        return await self._object("POST", f"/v1/notices/{notice_id}/corrections", body)

    async def change_meeting(self, notice_id: Id, note: str, **meeting: Any) -> Json:
        """Publisher: move a meeting in time (attendees are asked to confirm again) or place
        (they are told; their confirmations and answers stay)."""
        return await self.correct_notice(notice_id, note, meeting=_times(meeting))

    async def withdraw_notice(self, notice_id: Id, reason: str) -> Json:
        """Publisher: withdraw (撤回); recipients are told and it leaves their lists."""
        return await self._object("POST", f"/v1/notices/{notice_id}/withdraw", {"reason": reason})

    async def cancel_meeting(self, notice_id: Id, reason: str) -> Json:
        return await self._object("POST", f"/v1/notices/{notice_id}/cancel", {"reason": reason})

    async def remind_notice(self, notice_id: Id, target: str | None = None) -> Json:
        """Publisher: remind those who owe an answer (at most once per 5 minutes)."""
        return await self._object("POST", f"/v1/notices/{notice_id}/remind",
                                  _present(target=target))

    async def notice_stats(self, notice_id: Id, unit_id: Id | None = None) -> Json:
        """Publisher: totals, counts per unit, and lists of people per unit and status."""
        return await self._object("GET", f"/v1/notices/{notice_id}/stats",
                                  params=_present(unit_id=unit_id))

    async def notice_recipients(
        self, notice_id: Id, status: str | None = None, unit_id: Id | None = None,
        limit: int | None = None, cursor: str | None = None,
    ) -> Json:
        params = _present(status=status, unit_id=unit_id, limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/notices/{notice_id}/recipients", params=params)

    async def export_notice_stats(self, notice_id: Id) -> bytes:
        """Publisher: every receipt as CSV (UTF-8 with BOM)."""
        return cast(bytes, await self.request("GET", f"/v1/notices/{notice_id}/stats.csv"))
