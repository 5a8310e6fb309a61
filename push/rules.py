"""What rings (推送规则): the one table from a feed event to the phones it should wake.

Each rule says, for one event kind, which rule kind (category) the push carries, the generic
lock-screen line, whether it is urgent (特急/加急/sender-marked: rings through quiet hours), the
collapse id (a later push for the same record, or its withdrawal, replaces the earlier one) and
the record ids the app opens. Pure: no database. `push.follower` resolves the people.

Who is rung: the people of the event's `user:` audience, except the person who acted (`by`);
for messages (`conv:` audience) the other member of a direct chat and, in groups, only those
mentioned (or everyone on @all). Plain group chatter does not ring; a muted conversation never
rings (an urge, 加急, is a person's explicit call and rings through mute, as messaging promises).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

URGENT_LEVELS = ("urgent", "critical")  # 急件, 特急
CRITICAL = "critical"  # 特急: also escalated by SMS when left unconfirmed (消息必达)
MEETING_MOVES = ("starts_at", "ends_at", "location", "online_url")


@dataclass(frozen=True)
class Ring:
    """One push decided for an event: to `people` (None: the event's user audience)."""

    kind: str
    line: str
    collapse_id: str
    ids: dict[str, int]
    urgent: bool = False
    withdraw: bool = False
    conversation: int | None = None  # resolve people from this conversation (messages)
    mentions: tuple[int, ...] = ()
    mention_all: bool = False
    people: tuple[int, ...] | None = None
    # An event sent to several people is one feed row each: act on this person's copy only.
    copy_of: int | None = None
    escalate: str = ""  # 特急 asking for confirmation: the record (`notice:5`) to escalate by SMS
    sender: int | None = None  # whose item it is (escalation limits per sender)
    preview: dict[str, str] = field(default_factory=dict)  # title/body, sent only if allowed


Data = dict[str, Any]
RuleFn = Callable[[Data], Ring | None]


def actor_of(data: Data) -> int | None:
    """Who caused the event (never rung for their own act)."""
    for key in ("by", "sender_id"):
        if isinstance(data.get(key), int):
            return int(data[key])
    return None


def _urgent(level: object) -> bool:
    return level in URGENT_LEVELS


# -- messaging ---------------------------------------------------------------------------------

def message_created(data: Data) -> Ring:
    return Ring(
        kind="chat.message", line="您有一条新消息", collapse_id=f"msg:{data['id']}",
        ids={"conversation_id": data["conversation_id"], "message_id": data["id"]},
        conversation=int(data["conversation_id"]), mentions=tuple(data.get("mentions") or ()),
        mention_all=bool(data.get("mention_all")), preview={"body": str(data.get("body") or "")},
    )


def message_recalled(data: Data) -> Ring:
    return Ring(kind="chat.message", line="", collapse_id=f"msg:{data['id']}", withdraw=True,
                ids={"conversation_id": data["conversation_id"], "message_id": data["id"]},
                conversation=int(data["conversation_id"]))


def message_urged(data: Data) -> Ring:
    return Ring(kind="chat.urge", line="您有一条加急消息", urgent=True,
                collapse_id=f"msg:{data['message_id']}",
                ids={"conversation_id": data["conversation_id"], "message_id": data["message_id"]})


# -- approvals (签批) -------------------------------------------------------------------------

def _step_collapse(data: Data) -> str:
    return f"approval:{data['chain_id']}:{data['step_id']}"


def approval_pending(data: Data) -> Ring:
    return Ring(kind="approval.pending", line="您有一份待签批文件", urgent=_urgent(data.get("urgency")),
                collapse_id=_step_collapse(data),
                ids={"chain_id": data["chain_id"], "step_id": data["step_id"]},
                preview={"title": str(data.get("title") or "")})


def approval_closed(data: Data) -> Ring:
    """A seat closed without this person (`approval.cancelled`): withdraw their push."""
    return Ring(kind="approval.pending", line="", collapse_id=_step_collapse(data), withdraw=True,
                ids={"chain_id": data["chain_id"], "step_id": data["step_id"]})


def approval_decided(data: Data) -> Ring:
    """Decided (perhaps on another phone): the decider's own push is withdrawn everywhere."""
    return Ring(kind="approval.pending", line="", collapse_id=_step_collapse(data), withdraw=True,
                ids={"chain_id": data["chain_id"], "step_id": data["step_id"]},
                people=(int(data["person_id"]),), copy_of=int(data["initiator_id"]))


def approval_reminded(data: Data) -> Ring:
    return Ring(kind="approval.reminder", line="您有一份签批件被催办", urgent=_urgent(data.get("urgency")),
                collapse_id=f"approval:{data['chain_id']}:remind", ids={"chain_id": data["chain_id"]},
                preview={"title": str(data.get("title") or "")})


def approval_returned(data: Data) -> Ring:
    return Ring(kind="approval.returned", line="您发起的签批件被退回",
                collapse_id=f"approval:{data['chain_id']}:result",
                ids={"chain_id": data["chain_id"]}, people=(int(data["initiator_id"]),),
                copy_of=int(data["initiator_id"]),
                preview={"title": str(data.get("title") or "")})


# -- documents (公文) -------------------------------------------------------------------------

def _document(kind: str, line: str, collapse: str, *, escalate: bool = False) -> RuleFn:
    def rule(data: Data) -> Ring:
        level = data.get("document", {}).get("urgency")
        ids = {"document_id": data["document_id"]}
        if "circulation_id" in data:
            ids["circulation_id"] = data["circulation_id"]
        return Ring(kind=kind, line=line, urgent=_urgent(level), ids=ids,
                    collapse_id=f"document:{data['document_id']}:{collapse}",
                    escalate=f"document:{data['document_id']}" if escalate and level == CRITICAL
                    else "", sender=actor_of(data),
                    preview={"title": str(data.get("document", {}).get("title") or "")})
    return rule


# -- notices and meetings -----------------------------------------------------------------------

def _notice_ring(data: Data, line: str, *, escalate: bool = False) -> Ring:
    return Ring(kind=f"notice.{data['kind']}", line=line, urgent=_urgent(data.get("urgency")),
                collapse_id=f"notice:{data['notice_id']}", ids={"notice_id": data["notice_id"]},
                escalate=f"notice:{data['notice_id']}" if escalate else "",
                sender=data.get("publisher_id"), preview={"title": str(data.get("title") or "")})


def _asks_confirmation(data: Data) -> bool:
    return bool(data.get("requires_confirmation")) or data.get("kind") == "meeting"


def notice_published(data: Data) -> Ring | None:
    """A meeting call always rings; a notice only when it asks to be confirmed (确认收到)."""
    if not _asks_confirmation(data):
        return None
    line = "您有一个会议通知" if data["kind"] == "meeting" else "您有一条待确认的通知"
    return _notice_ring(data, line, escalate=data.get("urgency") == CRITICAL)


def notice_corrected(data: Data) -> Ring | None:
    moved = any(name in MEETING_MOVES for name in data.get("changed", ()))
    if data.get("kind") == "meeting" and (moved or data.get("reconfirm")):
        return _notice_ring(data, "会议时间或地点有变更")
    if data.get("kind") != "meeting" and data.get("requires_confirmation"):
        return _notice_ring(data, "您有一条通知已更正")
    return None


def notice_reminder(data: Data) -> Ring | None:
    if not _asks_confirmation(data):
        return None
    line = "会议提醒" if data["kind"] == "meeting" else "通知确认提醒"
    return _notice_ring(data, line)


def notice_cancelled(data: Data) -> Ring:
    return Ring(kind="notice.meeting", line="会议已取消", collapse_id=f"notice:{data['notice_id']}",
                ids={"notice_id": data["notice_id"]}, urgent=bool(data.get("alert")))


def notice_gone(data: Data) -> Ring:
    return Ring(kind=f"notice.{data.get('kind', 'notice')}", line="", withdraw=True,
                collapse_id=f"notice:{data['notice_id']}", ids={"notice_id": data["notice_id"]})


def notice_receipt(data: Data) -> Ring | None:
    """Confirmed (perhaps on another phone): the push for it goes away on every device."""
    if not data.get("confirmed_at"):
        return None
    person = int(data["person_id"])
    return Ring(kind="notice.notice", line="", withdraw=True, people=(person,), copy_of=person,
                collapse_id=f"notice:{data['notice_id']}", ids={"notice_id": data["notice_id"]})


# -- supervision (督办) -----------------------------------------------------------------------

def _task(kind: str, line: str, *, urgent: bool = False) -> RuleFn:
    def rule(data: Data) -> Ring:
        task = data["task"]
        return Ring(kind=kind, line=line, collapse_id=f"task:{task['id']}",
                    urgent=urgent or task.get("priority") == "urgent", ids={"task_id": task["id"]},
                    preview={"title": str(task.get("title") or "")})
    return rule


RULES: dict[str, RuleFn] = {
    "message.created": message_created,
    "message.recalled": message_recalled,
    "message.urged": message_urged,
    "approval.pending": approval_pending,
    "approval.cancelled": approval_closed,
    "approval.decided": approval_decided,
    "approval.reminded": approval_reminded,
    "approval.returned": approval_returned,
    "document.delivered": _document("document.to_receive", "您有一份待签收公文", "receive",
                                    escalate=True),
    "document.assigned": _document("document.to_handle", "您有一份待办理公文", "handle"),
    "document.circulation.turn": _document("document.to_read", "您有一份待阅文件", "read"),
    "document.circulation.reminded": _document("document.to_read", "您有一份文件被催阅", "read"),
    "notice.published": notice_published,
    "notice.corrected": notice_corrected,
    "notice.reminder": notice_reminder,
    "notice.cancelled": notice_cancelled,
    "notice.withdrawn": notice_gone,
    "notice.receipt": notice_receipt,
    "task.assigned": _task("task.assigned", "您有一项新的督办任务"),
    "task.urged": _task("task.urged", "您有一项督办任务被催办", urgent=True),
    "task.reminder": _task("task.reminder", "您有一项督办任务即将到期"),
    "task.overdue": _task("task.overdue", "您督办的任务已超期"),
}

# Kinds the follower reads for the state it keeps, not to ring anyone.
DETACH_KINDS = ("session.revoked", "device.revoked")


def ring_for(kind: str, data: Data) -> Ring | None:
    """The push an event of `kind` asks for, or None (it does not ring)."""
    rule = RULES.get(kind)
    if rule is None:
        return None
    try:
        return rule(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a payload this rule does not understand rings nobody rather than crash


def message_targets(*, conversation_kind: str, members: dict[int, bool], sender: int | None,
                    mentions: tuple[int, ...], mention_all: bool) -> list[int]:
    """Who a message rings: `members` maps each member to whether they muted the conversation."""
    if conversation_kind == "direct" or mention_all:
        chosen = set(members)
    else:
        chosen = set(mentions) & set(members)
    return sorted(pid for pid in chosen if pid != sender and not members[pid])


def as_message(ring: Ring, *, conversation_kind: str) -> Ring:
    """A message rings as a direct message (单聊) or, in a group, as a mention (@ / @all)."""
    if conversation_kind == "direct":
        return replace(ring, kind="chat.direct", line="您有一条新消息")
    return replace(ring, kind="chat.mention", line="有人在群聊中@了您")
