"""Every change to conversations: creating, members and roles, owner transfer, dissolving, mute.

Membership changes first take the conversation row with a conditional no-op UPDATE (`_lock`),
which refuses a dissolved group and, on PostgreSQL, serialises changes to one conversation, so
the role read after it cannot be changed by a concurrent request before commit.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from core.tx import Work, atomic
from directory.auth import Actor
from directory.models import Person, Position, Unit
from messaging.events import MEMBERSHIP_CHANGED, notify_changed, notify_membership
from messaging.membership import Seat
from messaging.models import Conversation, ConversationKind, Member, MemberRole
from messaging.policy import MAX_GROUP_MEMBERS, direct_key, is_manager


async def _people_exist(person_ids: list[int]) -> list[int]:
    ids = sorted(set(person_ids))
    found = set(await Person.filter(id__in=ids, active=True).values_list("id", flat=True))
    missing = [pid for pid in ids if pid not in found]
    if missing:
        raise Unprocessable("Some members do not exist.", errors=[
            field_error(["member_ids"], f"unknown people: {missing}", "unknown_person")])
    return ids


async def do_create_group(*, actor: Actor, title: str, member_ids: list[int]) -> Conversation:
    """Create a group chat (群聊) owned by the actor; each member hears they joined."""
    ids = await _people_exist([*member_ids, actor.id])
    if len(ids) > MAX_GROUP_MEMBERS:
        raise Unprocessable(f"A group holds at most {MAX_GROUP_MEMBERS} people.", errors=[
            field_error(["member_ids"], "too many members", "too_many")])
    async with atomic() as work:
        conversation = await Conversation.create(
            kind=ConversationKind.GROUP.value, title=title, owner_id=actor.id,
            last_message_at=utcnow(),
        )
        await _add_rows(conversation, ids, owner_id=actor.id)
        work.audit("conversation.create", "conversation", conversation.id, kind="group",
                   title=title, member_ids=ids)
        notify_membership(work, conversation, ids, change="joined", by=actor.id)
    return conversation


async def _add_rows(conversation: Conversation, ids: list[int], *, owner_id: int | None) -> None:
    await Member.bulk_create([
        Member(conversation_id=conversation.id, person_id=pid, read_seq=conversation.last_seq,
               role=(MemberRole.OWNER if pid == owner_id else MemberRole.MEMBER).value)
        for pid in ids
    ])


async def do_open_direct(*, actor: Actor, other_id: int) -> tuple[Conversation, bool]:
    """The one direct conversation (单聊) between the actor and another person.

    Made on first use; the unique `direct_key` makes concurrent first uses agree on one row.
    Returns the conversation and whether this call made it.
    """
    if other_id == actor.id:
        raise Unprocessable("A direct conversation needs another person.", errors=[
            field_error(["member_ids"], "that is yourself", "self")])
    await _people_exist([other_id])
    key = direct_key(actor.id, other_id)
    existing = await Conversation.get_or_none(direct_key=key)
    if existing is not None:
        return existing, False
    try:
        async with atomic() as work:
            conversation = await Conversation.create(
                kind=ConversationKind.DIRECT.value, direct_key=key, last_message_at=utcnow())
            await _add_rows(conversation, sorted({actor.id, other_id}), owner_id=None)
            work.audit("conversation.create", "conversation", conversation.id, kind="direct",
                       member_ids=sorted({actor.id, other_id}))
            notify_membership(work, conversation, sorted({actor.id, other_id}), change="joined",
                              by=actor.id)
    except IntegrityError:  # made concurrently by the other request: use theirs
        return await Conversation.get(direct_key=key), False
    return conversation, True


async def do_open_unit_group(unit: Unit, *, actor: Actor) -> tuple[Conversation, bool]:
    """The unit group (单位群) of a unit, made on first use by anyone holding a post there.

    It has no member list: its members are the unit's people at every moment. Its people hear
    of it through their unit's audience (a membership change to `unit:{id}`, which makes their
    sockets start hearing `conv:{id}`).
    """
    if not await Position.exists(person_id=actor.id, unit_id=unit.id):
        raise NotFound("No such unit group: you hold no post in this unit.")
    existing = await Conversation.get_or_none(unit_id=unit.id)
    if existing is not None:
        return existing, False
    try:
        async with atomic() as work:
            conversation = await Conversation.create(
                kind=ConversationKind.UNIT.value, unit_id=unit.id, title=unit.name,
                last_message_at=utcnow())
            work.audit("conversation.create", "conversation", conversation.id, kind="unit",
                       unit_id=unit.id)
            work.emit(MEMBERSHIP_CHANGED, f"unit:{unit.id}",
                      {"conversation_id": conversation.id, "kind": "unit", "title": unit.name,
                       "unit_id": unit.id, "change": "unit_group_opened", "by": actor.id})
    except IntegrityError:
        return await Conversation.get(unit_id=unit.id), False
    return conversation, True


async def _lock(seat: Seat, actor: Actor) -> MemberRole:
    """Take the conversation row (refusing a dissolved one) and re-read the actor's role."""
    if seat.conversation.kind != ConversationKind.GROUP:
        raise Conflict("Only a group's members and roles can be changed: a direct "
                       "conversation has two people and a unit group follows its unit.")
    taken = await Conversation.filter(id=seat.id, dissolved_at=None).update(
        last_seq=F("last_seq"))
    if not taken:
        raise Conflict("The group has been dissolved.", slug="conversation-dissolved")
    mine = await Member.get_or_none(conversation_id=seat.id, person_id=actor.id)
    if mine is None:
        raise NotFound("No such conversation.")
    return MemberRole(mine.role)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


async def do_add_members(seat: Seat, *, actor: Actor, member_ids: list[int]) -> list[int]:
    """Owners and admins add people; each new member hears they joined, the group hears who."""
    ids = await _people_exist(member_ids)
    async with atomic() as work:
        _require(is_manager(await _lock(seat, actor)), "Only the owner and admins add members.")
        present = set(await Member.filter(conversation_id=seat.id, person_id__in=ids).values_list(
            "person_id", flat=True))
        added = [pid for pid in ids if pid not in present]
        if await Member.filter(conversation_id=seat.id).count() + len(added) > MAX_GROUP_MEMBERS:
            raise Unprocessable(f"A group holds at most {MAX_GROUP_MEMBERS} people.")
        await seat.conversation.refresh_from_db(fields=["last_seq"])
        await _add_rows(seat.conversation, added, owner_id=None)
        work.audit("conversation.members.add", "conversation", seat.id, person_ids=added)
        notify_changed(work, seat.conversation, change="members_added", person_ids=added,
                       by=actor.id)
        notify_membership(work, seat.conversation, added, change="joined", by=actor.id)
    return added


async def do_remove_member(seat: Seat, *, actor: Actor, person_id: int) -> None:
    """The owner removes anyone else; admins remove plain members. The person stops hearing."""
    async with atomic() as work:
        role = await _lock(seat, actor)
        target = await Member.get_or_none(conversation_id=seat.id, person_id=person_id)
        if target is None:
            raise NotFound("That person is not a member.")
        _require(person_id != actor.id, "Leave the group instead of removing yourself.")
        _require(role == MemberRole.OWNER or (role == MemberRole.ADMIN
                 and target.role == MemberRole.MEMBER), "You may not remove this member.")
        await _drop(work, seat, person_id, change="removed", by=actor.id)


async def _drop(work: Work, seat: Seat, person_id: int, *, change: str, by: int) -> None:
    await Member.filter(conversation_id=seat.id, person_id=person_id).delete()
    work.audit(f"conversation.members.{change}", "conversation", seat.id, person_id=person_id)
    notify_changed(work, seat.conversation, change=f"member_{change}", person_id=person_id, by=by)
    notify_membership(work, seat.conversation, [person_id], change="left", by=by)


async def do_leave_conversation(seat: Seat, *, actor: Actor) -> None:
    """Leave a group (退群); the owner must hand the group over first (409)."""
    async with atomic() as work:
        if await _lock(seat, actor) == MemberRole.OWNER:
            raise Conflict("The owner cannot leave: transfer the group first.")
        await _drop(work, seat, actor.id, change="left", by=actor.id)


async def do_transfer_owner(seat: Seat, *, actor: Actor, owner_id: int) -> None:
    """The owner hands the group to another member (转让群主) and becomes an admin."""
    async with atomic() as work:
        _require(await _lock(seat, actor) == MemberRole.OWNER, "Only the owner may transfer.")
        if owner_id == actor.id:
            raise Unprocessable("You already own the group.")
        if not await Member.filter(conversation_id=seat.id, person_id=owner_id).update(
                role=MemberRole.OWNER.value):
            raise Unprocessable("The new owner must be a member.", errors=[
                field_error(["owner_id"], "not a member", "not_member")])
        await Member.filter(conversation_id=seat.id, person_id=actor.id).update(
            role=MemberRole.ADMIN.value)
        await Conversation.filter(id=seat.id).update(owner_id=owner_id)
        work.audit("conversation.owner.transfer", "conversation", seat.id, to=owner_id)
        notify_changed(work, seat.conversation, change="owner_transferred", owner_id=owner_id,
                       by=actor.id)


async def do_set_role(seat: Seat, *, actor: Actor, person_id: int, role: MemberRole) -> None:
    """The owner makes a member an admin (群管理员) or an admin a plain member again."""
    async with atomic() as work:
        _require(await _lock(seat, actor) == MemberRole.OWNER, "Only the owner sets admins.")
        changed = await Member.filter(
            conversation_id=seat.id, person_id=person_id,
            role__in=[MemberRole.ADMIN.value, MemberRole.MEMBER.value],
        ).update(role=role.value)
        if not changed:
            raise NotFound("That person is not a member whose role can change.")
        work.audit("conversation.role.set", "conversation", seat.id, person_id=person_id,
                   role=role.value)
        notify_changed(work, seat.conversation, change="role_changed", person_id=person_id,
                       role=role.value, by=actor.id)


async def do_rename_conversation(seat: Seat, *, actor: Actor, title: str) -> None:
    """Owners and admins rename a group."""
    async with atomic() as work:
        _require(is_manager(await _lock(seat, actor)), "Only the owner and admins rename.")
        await Conversation.filter(id=seat.id).update(title=title)
        work.audit("conversation.rename", "conversation", seat.id, title=title)
        notify_changed(work, seat.conversation, change="renamed", title=title, by=actor.id)


async def do_dissolve_conversation(seat: Seat, *, actor: Actor) -> None:
    """The owner dissolves a group (解散): no more messages or changes; history stays readable."""
    async with atomic() as work:
        _require(await _lock(seat, actor) == MemberRole.OWNER, "Only the owner dissolves.")
        await Conversation.filter(id=seat.id, dissolved_at=None).update(dissolved_at=utcnow())
        work.audit("conversation.dissolve", "conversation", seat.id)
        notify_changed(work, seat.conversation, change="dissolved", by=actor.id)


async def do_mute_conversation(seat: Seat, *, actor: Actor, muted: bool) -> None:
    """Mute or unmute a conversation for myself (消息免打扰); my other devices hear of it."""
    async with atomic() as work:
        await Member.filter(conversation_id=seat.id, person_id=actor.id).update(muted=muted)
        work.audit("conversation.mute", "conversation", seat.id, muted=muted)
        work.emit("conversation.muted", f"user:{actor.id}",
                  {"conversation_id": seat.id, "muted": muted})
