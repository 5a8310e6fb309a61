"""What the publisher changes after sending: corrections (更正), meetings moved in time or place,
withdrawal (撤回) and cancellation of a meeting (会议取消).

Each tells every recipient again, in the same transaction for a few hundred and through the
fan-out job for more (`notices.fanout`). A meeting moved in time resets confirmations and asks
those who said they would attend to answer again; a new room or link keeps them
(`policy.needs_reconfirmation`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from core.clock import isoformat, utcnow
from core.errors import Conflict, Unprocessable, field_error
from core.tx import Work, atomic
from directory.auth import Actor
from files.queries import claim_files
from notices.events import CANCELLED, CORRECTED, WITHDRAWN, corrected_payload, ended_payload, user
from notices.fanout import notify_recipients
from notices.models import Notice, NoticeFile, NoticeRecipient, NoticeRevision
from notices.policy import Answer, Kind, State, needs_reconfirmation
from notices.reminders import cancel_reminders, schedule_reminders
from notices.schemas import CorrectionIn

MEETING_FIELDS = ("starts_at", "ends_at", "location", "online_url", "agenda")
REQUIRED = ("title", "body", "starts_at", "ends_at", "agenda")  # may change, never be removed
SHORT_FIELDS = ("title", "confirm_deadline", "rsvp_deadline", "starts_at", "ends_at",
                "location", "online_url")  # carried in events; long ones only named there


def _plain(value: Any) -> Any:
    return isoformat(value) if isinstance(value, datetime) else value


def proposed_changes(notice: Notice, change: CorrectionIn) -> dict[str, Any]:
    """The notice's fields that the correction really changes, with their new values."""
    given = change.model_dump(exclude_unset=True, exclude={"note", "file_ids", "meeting"})
    if change.meeting is not None:
        if notice.kind != Kind.MEETING:
            raise _invalid(["meeting"], "Only a meeting has a time and place to change.")
        given |= change.meeting.model_dump(exclude_unset=True)
    emptied = sorted(name for name in REQUIRED if name in given and given[name] is None)
    if emptied:
        raise _invalid([emptied[0]], f"{emptied[0]} cannot be removed, only changed.")
    return {name: value for name, value in given.items()
            if _plain(value) != _plain(getattr(notice, name))}


def _invalid(loc: list[str | int], msg: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error(loc, msg, "invalid_change")])


def check_result(notice: Notice, changes: dict[str, Any], now: datetime) -> None:
    """The notice as it would be after the change must still make sense."""
    after = {name: changes.get(name, getattr(notice, name))
             for name in ("confirm_deadline", "rsvp_deadline", *MEETING_FIELDS)}
    if "confirm_deadline" in changes and not notice.requires_confirmation:
        raise _invalid(["confirm_deadline"], "This notice asks for no confirmation.")
    if "rsvp_deadline" in changes and notice.kind != Kind.MEETING:
        raise _invalid(["rsvp_deadline"], "Only a meeting takes an rsvp_deadline.")
    for name in ("confirm_deadline", "rsvp_deadline", "starts_at"):
        if name in changes and changes[name] is not None and changes[name] <= now:
            raise _invalid([name], f"{name} must be in the future.")
    if notice.kind == Kind.MEETING:
        _check_meeting(after)


def _check_meeting(after: dict[str, Any]) -> None:
    if after["ends_at"] <= after["starts_at"]:
        raise _invalid(["meeting", "ends_at"], "ends_at must be after starts_at.")
    if not (after["location"] or after["online_url"]):
        raise _invalid(["meeting"], "Give a location or an online_url.")
    if after["rsvp_deadline"] and after["rsvp_deadline"] > after["starts_at"]:
        raise _invalid(["rsvp_deadline"], "rsvp_deadline must not be after the meeting starts.")


async def do_correct_notice(notice: Notice, *, actor: Actor, change: CorrectionIn) -> Notice:
    """Correct a published notice or move a meeting (publisher only); records what changed.

    Emits `notice.corrected` (with what changed, and `reconfirm` when a meeting moved in time)
    to every recipient and to the publisher. A change of time resets everyone's confirmation
    and turns `attend` answers back into open ones marked `reconfirm`; a change of room or link
    keeps them.
    """
    _require_published(notice)
    changes = proposed_changes(notice, change)
    check_result(notice, changes, utcnow())
    files = await _new_files(notice, actor, change.file_ids)
    if not changes and files is None:
        raise Unprocessable("The correction changes nothing.", slug="nothing-changed")
    changed = [*changes, *(["file_ids"] if files is not None else [])]
    async with atomic() as work:
        await _bump(notice, changes)
        before = await _apply(notice, changes, files)
        revision = await _record_revision(notice, actor, changed, before, change.note)
        if revision.reconfirm:
            await _ask_again(notice)
        await schedule_reminders(notice)
        await _announce(work, notice, revision)
    return notice


def _require_published(notice: Notice) -> None:
    if notice.state != State.PUBLISHED:
        raise Conflict(f"This notice is {notice.state}.", slug=f"notice-{notice.state}")


async def _new_files(notice: Notice, actor: Actor, file_ids: list[int] | None) -> list[Any] | None:
    """The new attachment list, or None when it stays as it is."""
    if file_ids is None:
        return None
    current = await NoticeFile.filter(notice_id=notice.id).order_by("position")\
        .values_list("file_id", flat=True)
    if cast(list[int], current) == file_ids:
        return None
    return await claim_files(actor, file_ids)


async def _bump(notice: Notice, changes: dict[str, Any]) -> None:
    bumped = await Notice.filter(
        id=notice.id, revision=notice.revision, state=State.PUBLISHED.value
    ).update(revision=notice.revision + 1, **changes)
    if not bumped:
        raise Conflict("The notice changed meanwhile; look again.", slug="notice-changed")


async def _apply(notice: Notice, changes: dict[str, Any], files: list[Any] | None
                 ) -> dict[str, Any]:
    """Apply the changes to the in-memory notice (and its files); the old values."""
    before = {name: _plain(getattr(notice, name)) for name in changes}
    if files is not None:
        before["file_ids"] = list(await NoticeFile.filter(notice_id=notice.id)
                                  .order_by("position").values_list("file_id", flat=True))
        await NoticeFile.filter(notice_id=notice.id).delete()
        await NoticeFile.bulk_create([NoticeFile(notice_id=notice.id, file_id=f.id, name=f.name,
                                                 position=n) for n, f in enumerate(files)])
    for name, value in changes.items():
        setattr(notice, name, value)
    notice.revision += 1
    return before


async def _record_revision(
    notice: Notice, actor: Actor, changed: list[str], before: dict[str, Any], note: str
) -> NoticeRevision:
    after = {name: _plain(getattr(notice, name)) for name in changed if name != "file_ids"}
    if "file_ids" in changed:
        after["file_ids"] = list(await NoticeFile.filter(notice_id=notice.id)
                                 .order_by("position").values_list("file_id", flat=True))
    reconfirm = notice.kind == Kind.MEETING and needs_reconfirmation(changed)
    return await NoticeRevision.create(
        notice_id=notice.id, number=notice.revision, changed=changed, before=before,
        after=after, note=note, reconfirm=reconfirm, author_id=actor.id, at=utcnow(),
    )


async def _ask_again(notice: Notice) -> None:
    """Everyone confirms again, and those who said they would attend answer again."""
    await NoticeRecipient.filter(notice_id=notice.id).update(confirmed_at=None)
    await NoticeRecipient.filter(notice_id=notice.id, rsvp=Answer.ATTEND.value).update(
        rsvp=None, rsvp_at=None, reconfirm=True
    )


async def _announce(work: Work, notice: Notice, revision: NoticeRevision) -> None:
    short = set(SHORT_FIELDS)
    payload = corrected_payload(
        notice, changed=revision.changed, note=revision.note, reconfirm=revision.reconfirm,
        before={k: v for k, v in revision.before.items() if k in short},
        after={k: v for k, v in revision.after.items() if k in short},
    )
    await notify_recipients(work, notice, CORRECTED, payload)
    work.emit(CORRECTED, user(notice.publisher_id), payload)
    work.audit("notice.correct", "notice", notice.id, revision=revision.number,
               changed=revision.changed, reconfirm=revision.reconfirm)


async def do_withdraw_notice(notice: Notice, *, actor: Actor, reason: str) -> Notice:
    """Withdraw (撤回) a published notice or meeting call (publisher only).

    It disappears from recipients' lists and reads (404 from then on). Emits
    `notice.withdrawn` with the reason to every recipient and to the publisher.
    """
    return await _end(notice, state=State.WITHDRAWN, kind=WITHDRAWN, reason=reason)


async def do_cancel_meeting(notice: Notice, *, actor: Actor, reason: str) -> Notice:
    """Cancel (取消) a meeting (publisher only). It stays in recipients' lists, marked
    cancelled. Emits `notice.cancelled` to every recipient and to the publisher."""
    if notice.kind != Kind.MEETING:
        raise Conflict("Only a meeting can be cancelled; withdraw a notice instead.",
                       slug="not-a-meeting")
    return await _end(notice, state=State.CANCELLED, kind=CANCELLED, reason=reason)


async def _end(notice: Notice, *, state: State, kind: str, reason: str) -> Notice:
    _require_published(notice)
    now = utcnow()
    async with atomic() as work:
        ended = await Notice.filter(id=notice.id, state=State.PUBLISHED.value).update(
            state=state.value, ended_at=now, end_reason=reason
        )
        if not ended:
            raise Conflict("The notice changed meanwhile; look again.", slug="notice-changed")
        notice.state, notice.ended_at, notice.end_reason = state.value, now, reason
        await cancel_reminders(notice)
        payload = ended_payload(notice, reason)
        await notify_recipients(work, notice, kind, payload)
        work.emit(kind, user(notice.publisher_id), payload)
        work.audit(f"notice.{state.value}", "notice", notice.id, reason=reason)
    return notice
