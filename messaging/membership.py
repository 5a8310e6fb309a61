"""Who belongs to a conversation, with what role, and where they have read up to.

Direct and group conversations list their members in `Member` rows. A unit group (单位群) has
no member list of its own: its members are the people holding a post in the unit, read from the
directory at the moment of each check, so it follows the unit as people join and leave it with
no copying and no window in which the two disagree. Their read position and mute live in a
`Member` row created the first time they open the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.functions import Min

from core.rawsql import fetch
from directory.models import Person, Position
from messaging.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Member,
    MemberRole,
    Message,
)
from messaging.policy import UNIT_MANAGER_ROLES, has_membership_rows


@dataclass
class Seat:
    """A person's place in a conversation they belong to."""

    conversation: Conversation
    person_id: int
    role: MemberRole
    read_seq: int
    muted: bool

    @property
    def id(self) -> int:
        return self.conversation.id


def unit_role(roles_per_post: list[list[str]]) -> MemberRole | None:
    """A unit's leaders and unit admins manage its group; anyone else holding a post is a member."""
    if not roles_per_post:
        return None
    held = {role for roles in roles_per_post for role in (roles or [])}
    return MemberRole.ADMIN if held & UNIT_MANAGER_ROLES else MemberRole.MEMBER


async def seat_of(conversation: Conversation, person_id: int) -> Seat | None:
    """The person's seat, or None if they do not belong (any more)."""
    if has_membership_rows(conversation.kind):
        row = await Member.get_or_none(conversation_id=conversation.id, person_id=person_id)
        if row is None:
            return None
        return Seat(conversation, person_id, MemberRole(row.role), row.read_seq, row.muted)
    posts = await Position.filter(person_id=person_id, unit_id=conversation.unit_id)
    role = unit_role([post.roles for post in posts])
    if role is None:
        return None
    state = await unit_state(conversation, person_id)
    return Seat(conversation, person_id, role, state.read_seq, state.muted)


SEAT = (
    "SELECT c.*, m.role AS seat_role, m.read_seq AS seat_read_seq, m.muted AS seat_muted "
    "FROM msg_conversation c LEFT JOIN msg_member m "
    "ON m.conversation_id = c.id AND m.person_id = {} WHERE c.id = {}"
)


async def seat_in(conversation_id: int, person_id: int) -> Seat | None:
    """`seat_of` by id: one plain statement for direct and group conversations.

    Every request on a conversation starts here, so it skips the ORM's query building (~5×
    the cost of the statement itself); the row still becomes a proper `Conversation`.
    """
    rows = await fetch(SEAT, [person_id, conversation_id])
    if not rows:
        return None
    row = dict(rows[0])
    role, read_seq, muted = row.pop("seat_role"), row.pop("seat_read_seq"), row.pop("seat_muted")
    conversation = Conversation._init_from_db(**row)
    if not has_membership_rows(conversation.kind):
        return await seat_of(conversation, person_id)
    if role is None:
        return None
    return Seat(conversation, person_id, MemberRole(role), int(read_seq), bool(muted))


async def unit_state(conversation: Conversation, person_id: int) -> Member:
    """The person's state row in a unit group, made on first use.

    Its read position starts at the last message sent before the person took their first post
    in the unit, so joining a busy unit does not bring a badge of its whole history.
    """
    row = await Member.get_or_none(conversation_id=conversation.id, person_id=person_id)
    if row is not None:
        return row
    seen = await _seq_before_joining(conversation, person_id)
    try:
        return await Member.create(conversation_id=conversation.id, person_id=person_id,
                                   role=MemberRole.MEMBER.value, read_seq=seen)
    except IntegrityError:  # made meanwhile by another request of the same person
        return await Member.get(conversation_id=conversation.id, person_id=person_id)


async def _seq_before_joining(conversation: Conversation, person_id: int) -> int:
    first = await Position.filter(person_id=person_id, unit_id=conversation.unit_id).annotate(
        first=Min("created_at")).values_list("first", flat=True)
    if not first or first[0] is None:
        return 0
    before = await Message.filter(conversation_id=conversation.id, created_at__lte=first[0]
                                  ).order_by("-seq").first()
    return before.seq if before else 0


async def member_ids(conversation: Conversation) -> list[int]:
    """Everyone who belongs now, by id."""
    if has_membership_rows(conversation.kind):
        ids = await Member.filter(conversation_id=conversation.id).values_list(
            "person_id", flat=True)
    else:
        ids = await Person.filter(positions__unit_id=conversation.unit_id, active=True).distinct(
        ).values_list("id", flat=True)
    return sorted(int(cast(int, pid)) for pid in ids)


async def member_roles(conversation: Conversation, person_ids: list[int]) -> dict[int, MemberRole]:
    """The roles of these members (people who do not belong are left out)."""
    if has_membership_rows(conversation.kind):
        rows = await Member.filter(conversation_id=conversation.id, person_id__in=person_ids
                                   ).values_list("person_id", "role")
        return {int(pid): MemberRole(role) for pid, role in rows}
    posts = await Position.filter(unit_id=conversation.unit_id, person_id__in=person_ids
                                  ).values_list("person_id", "roles")
    held: dict[int, list[list[str]]] = {}
    for pid, roles in posts:
        held.setdefault(int(pid), []).append(roles)
    return {pid: role for pid, lists in held.items() if (role := unit_role(lists))}


async def read_positions(conversation: Conversation) -> dict[int, int]:
    """Every current member's read position (0 for unit members who never opened it)."""
    rows = await Member.filter(conversation_id=conversation.id).values_list("person_id", "read_seq")
    if has_membership_rows(conversation.kind):
        return {int(pid): int(seq) for pid, seq in rows}
    known = {int(pid): int(seq) for pid, seq in rows}
    return {pid: known.get(pid, 0) for pid in await member_ids(conversation)}


async def conversation_ids_of(person_id: int) -> list[int]:
    """Every conversation the person belongs to now (dissolved groups included: still readable)."""
    return sorted(await my_roles(person_id))


async def my_roles(person_id: int) -> dict[int, MemberRole]:
    """My role in every conversation I belong to, by conversation id (three small queries)."""
    listed = await Member.filter(
        person_id=person_id, conversation__kind__not=ConversationKind.UNIT.value
    ).values_list("conversation_id", "role")
    roles = {int(cid): MemberRole(role) for cid, role in listed}
    posts = await Position.filter(person_id=person_id).values_list("unit_id", "roles")
    if posts:
        per_unit: dict[int, list[list[str]]] = {}
        for unit_id, held in posts:
            per_unit.setdefault(int(unit_id), []).append(held)
        units = await Conversation.filter(unit_id__in=list(per_unit)).values_list("id", "unit_id")
        for cid, unit_id in units:
            roles[int(cid)] = unit_role(per_unit[int(unit_id)]) or MemberRole.MEMBER
    return roles


async def audiences_for(person_id: int) -> set[str]:
    """Feed audiences: `conv:{id}` for every conversation the person belongs to."""
    return {f"conv:{cid}" for cid in await conversation_ids_of(person_id)}


async def may_read_attachment(person_id: int, file_id: int) -> bool:
    """Reference checker for files: a member of a conversation holding a message with the file."""
    conversations = await Attachment.filter(file_id=file_id).values_list(
        "conversation_id", flat=True)
    for conversation in await Conversation.filter(id__in=set(conversations)):
        if await belongs(conversation, person_id):
            return True
    return False


async def belongs(conversation: Conversation, person_id: int) -> bool:
    if has_membership_rows(conversation.kind):
        return await Member.exists(conversation_id=conversation.id, person_id=person_id)
    return await Position.exists(person_id=person_id, unit_id=conversation.unit_id)
