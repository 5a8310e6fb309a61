"""Reply shapes of notices: the notice itself, one's own receipt, its files and corrections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.clock import isoformat
from notices.models import Notice, NoticeFile, NoticeRecipient, NoticeRevision
from notices.policy import Kind, alert_for


def _when(moment: Any) -> str | None:
    return isoformat(moment) if moment is not None else None


def meeting_public(notice: Notice) -> dict[str, Any] | None:
    if notice.kind != Kind.MEETING:
        return None
    return {
        "starts_at": _when(notice.starts_at), "ends_at": _when(notice.ends_at),
        "location": notice.location, "online_url": notice.online_url, "agenda": notice.agenda,
        "checkin_opens_minutes": notice.checkin_opens_minutes,
        "late_after_minutes": notice.late_after_minutes,
    }


def notice_public(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id, "kind": notice.kind, "title": notice.title, "body": notice.body,
        "urgency": notice.urgency, "alert": alert_for(notice.urgency), "state": notice.state,
        "publisher_id": notice.publisher_id, "revision": notice.revision,
        "requires_confirmation": notice.requires_confirmation,
        "confirm_deadline": _when(notice.confirm_deadline),
        "rsvp_deadline": _when(notice.rsvp_deadline),
        "remind_before_minutes": notice.remind_before_minutes,
        "meeting": meeting_public(notice), "recipient_count": notice.recipient_count,
        "created_at": _when(notice.created_at), "published_at": _when(notice.published_at),
        "ended_at": _when(notice.ended_at), "end_reason": notice.end_reason,
    }


RECEIPT_FIELDS = (
    "person_id", "unit_id", "delivered_at", "read_at", "confirmed_at", "rsvp", "rsvp_reason",
    "rsvp_at", "reconfirm", "substitute_id", "substitute_for_id", "checked_in_at", "late",
)


def receipt_public(row: NoticeRecipient) -> dict[str, Any]:
    """One's own receipt (回执). The RSVP reason is in it: only its owner and the publisher
    ever get this shape."""
    return receipt_from({name: getattr(row, name) for name in RECEIPT_FIELDS})


def receipt_from(values: Mapping[str, Any]) -> dict[str, Any]:
    """The receipt shape from a row's values (as `QuerySet.values` gives them)."""
    return {name: _when(values[name]) if name.endswith("_at") else values[name]
            for name in RECEIPT_FIELDS}


def revision_public(revision: NoticeRevision) -> dict[str, Any]:
    return {
        "number": revision.number, "changed": revision.changed, "before": revision.before,
        "after": revision.after, "note": revision.note, "reconfirm": revision.reconfirm,
        "at": _when(revision.at),
    }


def file_ref(row: NoticeFile) -> dict[str, Any]:
    return {"id": row.file_id, "name": row.name, "url": f"/v1/files/{row.file_id}"}


async def notice_detail(notice: Notice, receipt: NoticeRecipient | None) -> dict[str, Any]:
    """The notice with its files, its corrections and (when addressed) the caller's receipt."""
    files = await NoticeFile.filter(notice_id=notice.id).order_by("position")
    revisions = await NoticeRevision.filter(notice_id=notice.id).order_by("number")
    return {
        **notice_public(notice), "files": [file_ref(row) for row in files],
        "corrections": [revision_public(r) for r in revisions],
        "receipt": receipt_public(receipt) if receipt else None,
    }
