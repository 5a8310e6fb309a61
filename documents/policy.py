"""The words and rules of official documents (公文) that need no database.

Anchors: the 党政机关公文处理工作条例 (2012) for the steps, GB/T 9704-2012 for the elements.
Values on the wire are English words; the Chinese terms are accepted on input as aliases and
returned next to them as labels.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from core.errors import Conflict, Unprocessable, field_error

CHINA = timezone(timedelta(hours=8), "CST")  # the year of a number is the year in Beijing


class Direction(StrEnum):
    OUTGOING = "outgoing"  # 发文
    INCOMING = "incoming"  # 收文


class DocType(StrEnum):
    """The 15 kinds of 公文 (条例 第八条)."""

    RESOLUTION = "resolution"  # 决议
    DECISION = "decision"  # 决定
    ORDER = "order"  # 命令(令)
    COMMUNIQUE = "communique"  # 公报
    ANNOUNCEMENT = "announcement"  # 公告
    PUBLIC_NOTICE = "public_notice"  # 通告
    OPINION = "opinion"  # 意见
    NOTICE = "notice"  # 通知
    BULLETIN = "bulletin"  # 通报
    REPORT = "report"  # 报告
    REQUEST = "request"  # 请示
    REPLY = "reply"  # 批复
    MOTION = "motion"  # 议案
    LETTER = "letter"  # 函
    MINUTES = "minutes"  # 纪要


TYPE_LABELS = {
    DocType.RESOLUTION: "决议", DocType.DECISION: "决定", DocType.ORDER: "命令(令)",
    DocType.COMMUNIQUE: "公报", DocType.ANNOUNCEMENT: "公告", DocType.PUBLIC_NOTICE: "通告",
    DocType.OPINION: "意见", DocType.NOTICE: "通知", DocType.BULLETIN: "通报",
    DocType.REPORT: "报告", DocType.REQUEST: "请示", DocType.REPLY: "批复",
    DocType.MOTION: "议案", DocType.LETTER: "函", DocType.MINUTES: "纪要",
}
# Upward documents (上行文) carry the name of their 签发人 in the header (GB/T 9704 7.2.4).
UPWARD = frozenset({DocType.REQUEST, DocType.REPORT})


class Urgency(StrEnum):
    """紧急程度; the same words as sign-off chains use."""

    NORMAL = "normal"  # 平件
    URGENT = "urgent"  # 加急
    CRITICAL = "critical"  # 特急


URGENCY_LABELS = {Urgency.NORMAL: "平件", Urgency.URGENT: "加急", Urgency.CRITICAL: "特急"}


class Secrecy(StrEnum):
    """密级. Tongban carries non-classified documents only; 内部 limits them to recipients."""

    NONE = "none"  # 无
    INTERNAL = "internal"  # 内部


SECRECY_LABELS = {Secrecy.NONE: "无", Secrecy.INTERNAL: "内部"}
CLASSIFIED = {"secret": "秘密", "confidential": "机密", "top_secret": "绝密"}

ALIASES: dict[str, dict[str, str]] = {
    "doc_type": {label: code.value for code, label in TYPE_LABELS.items()} | {"命令": "order",
                                                                             "令": "order"},
    "urgency": {label: code.value for code, label in URGENCY_LABELS.items()} | {"急件": "urgent"},
    "secrecy": {label: code.value for code, label in SECRECY_LABELS.items()}
    | {label: code for code, label in CLASSIFIED.items()},
}


def from_label(field: str, value: Any) -> Any:
    """A Chinese term given for a field becomes its English word (`请示` → `request`)."""
    return ALIASES[field].get(value, value) if isinstance(value, str) else value


class State(StrEnum):
    """Where a document stands. Outgoing: draft → reviewing → signed → issued → distributed →
    archived (returned / rejected back to the drafter, resigning after a change post-signing).
    Incoming: delivered → received → registered → reviewed → proposed → instructed →
    handling → done → archived (bounced: 初审 returned it to the sender)."""

    DRAFT = "draft"  # 拟稿
    REVIEWING = "reviewing"  # 核稿 / 会签 / 签发 under way
    RETURNED = "returned"  # 退回 to the drafter
    REJECTED = "rejected"  # 不同意
    SIGNED = "signed"  # 已签发, awaiting 复核 and numbering
    RESIGNING = "resigning"  # changed after signing: back to the signer
    ISSUED = "issued"  # numbered (编号)
    DISTRIBUTED = "distributed"  # 分发
    DELIVERED = "delivered"  # 待签收
    RECEIVED = "received"  # 签收
    REGISTERED = "registered"  # 登记
    BOUNCED = "bounced"  # 初审退回 to the sender
    REVIEWED = "reviewed"  # 初审 passed
    PROPOSED = "proposed"  # 拟办, awaiting the leader's 批办
    INSTRUCTED = "instructed"  # 批办
    HANDLING = "handling"  # 承办
    DONE = "done"  # 办结
    ARCHIVED = "archived"  # 归档


STATE_LABELS = {
    State.DRAFT: "拟稿", State.REVIEWING: "审核中", State.RETURNED: "已退回",
    State.REJECTED: "未通过", State.SIGNED: "已签发", State.RESIGNING: "重新签发",
    State.ISSUED: "已编号", State.DISTRIBUTED: "已分发", State.DELIVERED: "待签收",
    State.RECEIVED: "已签收", State.REGISTERED: "已登记", State.BOUNCED: "已退文",
    State.REVIEWED: "已初审", State.PROPOSED: "待批办", State.INSTRUCTED: "已批办",
    State.HANDLING: "承办中", State.DONE: "已办结", State.ARCHIVED: "已归档",
}
EDITABLE = (State.DRAFT, State.RETURNED, State.REJECTED, State.REVIEWING, State.SIGNED,
            State.RESIGNING)
SUBMITTABLE = (State.DRAFT, State.RETURNED, State.REJECTED)
FINISHED = (State.DONE, State.ARCHIVED, State.BOUNCED, State.DISTRIBUTED)  # not overdue
ARCHIVABLE = {Direction.OUTGOING: (State.ISSUED, State.DISTRIBUTED),
              Direction.INCOMING: (State.DONE, State.BOUNCED)}


class Purpose(StrEnum):
    """What a document's current sign-off chain is for."""

    SIGN_OFF = "sign_off"  # 核稿 → 会签 → 签发
    RESIGN = "resign"  # a change after signing goes back to the signer
    INSTRUCT = "instruct"  # 批办: the leader's instruction on an incoming document


SIGN_LABEL = "签发"
INSTRUCT_LABEL = "批办"


def refuse(field: str, msg: str, slug: str) -> Unprocessable:
    return Unprocessable(msg, slug=slug, errors=[field_error([field], msg, slug)])


def conflict(state: str, action: str) -> Conflict:
    """409: the document's state does not allow the action (an archived one allows none)."""
    if state == State.ARCHIVED:
        return Conflict("The document is archived (归档) and can no longer change.",
                        slug="document-archived")
    label = STATE_LABELS.get(State(state), state) if state in State._value2member_map_ else state
    return Conflict(f"A document that is {state} ({label}) cannot be {action}.",
                    slug="document-state")


def check_secrecy(value: str) -> Secrecy:
    """内部 and none pass; 秘密/机密/绝密 are refused: classified documents stay off Tongban."""
    if value in CLASSIFIED:
        msg = (f"Classified documents ({CLASSIFIED[value]}) may not be carried by Tongban: "
               "only unclassified and 内部 documents are.")
        raise refuse("secrecy", msg, "classified-refused")
    return Secrecy(value)


def check_elements(fields: dict[str, Any], *, now: datetime, new_deadline: bool = True) -> None:
    """The GB/T 9704 rules across fields: upward documents name their 签发人, urgent ones a
    deadline (in the future when it is set now), a printing date not before the date written."""
    check_secrecy(fields["secrecy"])
    if DocType(fields["doc_type"]) in UPWARD and not fields.get("signer_id"):
        raise refuse("signer_id", "An upward document (请示/报告) must name its 签发人.",
                     "signer-required")
    urgent = Urgency(fields["urgency"]) is not Urgency.NORMAL
    if urgent and fields.get("deadline") is None:
        raise refuse("deadline", "An urgent document (加急/特急) needs a deadline (办理时限).",
                     "deadline-required")
    if new_deadline and fields.get("deadline") is not None and fields["deadline"] <= now:
        raise refuse("deadline", "The deadline has already passed.", "deadline-in-past")
    written, printed = fields.get("written_on"), fields.get("printed_on")
    if written and printed and printed < written:
        raise refuse("printed_on", "印发日期 cannot come before 成文日期.",
                     "printed-before-written")


def check_body(size: int | None, action: str) -> None:
    """A document is signed and issued over its body (正文): none, or an empty file, is 422."""
    if not size:
        raise refuse("body_file_id", f"The document has no body (正文) yet: it cannot be "
                                     f"{action}. Upload the text and edit the draft.", "empty-body")


def number_year(moment: datetime) -> int:
    """The year a document number belongs to: the year in China when it is issued."""
    return moment.astimezone(CHINA).year


def format_number(prefix: str, year: int, seq: int) -> str:
    """发文字号 as GB/T 9704 writes it: 机关代字 + 〔年份〕 + 序号 (`黔府办发〔2026〕12号`)."""
    return f"{prefix}〔{year}〕{seq}号"


def is_overdue(deadline: datetime | None, state: str, now: datetime) -> bool:
    return deadline is not None and deadline < now and State(state) not in FINISHED

